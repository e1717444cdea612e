import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { topics, type DeviceDto, type HealthDto, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';

jest.setTimeout(120_000);

const COUNT = 10_000;
const NOW = Date.now();

const deepNesting = fc.integer({ min: 10, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
const validTelemetry = fc.record({
  ts: fc.integer({ min: NOW - 3_600_000, max: NOW }),
  metrics: fc.record({ water_level: fc.double({ min: -5, max: 10, noNaN: true }) }),
});
/** Every shape of trouble a device or a broken gateway can send, and some good messages among them. */
const payloads: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  validTelemetry.chain((t) => fc.integer({ min: 0, max: 40 }).map((cut) => JSON.stringify(t).slice(0, cut))),
  deepNesting,
  fc.integer({ min: 60_000, max: 80_000 }).map((n) => JSON.stringify({ ts: NOW, metrics: { water_level: 1 }, note: 'x'.repeat(n) })),
  fc.constantFrom('{"ts":1,"metrics":{"water_level":NaN}}', '{"ts":1,"metrics":{"water_level":Infinity}}', `{"ts":${NOW},"metrics":{"water_level":1e999}}`),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ ts: fc.oneof(fc.string(), fc.double(), fc.constant(null)), metrics: fc.dictionary(fc.string(), fc.jsonValue()) }).map((v) => JSON.stringify(v)),
  fc.array(fc.record({ n: fc.string(), v: fc.oneof(fc.double(), fc.string()), t: fc.double(), bn: fc.string() }, { requiredKeys: [] })).map((v) =>
    JSON.stringify(v),
  ),
  fc.string({ unit: 'binary', maxLength: 300 }),
  validTelemetry.map((v) => JSON.stringify(v)),
);
const channels = fc.constantFrom('telemetry', 'event', 'status', 'gateway');

describe(`${COUNT} fuzzed payloads`, () => {
  let server: TestServer;
  let token: string;
  const clients = new Map<string, MqttClient>();

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('admin')).accessToken;
    for (const d of [
      { id: 'mt-wl-01', kind: 'water_level' },
      { id: 'gw-01', kind: 'gateway' },
    ]) {
      const res = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', { ...d, name: d.id, lat: 10.36, lng: 106.36 }, token);
      clients.set(d.id, await connectDevice(server.mqttUrl, d.id, { username: d.id, password: res.body.credentials.password }));
    }
  });
  afterAll(async () => {
    for (const c of clients.values()) await c.endAsync();
    await server?.close();
  });

  it('crashes nothing, and every one is stored or dead-lettered', async () => {
    const cases = fc.sample(fc.tuple(channels, payloads), { numRuns: COUNT, seed: 20261123 });
    const wl = clients.get('mt-wl-01')!;
    const gw = clients.get('gw-01')!;
    await Promise.all(
      cases.map(([channel, payload]) => {
        const body = typeof payload === 'string' ? payload : Buffer.from(payload);
        if (channel === 'gateway') return gw.publishAsync(topics.gatewayTelemetry('gw-01'), body, { qos: 1 });
        const topic = channel === 'telemetry' ? topics.telemetry('mt-wl-01') : channel === 'event' ? topics.event('mt-wl-01') : topics.status('mt-wl-01');
        return wl.publishAsync(topic, body, { qos: 1 });
      }),
    );
    const ingest = await eventually(async () => {
      const { body } = await api<HealthDto>(server.baseUrl, 'GET', '/api/health');
      return body.ingest!.messages >= COUNT ? body.ingest! : undefined;
    }, 60_000);
    expect(ingest.messages).toBe(COUNT);
    expect(ingest.accepted + ingest.refused).toBe(COUNT);
    expect(ingest.refused).toBeGreaterThan(COUNT / 2);
    expect(ingest.accepted).toBeGreaterThan(0);

    const letters = Object.values(ingest.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const rows = await eventually(async () => {
      const { rows } = await server.pool.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters');
      return Number(rows[0].n) >= letters ? Number(rows[0].n) : undefined;
    }, 30_000);
    expect(rows).toBe(letters);

    // Still serving: a good reading after the storm is stored.
    await wl.publishAsync(topics.telemetry('mt-wl-01'), JSON.stringify({ ts: Date.now(), metrics: { water_level: 1.234 } }), { qos: 1 });
    await eventually(async () => {
      const { body } = await api<DeviceDto>(server.baseUrl, 'GET', '/api/devices/mt-wl-01', undefined, token);
      return body.latest.water_level?.value === 1.234 ? true : undefined;
    });
  });
});
