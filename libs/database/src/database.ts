import { Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { migrate } from './migrator';

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

/** Which engine and layout the storage uses is libs/storage's business (STORAGE_ENGINE). */
export interface DatabaseInfo {
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
      : await startEmbeddedPostgres(options.dataDir, options.embeddedPort, options.debug, options.log);
    const pool = new Pool({
      connectionString: options.url ?? embedded!.url,
      max: options.poolSize,
      application_name: 'ioc',
      // A database host that stopped answering fails a query instead of hanging it.
      connectionTimeoutMillis: 5000,
    });
    // An idle client losing its connection must not take the process down; the pool replaces it.
    pool.on('error', (err) => options.log(`database connection lost: ${err.message}`));
    // Nor must a checked-out one between two of its queries (the pool listens only while a client
    // is idle): the next query fails, and its caller decides.
    pool.on('connect', (client) => client.on('error', () => undefined));
    try {
      const applied = await migrate(pool);
      if (applied.length > 0) options.log(`applied migrations: ${applied.join(', ')}`);
      return new Database(pool, { mode: embedded ? 'embedded' : 'external' }, embedded);
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
