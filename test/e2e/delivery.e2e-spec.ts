import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { topics, type HealthDto, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startMosquitto, type MosquittoBroker } from '../../bench/mosquitto-broker';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { healthyStatus } from '../support/engine';

jest.setTimeout(90_000);

const DEVICE = 'mt-wl-spool';

/** The database as the test PostgreSQL (DATABASE_URL) serves it, through a relay the test can cut. */
async function cuttableDatabase(): Promise<{ database: ScratchDatabase; proxy: TcpProxy }> {
  const database = await createScratchDatabase();
  const target = new URL(database.url);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  return { database, proxy };
}

async function provision(server: TestServer): Promise<{ token: string; device: MqttClient }> {
  const token = (await server.session('admin')).accessToken;
  const created = await api<ProvisionedDeviceDto>(
    server.baseUrl,
    'POST',
    '/api/devices',
    { id: DEVICE, kind: 'water_level', name: 'Mực nước sông Tiền, bến Mỹ Tho', lat: 10.35, lng: 106.36 },
    token,
  );
  expect(created.status).toBe(201);
  const device = await connectDevice(server.mqttUrl, DEVICE, { username: DEVICE, password: created.body.credentials.password });
  return { token, device };
}

/** Reading n of the run: a distinct timestamp each, so every one is a row of its own. */
const BASE = Date.now() - 60_000;
const reading = (n: number) => JSON.stringify({ ts: BASE + n, metrics: { water_level: 1 + n / 1000 } });

async function storedTimes(server: TestServer): Promise<number[]> {
  const { rows } = await server.pool.query<{ time: Date }>(
    `SELECT t.time FROM telemetry t JOIN devices d ON d.key = t.device_key WHERE d.id = $1 ORDER BY t.time`,
    [DEVICE],
  );
  return rows.map((r) => r.time.getTime() - BASE);
}

