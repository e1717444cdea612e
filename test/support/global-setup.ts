import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../libs/database/src/embedded-postgres';

/**
 * With DATABASE_URL unset, every test of the run shares one embedded PostgreSQL on a free port
 * in a fresh directory; with it set, the tests use that server.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const dir = await mkdtemp(join(tmpdir(), 'ioc-test-pg-'));
  // PostgreSQL runs as its own user when we are root: it must be able to enter the directory.
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(dir, 0, () => {});
  process.env.DATABASE_URL = pg.url;
  (globalThis as { __IOC_TEST_PG__?: { stop(): Promise<void> } }).__IOC_TEST_PG__ = pg;
}
