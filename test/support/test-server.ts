import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import type { HealthDto, Role, SessionDto } from '@ioc/contracts';
import { DEMO_USERS, demoPassword } from '@ioc/auth';
import { loadConfig } from '@ioc/config';
import { startServer } from '../../apps/server/src/server';
import { eventually } from './clients';

export interface TestServer {
  baseUrl: string;
  mqttUrl: string;
  /** The test's own database, migrated by the server. */
  pool: Pool;
  /** Logs in as the demo user of that role (every test server has one per role). */
  session(role: Role): Promise<SessionDto>;
  /**
   * Resolves once the server's rollups hold what is stored now: late samples recomputed, and
   * every minute before `until` materialized.
   */
  rollupsCaughtUp(until?: Date): Promise<void>;
  close(): Promise<void>;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface TestServerOptions {
  /** A database made by the test (kept at close); unset: a fresh one, dropped at close. */
  database?: ScratchDatabase;
  /** The server reaches the database through this port on 127.0.0.1 (a relay the test can cut). */
  databasePort?: number;
  /** The spool directory (kept at close); unset: a fresh one, removed at close. */
  spoolDir?: string;
}

/**
 * Starts the real server in this process on free ports with the embedded MQTT broker, in a
 * fresh database of its own on the test PostgreSQL (DATABASE_URL, set by the global setup).
 */
export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createScratchDatabase());
  const drop = options.database ? async () => undefined : database.drop;
  const databaseUrl = database.url;
  const serverDatabaseUrl = new URL(databaseUrl);
  if (options.databasePort) {
    serverDatabaseUrl.hostname = '127.0.0.1';
    serverDatabaseUrl.port = String(options.databasePort);
  }
  const spoolDir = options.spoolDir ?? (await mkdtemp(join(tmpdir(), 'ioc-test-spool-')));
  const removeSpool = options.spoolDir ? async () => undefined : () => rm(spoolDir, { recursive: true, force: true });
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    DATABASE_URL: serverDatabaseUrl.toString(),
    SPOOL_DIR: spoolDir,
    // On an external broker: a session of its own that the broker forgets soon after the test.
    MQTT_CLIENT_ID: `ioc-test-${randomBytes(4).toString('hex')}`,
    MQTT_SESSION_EXPIRY_S: '10',
    REALTIME_FLUSH_MS: '50',
    INGEST_FLUSH_MS: '20',
    STORAGE_ROLLUP_REFRESH_MS: '100',
    STORAGE_ROLLUP_SETTLE_S: '0',
    IOC_DEMO_USERS: 'true',
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    ...env,
  });
  const server = await startServer(config).catch(async (err: unknown) => {
    await drop();
    await removeSpool();
    throw err;
  });
  const health = (await (await fetch(`${server.url}/api/health`)).json()) as HealthDto;
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  // The scratch database is dropped WITH (FORCE) at close: a connection cut then is expected.
  pool.on('error', () => undefined);
  return {
    baseUrl: server.url,
    mqttUrl: `mqtt://127.0.0.1:${health.mqtt?.port}`,
    pool,
    session: async (role) => {
      const user = DEMO_USERS.find((u) => u.role === role)!;
      const res = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user.username, password: demoPassword(user.username) }),
      });
      if (res.status !== 200) throw new Error(`login as ${user.username}: ${res.status} ${await res.text()}`);
      return (await res.json()) as SessionDto;
    },
    rollupsCaughtUp: async (until) => {
      await eventually(async () => {
        const { rows } = await pool.query<{ done: boolean }>(
          `SELECT NOT EXISTS (SELECT 1 FROM telemetry_rollup_invalidations)
                  AND ($1::timestamptz IS NULL OR (SELECT materialized FROM telemetry_rollup_state) >= $1) AS done`,
          [until ?? null],
        );
        return rows[0].done ? true : undefined;
      }, 90_000);
    },
    close: async () => {
      await server.close();
      await pool.end();
      await drop();
      await removeSpool();
    },
  };
}

/** Runs SQL on a connection of its own (CREATE DATABASE and the like cannot run in a pool's transaction). */
export async function runOnce(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test PostgreSQL (DATABASE_URL). */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const url = process.env.DATABASE_URL!;
  const name = `ioc_test_${randomBytes(6).toString('hex')}`;
  const admin = (sql: string) => runOnce(url, sql);
  // The name is generated here from hex digits; identifiers cannot be bound as parameters.
  await admin(`CREATE DATABASE ${name}`);
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return { url: scratch.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
