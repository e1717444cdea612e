import { decodeMessage, type Decoded, type IngestLimits } from './decode';

const NOW = Date.parse('2026-11-23T07:00:00Z');
const limits: IngestLimits = { maxPayloadBytes: 1024, maxFutureMs: 5 * 60_000, maxAgeMs: 86_400_000 };
const known = new Set(['mt-wl-01']);
const decode = (topic: string, payload: string | Buffer) =>
  decodeMessage(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), (id) => known.has(id), limits, NOW);
const reasonOf = (d: Decoded) => (d.kind === 'rejected' ? d.rejection.reason : d.kind);

describe('decodeMessage: valid messages', () => {
  it('turns native JSON telemetry into one sample per metric, with an ISO timestamp', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', '{"ts":"2026-11-23T13:59:00+07:00","seq":4,"metrics":{"water_level":1.42,"battery":88}}');
    expect(d).toEqual({
      kind: 'telemetry',
      deviceId: 'mt-wl-01',
      rejections: [],
      samples: [
        { deviceId: 'mt-wl-01', metric: 'water_level', ts: Date.parse('2026-11-23T06:59:00Z'), value: 1.42 },
        { deviceId: 'mt-wl-01', metric: 'battery', ts: Date.parse('2026-11-23T06:59:00Z'), value: 88 },
      ],
    });
  });

  it('takes epoch milliseconds as the timestamp', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', JSON.stringify({ ts: NOW - 1000, metrics: { water_level: 0.5 } }));
    expect(d.kind === 'telemetry' && d.samples[0].ts).toBe(NOW - 1000);
  });

  it.each(['online', 'offline', ' offline\n'])('reads the status word %j', (word) => {
    expect(decode('ioc/v1/mt-wl-01/status', word)).toEqual({
      kind: 'status',
      deviceId: 'mt-wl-01',
      status: word.trim(),
    });
  });

  it('keeps the known metrics of a message and says which unknown ones it dropped', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', JSON.stringify({ ts: NOW, metrics: { water_level: 1, flux_capacitor: 2 } }));
    expect(d.kind).toBe('telemetry');
    if (d.kind !== 'telemetry') return;
    expect(d.samples.map((s) => s.metric)).toEqual(['water_level']);
    expect(d.rejections).toEqual([
      { reason: 'unknown_metric', message: 'unknown metrics dropped: flux_capacitor', deviceId: 'mt-wl-01' },
    ]);
  });
});

describe('decodeMessage: invalid messages become rejections with a reason', () => {
  const valid = (extra: object) => JSON.stringify({ ts: NOW, metrics: { water_level: 1 }, ...extra });
  it.each([
    ['a topic outside the contract', 'city/mt-wl-01/telemetry', valid({}), 'bad_topic'],
    ['an upper-case device id', 'ioc/v1/MT-WL-01/telemetry', valid({}), 'bad_topic'],
    ['an unknown channel', 'ioc/v1/mt-wl-01/firmware', valid({}), 'bad_topic'],
    ['an unregistered device', 'ioc/v1/nobody/telemetry', valid({}), 'unknown_device'],
    ['a payload over the size limit', 'ioc/v1/mt-wl-01/telemetry', 'x'.repeat(2000), 'payload_too_large'],
    ['truncated JSON', 'ioc/v1/mt-wl-01/telemetry', '{"ts": 1, "metrics": {', 'invalid_json'],
    ['bytes that are not text', 'ioc/v1/mt-wl-01/telemetry', Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'invalid_json'],
    ['a JSON array', 'ioc/v1/mt-wl-01/telemetry', '[1,2]', 'invalid_payload'],
    ['no timestamp', 'ioc/v1/mt-wl-01/telemetry', '{"metrics":{"water_level":1}}', 'invalid_payload'],
    ['a timestamp that is not a date', 'ioc/v1/mt-wl-01/telemetry', valid({ ts: 'yesterday' }), 'invalid_payload'],
    ['a timestamp far in the future', 'ioc/v1/mt-wl-01/telemetry', valid({ ts: NOW + 3_600_000 }), 'invalid_payload'],
    ['a timestamp too old', 'ioc/v1/mt-wl-01/telemetry', valid({ ts: NOW - 2 * 86_400_000 }), 'invalid_payload'],
    ['a value that is text', 'ioc/v1/mt-wl-01/telemetry', valid({ metrics: { water_level: '1.2' } }), 'invalid_payload'],
    ['an empty metrics object', 'ioc/v1/mt-wl-01/telemetry', valid({ metrics: {} }), 'invalid_payload'],
    ['a value of 1e999 (Infinity)', 'ioc/v1/mt-wl-01/telemetry', `{"ts":${NOW},"metrics":{"water_level":1e999}}`, 'invalid_payload'],
    ['an unexpected field', 'ioc/v1/mt-wl-01/telemetry', valid({ extra: true }), 'invalid_payload'],
    ['a status that is not a status word', 'ioc/v1/mt-wl-01/status', 'sleeping', 'invalid_payload'],
    ['a gateway message', 'ioc/v1/gateway/gw-01/telemetry', valid({}), 'unsupported'],
  ])('%s', (_what, topic, payload, reason) => {
    expect(reasonOf(decode(topic, payload))).toBe(reason);
  });

  it('names the field at fault in the message', () => {
    const d = decode('ioc/v1/mt-wl-01/telemetry', valid({ metrics: { water_level: '1.2' } }));
    expect(d.kind === 'rejected' && d.rejection.message).toMatch(/metrics\.water_level/);
  });
});
