import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { parseTopic, type DeadLetterReason, type HealthDto, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';

jest.setTimeout(60_000);

interface Example {
  expect: 'accepted' | 'partly' | 'rejected';
  reason?: DeadLetterReason;
  topic: string;
  payload: string;
}

/** Every fenced example of docs/mqtt.md: ```json <accepted|partly|rejected=reason> <topic> */
function examples(): Example[] {
  const doc = readFileSync(join(__dirname, '../../docs/mqtt.md'), 'utf8');
  const found: Example[] = [];
  for (const m of doc.matchAll(/```(?:json|text) (accepted|partly|rejected=([a-z_]+)) (\S+)\n([\s\S]*?)\n```/g)) {
    found.push({ expect: m[1].startsWith('rejected') ? 'rejected' : (m[1] as Example['expect']), reason: m[2] as DeadLetterReason | undefined, topic: m[3], payload: m[4] });
  }
  return found;
}

const DEVICES = [
  { id: 'mt-wl-01', kind: 'water_level' },
  { id: 'gcd-sal-03', kind: 'salinity' },
  { id: 'mt-cam-01', kind: 'traffic_camera' },
  { id: 'gw-01', kind: 'gateway' },
  { id: 'mt-aq-07', kind: 'air_quality', gatewayId: 'gw-01' },
  { id: 'mt-aq-08', kind: 'air_quality', gatewayId: 'gw-01' },
  { id: 'mt-ws-05', kind: 'weather', senmlNames: ['urn:dev:ow:10e2073a01080063'] },
];

describe('every example of docs/mqtt.md, published verbatim to the real server', () => {
  let server: TestServer;
  let token: string;
  const clients = new Map<string, MqttClient>();
  const health = async () => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body.ingest!;

  beforeAll(async () => {
    // The examples carry fixed dates: let them stay acceptable for years.
    server = await startTestServer({ INGEST_MAX_AGE_S: String(10 * 365 * 24 * 3600) });
    token = (await server.session('admin')).accessToken;
    const metric = await api(server.baseUrl, 'POST', '/api/metrics', { name: 'voltage', unit: 'V', precision: 2, kinds: ['weather'] }, token);
    expect(metric.status).toBe(201);
    for (const d of DEVICES) {
      const res = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', { ...d, name: d.id, lat: 10.36, lng: 106.36 }, token);
      expect(res.status).toBe(201);
      clients.set(d.id, await connectDevice(server.mqttUrl, d.id, { username: d.id, password: res.body.credentials.password }));
    }
  });
  afterAll(async () => {
    for (const c of clients.values()) await c.endAsync();
    await server?.close();
  });

  it('finds the examples', () => {
    expect(examples().length).toBeGreaterThanOrEqual(15);
  });

  it.each(examples().map((e) => [`${e.expect}${e.reason ? `=${e.reason}` : ''} ${e.topic}: ${e.payload.slice(0, 60)}`, e]))('%s', async (_name, example) => {
    const { expect: outcome, reason, topic, payload } = example as Example;
    const parsed = parseTopic(topic)!;
    const sender = parsed.channel === 'gateway_telemetry' ? parsed.gatewayId : parsed.deviceId;
    const before = await health();
    await clients.get(sender)!.publishAsync(topic, payload, { qos: 1 });
    const after = await eventually(async () => {
      const now = await health();
      return now.messages > before.messages ? now : undefined;
    });
    const rejected = (h: typeof before) => Object.values(h.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const stored = (h: typeof before) => h.samples + h.events;
    switch (outcome) {
      case 'accepted':
        expect(rejected(after)).toBe(rejected(before));
        if (parsed.channel === 'telemetry' || parsed.channel === 'event' || parsed.channel === 'gateway_telemetry') {
          expect(stored(after)).toBeGreaterThan(stored(before));
        }
        break;
      case 'partly':
        expect(rejected(after)).toBeGreaterThan(rejected(before));
        expect(stored(after)).toBeGreaterThan(stored(before));
        break;
      case 'rejected':
        expect((after.rejected[reason!] ?? 0) - (before.rejected[reason!] ?? 0)).toBe(1);
        expect(stored(after)).toBe(stored(before));
    }
  });

  it("stored the RFC 8428 style packs under the device of the SenML name, in the catalogue's units", async () => {
    const { rows } = await server.pool.query<{ metric: string; value: number }>(
      `SELECT m.name AS metric, t.value FROM telemetry_values t JOIN devices d ON d.key = t.device_key JOIN metrics m ON m.id = t.metric_id
        WHERE d.id = 'mt-ws-05' ORDER BY m.name, t.time`,
    );
    expect(rows.map((r) => [r.metric, r.value])).toEqual([
      ['humidity', 81],
      ['temperature', 27.9],
      ['temperature', 28.1],
      ['voltage', 3.29],
      ['voltage', 3.281],
      ['voltage', 120.1],
    ]);
  });
});
