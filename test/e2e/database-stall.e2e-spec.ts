import type { ApiErrorBody, HealthDto } from '@ioc/contracts';
import { DEMO_USERS, demoPassword } from '@ioc/auth';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { eventually } from '../support/clients';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(90_000);

const admin = DEMO_USERS.find((u) => u.role === 'admin')!;

/** Status, body and how long the answer took; a server that never answers fails the test, not the run. */
async function timed<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const body = (await res.json()) as T;
  return { status: res.status, body, ms: performance.now() - started };
}

describe('a stalled database (as under SIGSTOP: connections open, no byte passing)', () => {
  let database: ScratchDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  const health = () => timed<HealthDto>(`${server.baseUrl}/api/health`);
  const login = () =>
    timed<ApiErrorBody>(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: admin.username, password: demoPassword(admin.username) }),
    });

  beforeAll(async () => {
    database = await createScratchDatabase();
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    server = await startTestServer(
      { DATABASE_STATEMENT_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '1500' },
      { database, databasePort: proxy.port },
    );
  });
  afterAll(async () => {
    proxy?.restore();
    await server?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('health says the database is down within about a second, calls fail fast with 503, and both recover', async () => {
    const token = (await server.session('admin')).accessToken;
    expect((await health()).body.database.up).toBe(true);

    proxy.stall();
    try {
      // Several at once: none waits behind another or behind the stuck pool.
      for (const answer of await Promise.all([health(), health(), health()])) {
        expect(answer.ms).toBeLessThan(1500);
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ status: 'degraded', database: { up: false } });
      }

      const refused = await login();
      expect(refused.ms).toBeLessThan(5000);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: 'unavailable', message: expect.stringContaining('database') });

      const devices = await timed<ApiErrorBody>(`${server.baseUrl}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
      expect(devices.ms).toBeLessThan(5000);
      expect(devices.status).toBe(503);

      // Still down, still quick, once the pool is full of stuck connections.
      const again = await health();
      expect(again.ms).toBeLessThan(1500);
      expect(again.body.database.up).toBe(false);
    } finally {
      proxy.restore();
    }

    await eventually(async () => ((await health()).body.database.up ? true : undefined), 15_000);
    await eventually(async () => ((await login()).status === 200 ? true : undefined), 15_000);
  });
});
