import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../libs/database/src/embedded-postgres';

/** The bench's own connections, left out of the database's CPU and memory. */
export const BENCH_APPLICATION_NAME = 'ioc-bench';

const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** The PostgreSQL server the bench works on: every mode gets a fresh database of its own there. */
export interface PostgresTarget {
  /** Where it came from, for the report (no password). */
  source: 'DATABASE_URL' | 'machine' | 'embedded';
  version: string;
  /** On this machine: its processes can be read in /proc for CPU and memory. */
  local: boolean;
  createScratch(prefix: string): Promise<ScratchDatabase>;
  /**
   * Process ids of the cluster's background processes and the backends serving that database;
   * apart, those of the bench's own watching connections.
   */
  pids(database: string): Promise<{ server: number[]; bench: number[] }>;
  stop(): Promise<void>;
}

const scratches = new Set<ScratchDatabase>();

/**
 * DATABASE_URL if set; else the machine's PostgreSQL if it answers (unless `machine` is false);
 * else an embedded one in a temp directory.
 */
export async function openPostgresTarget(databaseUrl: string | undefined, machine = true): Promise<PostgresTarget> {
  if (databaseUrl) return target(databaseUrl, 'DATABASE_URL', async () => undefined);
  if (machine && (await answers(MACHINE_POSTGRES))) return target(MACHINE_POSTGRES, 'machine', async () => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'ioc-bench-pg-'));
  // PostgreSQL runs as its own user when we are root: it must be able to enter the directory.
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(dir, 0, () => {});
  return target(pg.url, 'embedded', async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  });
}

/** Drops every scratch database still there (SIGINT, a failed step). */
export async function dropAllScratches(): Promise<void> {
  await Promise.all([...scratches].map((s) => s.drop().catch(() => undefined)));
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One connection for `work`, named as the bench's so the measurements can tell it apart. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: BENCH_APPLICATION_NAME });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function target(url: string, source: PostgresTarget['source'], stop: () => Promise<void>): Promise<PostgresTarget> {
  const version = await withClient(url, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v);
  const host = new URL(url).hostname;
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host);
  return {
    source,
    version,
    local,
    createScratch: async (prefix) => {
      // Generated from hex digits here: identifiers cannot be bound as parameters.
      const name = `${prefix}_${randomBytes(5).toString('hex')}`;
      await withClient(url, (c) => c.query(`CREATE DATABASE ${name}`));
      const scratchUrl = new URL(url);
      scratchUrl.pathname = `/${name}`;
      const scratch: ScratchDatabase = {
        url: scratchUrl.toString(),
        name,
        drop: async () => {
          scratches.delete(scratch);
          await withClient(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        },
      };
      scratches.add(scratch);
      return scratch;
    },
    pids: (database) =>
      withClient(url, async (c) => {
        const { rows } = await c.query<{ pid: number; bench: boolean }>(
          `SELECT pid, application_name = $2 AS bench FROM pg_stat_activity
            WHERE (datname = $1 OR backend_type <> 'client backend') AND pid <> pg_backend_pid()`,
          [database, BENCH_APPLICATION_NAME],
        );
        return {
          server: rows.filter((r) => !r.bench).map((r) => r.pid),
          bench: rows.filter((r) => r.bench).map((r) => r.pid),
        };
      }),
    stop,
  };
}