const health = async (server: TestServer) => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the database going away loses nothing', () => {
  let database: ScratchDatabase;
  let proxy: TcpProxy;
  let spoolDir: string;
  const open: (TestServer | MqttClient)[] = [];

  beforeEach(async () => {
    ({ database, proxy } = await cuttableDatabase());
    spoolDir = await mkdtemp(join(tmpdir(), 'ioc-spool-e2e-'));
  });
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) {
      if ('endAsync' in thing) await thing.endAsync(true);
      else await thing.close();
    }
    proxy.restore();
    await proxy.close();
    await database.drop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}) => {
    const server = await startTestServer(
      { SHUTDOWN_WRITE_GRACE_MS: '500', ...env },
      { database, databasePort: proxy.port, spoolDir },
    );
    open.push(server);
    return server;
  };

  it('stores every reading exactly once when the database is stopped mid-stream and comes back', async () => {
    const server = await start();
    const { device } = await provision(server);
    open.push(device);

    for (const n of range(0, 100)) await device.publishAsync(topics.telemetry(DEVICE), reading(n), { qos: 1 });
    await eventually(async () => ((await storedTimes(server)).length === 100 ? true : undefined));

    proxy.cut();
    // Every one of these is acknowledged while the database is away: the spool has it.
    for (const n of range(100, 300)) await device.publishAsync(topics.telemetry(DEVICE), reading(n), { qos: 1 });
    const during = await eventually(async () => {
      const h = await health(server);
      return h.spool && !h.spool.databaseWritable ? h : undefined;
    });
    expect(during.status).toBe('degraded');
    expect(during.spool).toMatchObject({ replaying: true, paused: false });
    expect(during.spool!.spoolBytes).toBeGreaterThan(0);
    expect(during.spool!.lastError).toEqual(expect.any(String));

    proxy.restore();
    for (const n of range(300, 400)) await device.publishAsync(topics.telemetry(DEVICE), reading(n), { qos: 1 });
    // A redelivered QoS 1 message (same device, metric and time) is stored once.
    await device.publishAsync(topics.telemetry(DEVICE), reading(150), { qos: 1, dup: true });

    const times = await eventually(async () => {
      const t = await storedTimes(server);
      return t.length >= 400 ? t : undefined;
    }, 30_000);
    expect(times).toEqual(range(0, 400));
    const after = await eventually(async () => {
      const h = await health(server);
      return h.spool?.databaseWritable && h.spool.spoolBytes === 0 ? h : undefined;
    }, 15_000);
    expect(after.status).toBe(healthyStatus(after));
    expect(after.ingest).toMatchObject({ samples: 401 });
  });

  it('keeps the status changes a device reports while the database is away', async () => {
    const server = await start();
    const { device } = await provision(server);
    open.push(device);
    await device.publishAsync(topics.telemetry(DEVICE), reading(0), { qos: 1 });
    await eventually(async () => ((await storedTimes(server)).length === 1 ? true : undefined));

    proxy.cut();
    for (const status of ['offline', 'online', 'offline']) {
      await device.publishAsync(topics.status(DEVICE), status, { qos: 1 });
      // Distinct times: a transition is keyed by its time.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await eventually(async () => ((await health(server)).spool?.databaseWritable === false ? true : undefined));
    proxy.restore();

    const stored = await eventually(async () => {
      const { rows } = await server.pool.query<{ type: string; reason: string; status: string }>(
        `SELECT e.type, e.attributes->>'reason' AS reason, d.status
           FROM device_events e JOIN devices d ON d.key = e.device_key
          WHERE d.id = $1 ORDER BY e.time`,
        [DEVICE],
      );
      return rows.length === 4 ? rows : undefined;
    }, 30_000);
    expect(stored.map((r) => [r.type, r.reason])).toEqual([
      ['went_online', 'data'],
      ['went_offline', 'reported'],
      ['went_online', 'reported'],
      ['went_offline', 'reported'],
    ]);
    expect(stored[0].status).toBe('offline');
  });

  it('writes what a stopped server left in its spool when it starts again, before taking new messages', async () => {
    const first = await start();
    const { device } = await provision(first);
    proxy.cut();
    for (const n of range(0, 250)) await device.publishAsync(topics.telemetry(DEVICE), reading(n), { qos: 1 });
    const left = (await health(first)).spool!;
    expect(left.spoolBytes).toBeGreaterThan(0);
    await device.endAsync(true);
    await first.close();
    open.splice(open.indexOf(first), 1);

    proxy.restore();
    const second = await start();
    // Replayed during start-up: the rows are there as soon as the server answers.
    expect(await storedTimes(second)).toEqual(range(0, 250));
    expect((await health(second)).spool).toMatchObject({ spoolBytes: 0, replaying: false });
  });

  it('stops acknowledging when the spool is full, and takes the held messages once it has room', async () => {
    const server = await start({ SPOOL_MAX_BYTES: '20000', SPOOL_SEGMENT_BYTES: '4096' });
    const { device } = await provision(server);
    open.push(device);
    proxy.cut();

    let acknowledged = 0;
    const publishes = range(0, 600).map((n) =>
      device.publishAsync(topics.telemetry(DEVICE), reading(n), { qos: 1 }).then(() => {
        acknowledged += 1;
      }),
    );
    const paused = await eventually(async () => {
      const h = await health(server);
      return h.spool?.paused ? h : undefined;
    });
    expect(paused.status).toBe('degraded');
    expect(paused.ingest!.pauses).toBe(1);
    // Held back, not dropped: the broker keeps the rest unacknowledged.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const heldAt = acknowledged;
    expect(heldAt).toBeLessThan(600);
    expect((await health(server)).spool!.spoolBytes).toBeGreaterThanOrEqual(20000);

    proxy.restore();
    await Promise.all(publishes);
    const times = await eventually(async () => {
      const t = await storedTimes(server);
      return t.length >= 600 ? t : undefined;
    }, 30_000);
    expect(times).toEqual(range(0, 600));
    expect((await health(server)).spool).toMatchObject({ paused: false, waiting: 0 });
  });

  describe('with an external broker', () => {
    let mosquitto: MosquittoBroker;
    beforeAll(async () => {
      mosquitto = await startMosquitto('mosquitto');
    });
    afterAll(() => mosquitto?.stop());

    it('acknowledges to the broker only what is durable: a node stopped while held back loses nothing', async () => {
      const env = { MQTT_URL: mosquitto.url, MQTT_CLIENT_ID: `ioc-durable-${process.pid}`, SPOOL_MAX_BYTES: '20000' };
      const first = await start(env);
      const token = (await first.session('admin')).accessToken;
      const put = await api(first.baseUrl, 'PUT', `/api/devices/${DEVICE}`, { kind: 'water_level', name: 'Mực nước kênh Xà No', lat: 9.78, lng: 105.47 }, token);
      expect(put.status).toBe(200);
      proxy.cut();
      // The broker acknowledges the device; the server takes what fits in its spool and then holds back.
      const device = await connectDevice(mosquitto.url, DEVICE);
      open.push(device);
      for (const n of range(0, 600)) await device.publishAsync(topics.telemetry(DEVICE), reading(n), { qos: 1 });
      const paused = await eventually(async () => {
        const h = await health(first);
        return h.spool?.paused ? h : undefined;
      });
      expect(paused.ingest!.messages).toBeLessThan(600);
      await first.close();
      open.splice(open.indexOf(first), 1);

      // The same node again: its spool first, then what the broker kept for its session.
      proxy.restore();
      const second = await start(env);
      const times = await eventually(async () => {
        const t = await storedTimes(second);
        return t.length >= 600 ? t : undefined;
      }, 30_000);
      expect(times).toEqual(range(0, 600));
    });
  });
});
