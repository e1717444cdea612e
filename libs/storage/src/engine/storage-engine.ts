import type { Pool } from 'pg';
import { PartitionMaintainer } from './partition-maintainer';
import type { StorageSettings } from './storage-settings';
import { applyTimescaleLayout } from './timescale-layout';

/** What the database behind the storage is; nothing outside this library needs more. */
export interface StorageEngine {
  /** e.g. "PostgreSQL 15.20" */
  engine: string;
  timescaledb: boolean;
  timescaledbVersion: string | null;
  partitioning: 'hypertable' | 'declarative';
}

/** Injection token of the prepared StorageEngine. */
export const STORAGE_ENGINE = Symbol('STORAGE_ENGINE');

/**
 * Uses TimescaleDB when the extension can be created (hypertables, continuous aggregates and
 * policies); otherwise plain PostgreSQL with partitions made ahead. Safe to run at every start.
 */
export async function prepareStorage(pool: Pool, settings: StorageSettings, log: (line: string) => void): Promise<StorageEngine> {
  const { rows: versionRows } = await pool.query<{ version: string }>(`SELECT current_setting('server_version') AS version`);
  const engine = `PostgreSQL ${versionRows[0].version.split(' ')[0]}`;
  const plain = async (why: string): Promise<StorageEngine> => {
    const report = await new PartitionMaintainer(pool, settings).run();
    log(`${engine}: ${why}; plain PostgreSQL with declarative partitions (${report.created.length} made)`);
    return { engine, timescaledb: false, timescaledbVersion: null, partitioning: 'declarative' };
  };
  const { rows } = await pool.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (rows.length === 0) return plain('the timescaledb extension is not available');
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  } catch (err) {
    // Listed but unusable, typically because it is not in shared_preload_libraries.
    return plain(`timescaledb is listed but could not be used (${(err as Error).message})`);
  }
  await applyTimescaleLayout(pool, settings, log);
  const { rows: ext } = await pool.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`);
  log(`${engine} with TimescaleDB ${ext[0].extversion}: hypertables, continuous aggregates, compression and retention policies`);
  return { engine, timescaledb: true, timescaledbVersion: ext[0].extversion, partitioning: 'hypertable' };
}
