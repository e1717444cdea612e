import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceDto, HealthDto, SessionDto } from '@ioc/contracts';
import { freePort } from '../../libs/database/src/embedded-postgres';
import { api } from '../support/clients';
import { BUILT_SERVER, startBuiltServer as startBuilt, stopBuiltServer as stop, type BuiltServer } from '../support/built-server';

jest.setTimeout(120_000);

/** The built server with DATABASE_URL and MQTT_URL unset. */
function startBuiltServer(dataDir: string, env: Record<string, string> = {}): Promise<BuiltServer> {
  return startBuilt({
    HOST: '127.0.0.1',
    PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    EMBEDDED_PG_PORT: '0',
    DATA_DIR: dataDir,
    IOC_ADMIN_USERNAME: 'quantri',
    IOC_ADMIN_PASSWORD: 'first-admin-password',
    ...env,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the built server with nothing configured', () => {
  let dataDir: string;
  const running = new Set<ChildProcessWithoutNullStreams>();
  const start = async (dir: string, env: Record<string, string> = {}) => {
    const started = await startBuiltServer(dir, env);
    running.add(started.child);
    return started;
  };

  beforeAll(async () => {
    expect(existsSync(BUILT_SERVER)).toBe(true); // built by `npm test` before jest runs
    dataDir = await mkdtemp(join(tmpdir(), 'ioc-embedded-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) await stop(child);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs on its embedded PostgreSQL and broker, and keeps its data across a restart', async () => {
    const first = await start(dataDir);
    const { body: health } = await api<HealthDto>(first.url, 'GET', '/api/health');
    expect(health).toMatchObject({
      status: 'ok',
      database: { mode: 'embedded', up: true, timescaledb: false },
      mqtt: { mode: 'embedded', connected: true },
    });
    expect(health.database.engine).toMatch(/^PostgreSQL \d+/);
    const login = await api<SessionDto>(first.url, 'POST', '/api/auth/login', {
      username: 'quantri',
      password: 'first-admin-password',
    });
    expect(login.body.user.role).toBe('admin');
    const put = await api(
      first.url,
      'PUT',
      '/api/devices/vt-wl-01',
      { kind: 'water_level', name: 'Trạm đo mực nước Vị Thanh', lat: 9.78, lng: 105.47 },
      login.body.accessToken,
    );
    expect(put.status).toBe(200);
    expect(await stop(first.child)).toBe('SIGTERM');
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    const second = await start(dataDir);
    try {
      // The signing key is kept in DATA_DIR too: a session outlives a restart.
      const { body: device } = await api<DeviceDto>(second.url, 'GET', '/api/devices/vt-wl-01', undefined, login.body.accessToken);
      expect(device.name).toBe('Trạm đo mực nước Vị Thanh');
      expect(device.areas.map((a) => a.id)).toContain('vi-thanh');
    } finally {
      expect(await stop(second.child)).toBe('SIGTERM');
    }
  });

  it('starts again after being killed with kill -9, stopping the PostgreSQL it left running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ioc-killed-'));
    await chmod(dir, 0o755);
    // A fixed port, as in the demo: the leftover server holds it as well as the data directory.
    const env = { EMBEDDED_PG_PORT: String(await freePort()) };
    let leftover = 0;
    try {
      const first = await start(dir, env);
      const admin = await api<SessionDto>(first.url, 'POST', '/api/auth/login', {
        username: 'quantri',
        password: 'first-admin-password',
      });
      expect(admin.status).toBe(200);
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      leftover = Number((await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      expect(isAlive(leftover)).toBe(true);

      const second = await start(dir, env);
      try {
        expect(second.output()).toMatch(/stopping the embedded PostgreSQL \(pid \d+\) that an earlier server left running/);
        expect(isAlive(leftover)).toBe(false);
        const { body: health } = await api<HealthDto>(second.url, 'GET', '/api/health');
        expect(health).toMatchObject({ status: 'ok', database: { mode: 'embedded', up: true } });
        const me = await api(second.url, 'GET', '/api/auth/me', undefined, admin.body.accessToken);
        expect(me.status).toBe(200);
      } finally {
        expect(await stop(second.child)).toBe('SIGTERM');
      }
    } finally {
      if (leftover > 0 && isAlive(leftover)) process.kill(leftover, 'SIGINT');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a wrong setting and names the variable', async () => {
    const child = spawn(process.execPath, [BUILT_SERVER], {
      env: { PATH: process.env.PATH, PORT: 'eighty', DATABASE_URL: 'localhost:5432' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORT="eighty": must be a port number/);
    expect(stderr).toMatch(/DATABASE_URL="localhost:5432": must be a URL/);
  });
});
