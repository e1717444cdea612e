import { loadConfig } from '@ioc/config';
import { MetricCatalogue, builtInMetrics } from '@ioc/devices';
import type { ResolvedDevice } from '@ioc/common';
import { decodeMessage, type Decoded, type IngestRegistry } from './decode';
import { ingestLimits } from './limits';

const NOW = Date.parse('2026-11-23T07:00:00Z');
const limits = ingestLimits(
  loadConfig({ MQTT_MAX_PAYLOAD_BYTES: '1024', INGEST_MAX_FUTURE_S: '300', INGEST_MAX_AGE_S: '86400', INGEST_MAX_JSON_DEPTH: '6' }),
);
const devices: ResolvedDevice[] = (
  [
    ['mt-wl-01', 'water_level', null],
    ['mt-cam-01', 'traffic_camera', null],
    ['gw-01', 'gateway', null],
    ['mt-aq-07', 'air_quality', 'gw-01'],
    ['mt-aq-08', 'air_quality', 'gw-02'],
    ['mt-ws-01', 'weather', null],
    ['mt-ws-02', 'weather', 'gw-01'],
  ] as const
).map(([id, kind, gatewayId], i) => ({ id, key: i + 1, kind, gatewayId, name: id, areaIds: [] }));
const senmlNames: Record<string, string> = {
  'urn:dev:ow:10e2073a01080063': 'mt-ws-01',
  'urn:dev:ow:10e2073a01080064': 'mt-ws-02',
  'urn:dev:mac:0024befffe804ff1': 'mt-aq-08',
};
const catalogue = new MetricCatalogue(builtInMetrics().map((m, i) => ({ ...m, id: i + 1 })));
const registry: IngestRegistry = {
  device: (id) => devices.find((d) => d.id === id),
  withSenmlName: (name) => devices.find((d) => d.id === senmlNames[name]),
  metric: (name) => catalogue.get(name),
  metricsOf: (kind) => catalogue.metricsOf(kind),
};
const decode = (topic: string, payload: string | Buffer | object) =>
  decodeMessage(
    topic,
    Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    registry,
    limits,
    NOW,
  );
const reasonOf = (d: Decoded) => (d.kind === 'rejected' ? d.rejection.reason : d.kind);
const samplesOf = (d: Decoded) => (d.kind === 'samples' ? d.samples.map((s) => [s.deviceId, s.metric, s.value, s.ts]) : []);
const rejectionsOf = (d: Decoded) => (d.kind === 'samples' ? d.rejections.map((r) => [r.reason, r.deviceId]) : []);

