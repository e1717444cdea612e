import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import type { Pool } from 'pg';

/** Versioned plain-SQL migrations: `NNNN_name.sql`, applied in order, each once, under a lock. */
export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

export async function migrate(pool: Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool as never }) });
  const migrator = new Migrator({
    db,
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    provider: { getMigrations: () => readSqlMigrations(dir) },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function readSqlMigrations(dir: string): Promise<Record<string, Migration>> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const migrations: Record<string, Migration> = {};
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    migrations[file.replace(/\.sql$/, '')] = { up: (db) => sql.raw(text).execute(db).then(() => undefined) };
  }
  return migrations;
}
