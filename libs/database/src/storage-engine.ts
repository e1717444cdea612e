import type { Pool } from 'pg';

export interface StorageEngine {
  /** e.g. "PostgreSQL 15.19" */
  engine: string;
  timescaledb: boolean;
  timescaledbVersion: string | null;
}

/**
 * Uses TimescaleDB when the extension can be created (telemetry becomes a hypertable);
 * otherwise stays on plain PostgreSQL. Safe to run at every start.
 */
export async function prepareStorage(pool: Pool, log: (line: string) => void): Promise<StorageEngine> {
  const { rows: versionRows } = await pool.query<{ version: string }>(`SELECT current_setting('server_version') AS version`);
  const engine = `PostgreSQL ${versionRows[0].version.split(' ')[0]}`;
  const { rows } = await pool.query<{ installed_version: string | null }>(
    `SELECT installed_version FROM pg_available_extensions WHERE name = 'timescaledb'`,
  );
  if (rows.length === 0) {
    log(`${engine}: the timescaledb extension is not available; using plain PostgreSQL tables`);
    return { engine, timescaledb: false, timescaledbVersion: null };
  }
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    for (const table of ['telemetry', 'device_events']) {
      await pool.query(
        `SELECT create_hypertable($1::regclass, 'time', chunk_time_interval => INTERVAL '1 day',
                                  if_not_exists => TRUE, migrate_data => TRUE)`,
        [table],
      );
    }
  } catch (err) {
    // Listed but unusable, typically because it is not in shared_preload_libraries.
    log(`${engine}: timescaledb is listed but could not be used (${(err as Error).message}); using plain PostgreSQL tables`);
    return { engine, timescaledb: false, timescaledbVersion: null };
  }
  const { rows: ext } = await pool.query<{ extversion: string }>(
    `SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`,
  );
  log(`${engine} with TimescaleDB ${ext[0].extversion}: telemetry and device events are hypertables`);
  return { engine, timescaledb: true, timescaledbVersion: ext[0].extversion };
}
