import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HealthDto, ProvisionedDeviceDto, SessionDto } from '@ioc/contracts';
import { freePort, sleep, startChild, type Child } from './child-processes';

export const REPO_ROOT = resolve(__dirname, '../../..');
const SERVER_MAIN = join(REPO_ROOT, 'dist/server/apps/server/src/main.js');

// The demo administrator that IOC_DEMO_USERS=true seeds (README).
const ADMIN = { username: 'admin', password: 'admin-demo-2026' };

/** Server settings a person may set around the bench to try other values; recorded in the results. */
export const SERVER_TUNING = [
  'INGEST_BATCH_SIZE',
  'INGEST_FLUSH_MS',
  'REALTIME_FLUSH_MS',
  'DATABASE_POOL_SIZE',
  'SPOOL_MAX_BYTES',
  'INGEST_MAX_QUEUED',
  'INGEST_NEWEST_EVERY_MS',
  'STORAGE_ROLLUP_REFRESH_MS',
] as const;

export interface BenchServer {
  child: Child;
  baseUrl: string;
  /** mqtt://127.0.0.1:port of the embedded broker; null with an external one. */
  embeddedMqttUrl: string | null;
  token: string;
  health(): Promise<HealthDto>;
  stop(): Promise<void>;
}

/** The built server as a child process on free loopback ports, in its own temp DATA_DIR. */
export async function startServer(
  databaseUrl: string,
  mqttUrl: string | undefined,
  nodeArgs: string[] = [],
): Promise<BenchServer> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run "nest build server" first`);
  const dataDir = await mkdtemp(join(tmpdir(), 'ioc-bench-data-'));
  const [port, mqttPort, wsPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    NO_COLOR: '1',
    HOST: '127.0.0.1',
    PORT: String(port),
    MQTT_PORT: String(mqttPort),
    MQTT_WS_PORT: String(wsPort),
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    IOC_DEMO_USERS: 'true',
    // Thousands of devices are provisioned from one address.
    API_RATE_LIMIT: '10000000',
    LOGIN_RATE_LIMIT: '1000',
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...(mqttUrl ? { MQTT_URL: mqttUrl } : {}),
    ...Object.fromEntries(SERVER_TUNING.filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
  };
  const child = startChild('server', process.execPath, [...nodeArgs, SERVER_MAIN], { cwd: REPO_ROOT, env });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(baseUrl, child, 90_000);
    const token = await login(baseUrl);
    return {
      child,
      baseUrl,
      embeddedMqttUrl: mqttUrl ? null : `mqtt://127.0.0.1:${mqttPort}`,
      token,
      health: () => getJson<HealthDto>(`${baseUrl}/api/health`),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForHealth(baseUrl: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`the server exited with code ${child.process.exitCode}:\n${child.tail()}`);
    const health = await getJson<HealthDto>(`${baseUrl}/api/health`).catch(() => null);
    if (health?.mqtt?.connected) return;
    await sleep(200);
  }
  throw new Error(`the server did not answer /api/health within ${timeoutMs} ms:\n${child.tail()}`);
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) }).catch((err: Error) => {
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${err.message}`);
  });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function login(baseUrl: string): Promise<string> {
  const session = await getJson<SessionDto>(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  return session.accessToken;
}

export function deviceIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(5, '0')}`);
}

/**
 * Registers air-quality stations spread around Mỹ Tho (lat 10.36, lng 106.36) through the API,
 * a few requests at a time, and returns each one's MQTT password.
 */
export async function provision(server: BenchServer, ids: string[]): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i];
      const angle = i * 2.399963; // golden angle: an even spread without a grid
      const radius = 0.08 * Math.sqrt((i + 0.5) / ids.length);
      const created = await getJson<ProvisionedDeviceDto>(`${server.baseUrl}/api/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
        body: JSON.stringify({
          id,
          kind: 'air_quality',
          name: `Bench station ${i + 1}`,
          lat: 10.36 + radius * Math.sin(angle),
          lng: 106.36 + radius * Math.cos(angle),
        }),
      });
      passwords.set(id, created.credentials.password);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, ids.length) }, lane));
  return passwords;
}
