import { execFileSync } from 'node:child_process';
import type { HealthDto } from '@ioc/contracts';

export type TestEngine = 'timescaledb' | 'postgres';

/**
 * The engine the servers of this run use on the test PostgreSQL (DATABASE_URL, set before any
 * test file loads): TimescaleDB where it is installed and preloaded, as the server's
 * prepareStorage decides; plain PostgreSQL otherwise. Asked once a worker, synchronously, because
 * describe blocks are chosen while the file loads.
 */
function detect(): TestEngine {
  const known = process.env.IOC_TEST_ENGINE;
  if (known === 'timescaledb' || known === 'postgres') return known;
  const script = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    client.connect()
      .then(() => client.query(\`SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
                                  AND current_setting('shared_preload_libraries') ~ 'timescaledb' AS on\`))
      .then((r) => { process.stdout.write(r.rows[0].on ? 'timescaledb' : 'postgres'); return client.end(); })
      .catch((err) => { console.error(err.message); process.exit(1); });`;
  const engine = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: process.env }).trim() as TestEngine;
  process.env.IOC_TEST_ENGINE = engine;
  return engine;
}

export const testEngine: TestEngine = detect();
export const onTimescale = testEngine === 'timescaledb';

/** Blocks that run (and are asserted) on plain PostgreSQL only; skipped on TimescaleDB. */
export const describePlain = onTimescale ? describe.skip : describe;
export const itPlain = onTimescale ? it.skip : it;
/** Blocks that run on TimescaleDB only; skipped on plain PostgreSQL. */
export const describeTimescale = onTimescale ? describe : describe.skip;
export const itTimescale = onTimescale ? it : it.skip;

/**
 * The status of a server with nothing wrong but TimescaleDB's background jobs: on PostgreSQL
 * 15.20 every scheduled run fails after committing its work (see the shared TimescaleDB README),
 * which health rightly reports as degraded.
 */
export const healthyStatus = (health: HealthDto): HealthDto['status'] =>
  health.database.failingJobs?.length ? 'degraded' : 'ok';
