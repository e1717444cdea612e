import { Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { migrate } from './migrator';
import { prepareStorage, type StorageEngine } from './storage-engine';

export interface DatabaseOptions {
  /** Unset: start the embedded PostgreSQL under dataDir. */
  url?: string;
  dataDir: string;
  embeddedPort: number;
  poolSize: number;
  log: (line: string) => void;
  /** The embedded server's own chatter. */
  debug: (line: string) => void;
}

export interface DatabaseInfo extends StorageEngine {
  mode: 'embedded' | 'external';
}

/** The connection pool and what is behind it. Repositories are its only users. */
export class Database {
  private constructor(
    readonly pool: Pool,
    readonly info: DatabaseInfo,
    private readonly embedded: EmbeddedPostgres | null,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    if (!options.url) options.log(`starting the embedded PostgreSQL in ${options.dataDir}`);
    const embedded = options.url
      ? null
      : await startEmbeddedPostgres(options.dataDir, options.embeddedPort, options.debug);
    const pool = new Pool({
      connectionString: options.url ?? embedded!.url,
      max: options.poolSize,
      application_name: 'ioc',
    });
    // An idle client losing its connection must not take the process down; the pool replaces it.
    pool.on('error', (err) => options.log(`database connection lost: ${err.message}`));
    try {
      const applied = await migrate(pool);
      if (applied.length > 0) options.log(`applied migrations: ${applied.join(', ')}`);
      const engine = await prepareStorage(pool, options.log);
      return new Database(pool, { ...engine, mode: embedded ? 'embedded' : 'external' }, embedded);
    } catch (err) {
      await pool.end();
      await embedded?.stop();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
    await this.embedded?.stop();
  }
}
