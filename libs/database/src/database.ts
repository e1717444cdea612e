import { Pool, type PoolClient } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { migrate } from './migrator';
import { inTransaction } from './transaction';

export interface DatabaseOptions {
  /** Unset: start the embedded PostgreSQL under dataDir. */
  url?: string;
  dataDir: string;
  embeddedPort: number;
  poolSize: number;
  /** How long to wait for a connection: a free one of the pool, or a new one. */
  connectTimeoutMs: number;
  /** Longest statement of requests and ingest writes (0: none). */
  statementTimeoutMs: number;
  /** Longest statement of migrations and storage maintenance (0: none). */
  maintenanceTimeoutMs: number;
  /** How long the health probe waits for an answer. */
  healthTimeoutMs: number;
  log: (line: string) => void;
  /** The embedded server's own chatter. */
  debug: (line: string) => void;
}

/** Which engine and layout the storage uses is libs/storage's business (STORAGE_ENGINE). */
export interface DatabaseInfo {
  mode: 'embedded' | 'external';
}

/**
 * PostgreSQL cancels a statement past its timeout; the client stops waiting this much later, for
 * a server that answers nothing at all (stopped, or cut off without a reset).
 */
const CLIENT_GRACE_MS = 500;

interface PoolSettings {
  url: string;
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  log: (line: string) => void;
}

function openPool({ url, max, connectTimeoutMs, statementTimeoutMs, log }: PoolSettings): Pool {
  const pool = new Pool({
    connectionString: url,
    max,
    application_name: 'ioc',
    // A database host that stopped answering fails a query instead of hanging it.
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    // No JIT: the server's statements are short, and where a plan's cost is large (or inflated by
    // enable_seqscan = off, as the rollup refresher sets it) PostgreSQL would spend a second
    // compiling each one. Measured: 1.29 s of a 1.31 s refresher round on PostgreSQL 15.
    options: '-c jit=off',
    ...(statementTimeoutMs > 0 && {
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + CLIENT_GRACE_MS,
    }),
  });
  // An idle client losing its connection must not take the process down; the pool replaces it.
  pool.on('error', (err) => log(`database connection lost: ${err.message}`));
  // Nor must a checked-out one between two of its queries (the pool listens only while a client
  // is idle): the next query fails, and its caller decides.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * The connection pools and what is behind them. Repositories are their only users: `pool` for
 * requests and ingest, with short timeouts so that a stalled database fails them fast;
 * `maintenancePool` for the long work in the background (migrations, rollups, partitions).
 */
export class Database {
  private constructor(
    readonly pool: Pool,
    readonly maintenancePool: Pool,
    /** One connection of its own, so that health never waits behind a busy pool. */
    private readonly probe: Pool,
    private readonly healthTimeoutMs: number,
    readonly info: DatabaseInfo,
    private readonly embedded: EmbeddedPostgres | null,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    if (!options.url) options.log(`starting the embedded PostgreSQL in ${options.dataDir}`);
    const embedded = options.url
      ? null
      : await startEmbeddedPostgres(options.dataDir, options.embeddedPort, options.debug, options.log);
    const url = options.url ?? embedded!.url;
    const { connectTimeoutMs, healthTimeoutMs, log } = options;
    const pool = openPool({ url, max: options.poolSize, connectTimeoutMs, statementTimeoutMs: options.statementTimeoutMs, log });
    // A connection for each background job (partitions, rollups, packing): none waits for another.
    const maintenancePool = openPool({ url, max: 3, connectTimeoutMs, statementTimeoutMs: options.maintenanceTimeoutMs, log });
    const probe = openPool({ url, max: 1, connectTimeoutMs: healthTimeoutMs, statementTimeoutMs: healthTimeoutMs, log });
    const pools = [pool, maintenancePool, probe];
    try {
      const applied = await migrate(maintenancePool);
      if (applied.length > 0) options.log(`applied migrations: ${applied.join(', ')}`);
      const info: DatabaseInfo = { mode: embedded ? 'embedded' : 'external' };
      return new Database(pool, maintenancePool, probe, healthTimeoutMs, info, embedded);
    } catch (err) {
      await Promise.all(pools.map((p) => p.end()));
      await embedded?.stop();
      throw err;
    }
  }

  /** `work` on one client of the pool in a transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await inTransaction(client, () => work(client));
    } finally {
      client.release();
    }
  }

  /** Whether the database answers within the health timeout, however busy or stuck the pools are. */
  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.healthTimeoutMs)));
    const answered = this.probe.query('SELECT 1').then(
      () => true,
      () => false,
    );
    return Promise.race([answered, late]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.maintenancePool.end(), this.probe.end()]);
    await this.embedded?.stop();
  }
}