describe('decodeMessage: telemetry', () => {
  it('turns native JSON into one sample per metric, with an ISO timestamp', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', '{"ts":"2026-11-23T13:59:00+07:00","seq":4,"metrics":{"water_level":1.42,"battery":88}}');
    const ts = Date.parse('2026-11-23T06:59:00Z');
    const device = devices[0];
    expect(d).toEqual({
      kind: 'samples',
      rejections: [],
      samples: [
        { deviceId: 'mt-wl-01', metric: 'water_level', ts, value: 1.42, device, metricId: catalogue.get('water_level')!.id },
        { deviceId: 'mt-wl-01', metric: 'battery', ts, value: 88, device, metricId: catalogue.get('battery')!.id },
      ],
    });
    // The registry's own record travels on, so nothing downstream looks the device up again.
    expect(d.kind === 'samples' && d.samples[0].device).toBe(device);
  });

  it('takes epoch milliseconds as the timestamp', () => {
    expect(samplesOf(decode('ioc/v1/mt-wl-01/telemetry', { ts: NOW - 1000, metrics: { water_level: 0.5 } }))).toEqual([
      ['mt-wl-01', 'water_level', 0.5, NOW - 1000],
    ]);
  });

  it('keeps the allowed metrics and dead-letters unknown ones and those not allowed for the kind', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', { ts: NOW, metrics: { water_level: 1, flux_capacitor: 2, pm25: 3 } });
    expect(samplesOf(d)).toEqual([['mt-wl-01', 'water_level', 1, NOW]]);
    expect(d.kind === 'samples' && d.rejections.map((r) => r.message)).toEqual([
      'unknown metrics dropped: flux_capacitor',
      'metrics not allowed for a water_level device dropped: pm25',
    ]);
  });

  it('takes a SenML pack on the device topic', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', [{ bn: 'mt-wl-01/', bt: NOW / 1000, n: 'water_level', u: 'm', v: 1.5 }]);
    expect(samplesOf(d)).toEqual([['mt-wl-01', 'water_level', 1.5, NOW]]);
  });

  it('refuses SenML records that name another device than the topic, keeping the rest', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', [
      { bt: NOW / 1000, n: 'water_level', v: 1.5 },
      { n: 'mt-aq-07/pm25', v: 30 },
    ]);
    expect(samplesOf(d)).toEqual([['mt-wl-01', 'water_level', 1.5, NOW]]);
    expect(rejectionsOf(d)).toEqual([['not_a_child', 'mt-aq-07']]);
  });

  it('reads a record named by a registered SenML name, choosing the metric by its unit among those of the kind', () => {
    const d = decode('ioc/v1/mt-ws-01/telemetry', [
      { bn: 'urn:dev:ow:10e2073a01080063', bt: NOW / 1000, u: 'K', v: 296.25 },
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'wind_speed', u: 'km/h', v: 18 },
    ]);
    expect(samplesOf(d)).toEqual([
      ['mt-ws-01', 'temperature', 23.1, NOW],
      ['mt-ws-01', 'wind_speed', 5, NOW],
    ]);
  });

  it('keeps the ACL: a device may not publish records under the SenML name of another', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', [
      { bt: NOW / 1000, n: 'water_level', v: 1.5 },
      { n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 },
    ]);
    expect(samplesOf(d)).toEqual([['mt-wl-01', 'water_level', 1.5, NOW]]);
    expect(rejectionsOf(d)).toEqual([['not_a_child', 'mt-ws-01']]);
  });

  it('files a pack whose names resolve to no device under the device whose topic carried it', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', [{ n: 'Not A Device/water_level', v: 1 }]);
    expect(d).toEqual({ kind: 'rejected', rejection: { reason: 'invalid_payload', message: expect.any(String), deviceId: 'mt-wl-01' } });
    const version = decode('ioc/v1/gateway/gw-01/telemetry', [{ bver: 11, n: 'mt-aq-07/pm25', v: 1 }]);
    expect(version).toEqual({ kind: 'rejected', rejection: { reason: 'unsupported', message: expect.any(String), deviceId: 'gw-01' } });
  });
});

