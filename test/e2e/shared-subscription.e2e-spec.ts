import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { topics, type HealthDto, type SessionDto } from '@ioc/contracts';
import { startMosquitto, type MosquittoBroker } from '../../bench/mosquitto-broker';
import { BUILT_SERVER, startBuiltServer, stopBuiltServer, type BuiltServer } from '../support/built-server';
import { api, connectDevice, eventually } from '../support/clients';
import { createScratchDatabase, type ScratchDatabase } from '../support/test-server';

jest.setTimeout(120_000);

const DEVICES = Array.from({ length: 8 }, (_, i) => `vt-aq-share-${i}`);
const MESSAGES_PER_DEVICE = 60;

/**
 * Two server processes subscribed to the same broker with $share: each message reaches exactly one
 * of them. The broker is a Mosquitto of the test's own, configured as docs/mqtt-brokers.md says
 * (the machine's keeps only 1,000 QoS 1 messages for a subscriber that falls behind).
 */
describe('two server nodes sharing the uplink subscriptions of an external broker', () => {
  let mosquitto: MosquittoBroker;
  let database: ScratchDatabase;
  let pool: Pool;
  const dataDirs: string[] = [];
  const servers: BuiltServer[] = [];

  const startNode = async (name: string) => {
    const dataDir = await mkdtemp(join(tmpdir(), `ioc-share-${name}-`));
    dataDirs.push(dataDir);
    const server = await startBuiltServer({
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      MQTT_URL: mosquitto.url,
      MQTT_SHARED_GROUP: 'ioc',
      MQTT_CLIENT_ID: `ioc-${name}-${randomBytes(3).toString('hex')}`,
      DATA_DIR: dataDir,
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
      IOC_DEMO_USERS: 'true',
      INGEST_FLUSH_MS: '20',
    });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    expect(existsSync(BUILT_SERVER)).toBe(true); // built by `npm test` before jest runs
    mosquitto = await startMosquitto('mosquitto');
    database = await createScratchDatabase();
    pool = new Pool({ connectionString: database.url, max: 1 });
  });
  afterAll(async () => {
    for (const server of servers) await stopBuiltServer(server.child);
    await pool?.end();
    await database?.drop();
    await mosquitto?.stop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it('splits the messages between the nodes and stores each exactly once', async () => {
    const first = await startNode('a');
    const login = await api<SessionDto>(first.url, 'POST', '/api/auth/login', { username: 'admin', password: 'admin-demo-2026' });
    for (const [i, id] of DEVICES.entries()) {
      const put = await api(
        first.url,
        'PUT',
        `/api/devices/${id}`,
        { kind: 'air_quality', name: `Quan trắc không khí Vị Thanh ${i + 1}`, lat: 9.78 + i / 1000, lng: 105.47 },
        login.body.accessToken,
      );
      expect(put.status).toBe(200);
    }
    // The second node reads the registry at start, after the devices exist.
    const second = await startNode('b');

    const base = Date.now() - 120_000;
    await Promise.all(
      DEVICES.map(async (id) => {
        const device = await connectDevice(mosquitto.url, id);
        for (let n = 0; n < MESSAGES_PER_DEVICE; n++) {
          await device.publishAsync(topics.telemetry(id), JSON.stringify({ ts: base + n * 1000, metrics: { pm25: n } }), { qos: 1 });
        }
        await device.endAsync();
      }),
    );

    const total = DEVICES.length * MESSAGES_PER_DEVICE;
    const stored = await eventually(async () => {
      const { rows } = await pool.query<{ rows: number; distinct: number }>(
        `SELECT count(*)::int AS rows, count(DISTINCT (device_key, time))::int AS distinct FROM telemetry`,
      );
      return rows[0].rows >= total ? rows[0] : undefined;
    }, 30_000);
    expect(stored).toEqual({ rows: total, distinct: total });

    const handled = await Promise.all(
      [first, second].map(async (s) => (await api<HealthDto>(s.url, 'GET', '/api/health')).body.ingest!.messages),
    );
    expect(handled[0]).toBeGreaterThan(0);
    expect(handled[1]).toBeGreaterThan(0);
    expect(handled[0] + handled[1]).toBe(total);
  });
});