describe('decodeMessage: gateways', () => {
  it('accepts readings of registered children, each with its own or the message timestamp', () => {
    const d = decode('ioc/v1/gateway/gw-01/telemetry', {
      ts: NOW,
      readings: [
        { deviceId: 'mt-aq-07', metrics: { pm25: 21 } },
        { deviceId: 'mt-aq-07', ts: NOW - 60_000, metrics: { pm25: 19 } },
      ],
    });
    expect(samplesOf(d)).toEqual([
      ['mt-aq-07', 'pm25', 21, NOW],
      ['mt-aq-07', 'pm25', 19, NOW - 60_000],
    ]);
  });

  it('dead-letters readings for devices that are not its children, keeping the others', () => {
    const d = decode('ioc/v1/gateway/gw-01/telemetry', {
      ts: NOW,
      readings: [
        { deviceId: 'mt-aq-07', metrics: { pm25: 21 } },
        { deviceId: 'mt-aq-08', metrics: { pm25: 99 } },
        { deviceId: 'mt-wl-01', metrics: { water_level: 9 } },
      ],
    });
    expect(samplesOf(d)).toEqual([['mt-aq-07', 'pm25', 21, NOW]]);
    expect(rejectionsOf(d)).toEqual([
      ['not_a_child', 'mt-aq-08'],
      ['not_a_child', 'mt-wl-01'],
    ]);
  });

  it('takes a SenML pack naming its children', () => {
    const d = decode('ioc/v1/gateway/gw-01/telemetry', [{ bn: 'urn:dev:ioc:mt-aq-07:', bt: NOW / 1000, n: 'pm25', v: 12 }]);
    expect(samplesOf(d)).toEqual([['mt-aq-07', 'pm25', 12, NOW]]);
  });

  it('takes SenML names of its registered children, and refuses those of devices behind another gateway', () => {
    const d = decode('ioc/v1/gateway/gw-01/telemetry', [
      { bn: 'urn:dev:ow:10e2073a01080064', bt: NOW / 1000, u: 'Cel', v: 30 },
      { bn: 'urn:dev:mac:0024befffe804ff1:', n: 'pm25', v: 12 },
    ]);
    expect(samplesOf(d)).toEqual([['mt-ws-02', 'temperature', 30, NOW]]);
    expect(rejectionsOf(d)).toEqual([['not_a_child', 'mt-aq-08']]);
  });

  it('refuses a gateway topic from a device that is not a gateway', () => {
    expect(reasonOf(decode('ioc/v1/gateway/mt-wl-01/telemetry', { ts: NOW, readings: [{ deviceId: 'mt-aq-07', metrics: { pm25: 1 } }] }))).toBe(
      'not_a_child',
    );
  });
});

describe('decodeMessage: events and status', () => {
  it('reads a camera analytics event', () => {
    const d = decode('ioc/v1/mt-cam-01/event', {
      ts: NOW,
      type: 'congestion',
      confidence: 0.87,
      snapshotUrl: 'https://cam.mytho.example.vn/snap/123.jpg',
      attributes: { lane: 2, direction: 'Ấp Bắc -> Lê Văn Phẩm' },
    });
    expect(d).toEqual({
      kind: 'event',
      device: devices[1],
      event: {
        deviceId: 'mt-cam-01',
        type: 'congestion',
        ts: NOW,
        confidence: 0.87,
        snapshotUrl: 'https://cam.mytho.example.vn/snap/123.jpg',
        attributes: { lane: 2, direction: 'Ấp Bắc -> Lê Văn Phẩm' },
      },
    });
  });

  it('reads a command acknowledgement', () => {
    const ack = { id: '8b7f0a3e-2d7c-4c1a-9a55-3f9c2f6d1b20', status: 'error', message: 'amplifier overheated' };
    expect(decode('ioc/v1/mt-wl-01/command/ack', ack)).toEqual({ kind: 'ack', deviceId: 'mt-wl-01', ack });
  });

  it.each(['online', 'offline', ' offline\n'])('reads the status word %j', (word) => {
    expect(decode('ioc/v1/mt-wl-01/status', word)).toEqual({ kind: 'status', device: devices[0], status: word.trim() });
  });
});

describe('decodeMessage: invalid messages become rejections with a reason', () => {
  const valid = (extra: object) => JSON.stringify({ ts: NOW, metrics: { water_level: 1 }, ...extra });
  const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });
  it.each([
    ['a topic outside the contract', 'city/mt-wl-01/telemetry', valid({}), 'bad_topic'],
    ['an upper-case device id', 'ioc/v1/MT-WL-01/telemetry', valid({}), 'bad_topic'],
    ['an unknown channel', 'ioc/v1/mt-wl-01/firmware', valid({}), 'bad_topic'],
    ['an unregistered device', 'ioc/v1/nobody/telemetry', valid({}), 'unknown_device'],
    ['a payload over the size limit', 'ioc/v1/mt-wl-01/telemetry', 'x'.repeat(2000), 'payload_too_large'],
    ['truncated JSON', 'ioc/v1/mt-wl-01/telemetry', '{"ts": 1, "metrics": {', 'invalid_json'],
    ['bytes that are not text', 'ioc/v1/mt-wl-01/telemetry', Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'invalid_json'],
    ['JSON nested too deep', 'ioc/v1/mt-wl-01/telemetry', JSON.stringify({ ts: NOW, metrics: deep(10) }), 'invalid_payload'],
    ['a JSON number', 'ioc/v1/mt-wl-01/telemetry', '42', 'invalid_payload'],
    ['no timestamp', 'ioc/v1/mt-wl-01/telemetry', '{"metrics":{"water_level":1}}', 'invalid_payload'],
    ['a timestamp that is not a date', 'ioc/v1/mt-wl-01/telemetry', valid({ ts: 'yesterday' }), 'invalid_payload'],
    ['a timestamp far in the future', 'ioc/v1/mt-wl-01/telemetry', valid({ ts: NOW + 3_600_000 }), 'bad_timestamp'],
    ['a timestamp too old', 'ioc/v1/mt-wl-01/telemetry', valid({ ts: NOW - 2 * 86_400_000 }), 'bad_timestamp'],
    ['a value that is text', 'ioc/v1/mt-wl-01/telemetry', valid({ metrics: { water_level: '1.2' } }), 'invalid_payload'],
    ['an empty metrics object', 'ioc/v1/mt-wl-01/telemetry', valid({ metrics: {} }), 'invalid_payload'],
    ['a value of 1e999 (Infinity)', 'ioc/v1/mt-wl-01/telemetry', `{"ts":${NOW},"metrics":{"water_level":1e999}}`, 'invalid_payload'],
    ['an unexpected field', 'ioc/v1/mt-wl-01/telemetry', valid({ extra: true }), 'invalid_payload'],
    ['only metrics the kind may not send', 'ioc/v1/mt-wl-01/telemetry', valid({ metrics: { pm25: 3 } }), 'metric_not_allowed'],
    ['a status that is not a status word', 'ioc/v1/mt-wl-01/status', 'sleeping', 'invalid_payload'],
    ['an event of an unknown type', 'ioc/v1/mt-cam-01/event', { ts: NOW, type: 'alien_landing' }, 'invalid_payload'],
    ['an event with a confidence over 1', 'ioc/v1/mt-cam-01/event', { ts: NOW, type: 'accident', confidence: 1.2 }, 'invalid_payload'],
    ['an event snapshot that is not a web address', 'ioc/v1/mt-cam-01/event', { ts: NOW, type: 'accident', snapshotUrl: 'file:///etc/passwd' }, 'invalid_payload'],
    ['an event from the future', 'ioc/v1/mt-cam-01/event', { ts: NOW + 3_600_000, type: 'accident' }, 'bad_timestamp'],
    ['a gateway message without readings', 'ioc/v1/gateway/gw-01/telemetry', { ts: NOW, readings: [] }, 'invalid_payload'],
    ['a gateway reading without any timestamp', 'ioc/v1/gateway/gw-01/telemetry', { readings: [{ deviceId: 'mt-aq-07', metrics: { pm25: 1 } }] }, 'invalid_payload'],
    ['an acknowledgement without the command id', 'ioc/v1/mt-wl-01/command/ack', '{"status": "ok"}', 'invalid_payload'],
    ['an acknowledgement with an unknown status', 'ioc/v1/mt-wl-01/command/ack', '{"id": "8b7f0a3e-2d7c-4c1a-9a55-3f9c2f6d1b20", "status": "maybe"}', 'invalid_payload'],
  ])('%s', (_what, topic, payload, reason) => {
    expect(reasonOf(decode(topic, payload as string))).toBe(reason);
  });

  it('names the field at fault in the message', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', valid({ metrics: { water_level: '1.2' } }));
    expect(d.kind === 'rejected' && d.rejection.message).toMatch(/metrics\.water_level/);
  });
});
