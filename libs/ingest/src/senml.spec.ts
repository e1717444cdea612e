import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceKind, Sample } from '@ioc/contracts';
import { MetricCatalogue, builtInMetrics } from '@ioc/devices';
import { decodeSenml, type SenmlOptions, type SenmlRejection, type SenmlResult } from './senml';

const NOW = Date.parse('2026-11-23T07:00:00Z');
const RELATIVE_LIMIT = 2 ** 28;
const catalogue = new MetricCatalogue(builtInMetrics().map((m, i) => ({ ...m, id: i + 1 })));

/** What a pack is read against: registered SenML names, the kinds of devices (any metric when unset), metrics added to the catalogue. */
interface Registry {
  senmlNames?: Record<string, string>;
  kinds?: Record<string, DeviceKind>;
  metrics?: Record<string, string>;
}

function options(topicDeviceId: string | null, now: number, registry: Registry = {}): SenmlOptions {
  return {
    topicDeviceId,
    now,
    deviceOfName: (name) => registry.senmlNames?.[name],
    unitOf: (metric) => registry.metrics?.[metric] ?? catalogue.get(metric)?.unit,
    metricsOf: (deviceId) => {
      const kind = registry.kinds?.[deviceId];
      return kind ? catalogue.metricsOf(kind) : catalogue.list().map((m) => m.name);
    },
  };
}

const decode = (pack: unknown[], topicDeviceId: string | null = 'mt-wl-01', now = NOW, registry?: Registry): SenmlResult =>
  decodeSenml(pack, options(topicDeviceId, now, registry));
/** Through JSON.parse, as the ingest does: the only way to meet 1e999 (Infinity). */
const decodeText = (text: string, topicDeviceId: string | null = 'mt-wl-01'): SenmlResult =>
  decode(JSON.parse(text) as unknown[], topicDeviceId);
const sample = (metric: string, value: number, ts = NOW, deviceId = 'mt-wl-01'): Sample => ({ deviceId, metric, ts, value });
const reasons = (r: SenmlResult) => r.rejections.map(({ index, reason }) => [index, reason]);

interface Fixture extends Registry {
  description: string;
  now: number;
  topicDeviceId: string | null;
  pack: unknown[];
  samples: Sample[];
  rejections?: Omit<SenmlRejection, 'message'>[];
}

function fixtures(kind: 'ok' | 'not-ok'): [string, Fixture][] {
  const dir = join(__dirname, 'fixtures', 'senml', kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture]);
}

describe('decodeSenml: fixtures', () => {
  const ok = fixtures('ok');
  const notOk = fixtures('not-ok');

  it('has as many invalid packs as valid ones', () => {
    expect(ok.length).toBeGreaterThan(0);
    expect(notOk.length).toBeGreaterThanOrEqual(ok.length);
  });

  it.each(ok)('ok/%s', (_file, f) => {
    expect(decodeSenml(f.pack, options(f.topicDeviceId, f.now, f))).toEqual({ samples: f.samples, rejections: [] });
  });

  it.each(notOk)('not-ok/%s', (_file, f) => {
    const result = decodeSenml(f.pack, options(f.topicDeviceId, f.now, f));
    expect(result.samples).toEqual(f.samples);
    expect(result.rejections).toEqual((f.rejections ?? []).map((r) => ({ ...r, message: expect.any(String) })));
    expect(f.rejections?.length).toBeGreaterThan(0);
  });
});

describe('decodeSenml: names', () => {
  it.each([
    ['urn:dev:ioc:mt-wl-02:water_level', 'mt-wl-02'],
    ['urn:dev:ioc:mt-wl-02/water_level', 'mt-wl-02'],
    ['mt-wl-02/water_level', 'mt-wl-02'],
    ['mt-wl-02:water_level', 'mt-wl-02'],
    ['water_level', 'mt-wl-01'],
    ['urn:dev:ioc:water_level', 'mt-wl-01'],
  ])('%s is a reading of %s', (n, deviceId) => {
    expect(decode([{ n, v: 1 }])).toEqual({ samples: [sample('water_level', 1, NOW, deviceId)], rejections: [] });
  });

  it('joins bn and n before splitting, and the last separator decides', () => {
    expect(decode([{ bn: 'urn:dev:ioc:gcd-sal-03', n: ':salinity', v: 5 }]).samples).toEqual([sample('salinity', 5, NOW, 'gcd-sal-03')]);
    expect(decode([{ bn: 'gcd-sal-03/sal', n: 'inity', v: 5 }]).samples).toEqual([sample('salinity', 5, NOW, 'gcd-sal-03')]);
  });

  it('reports another device named on a device topic as that device: the caller decides', () => {
    expect(decode([{ n: 'mt-wl-09/water_level', v: 1 }], 'mt-wl-01').samples).toEqual([sample('water_level', 1, NOW, 'mt-wl-09')]);
  });

  it.each([
    ['an upper-case device id', 'MT-WL-01/water_level', null],
    ['a device path', 'district-1/mt-wl-01/water_level', null],
    ['another URN scheme', 'urn:dev:mac:0024befffe804ff1:temperature', null],
    ['an empty device id', '/water_level', null],
    ['a metric with a space', 'mt-wl-01/water level', 'mt-wl-01'],
    ['an upper-case metric', 'mt-wl-01/Water_Level', 'mt-wl-01'],
    ['an empty metric', 'mt-wl-01/', 'mt-wl-01'],
  ])('rejects %s (%s) as invalid_payload, naming it', (_what, n, deviceId) => {
    const { samples, rejections } = decode([{ n, v: 1 }]);
    expect(samples).toEqual([]);
    expect(rejections).toEqual([{ index: 0, reason: 'invalid_payload', message: expect.stringContaining(n), deviceId }]);
  });

  it('rejects a record with no name at all', () => {
    expect(decode([{ v: 1 }]).rejections).toEqual([{ index: 0, reason: 'invalid_payload', message: expect.stringMatching(/no name/), deviceId: null }]);
  });

  it('needs device names on a gateway topic', () => {
    const { rejections } = decode([{ n: 'water_level', v: 1 }], null);
    expect(rejections).toEqual([
      { index: 0, reason: 'invalid_payload', message: expect.stringContaining('a gateway pack names each device in its names'), deviceId: null },
    ]);
  });

  it('rejects a metric outside the catalogue as unknown_metric, keeping the device', () => {
    expect(decode([{ n: 'mt-wl-01/flux_capacitor', v: 1.21 }]).rejections).toEqual([
      { index: 0, reason: 'unknown_metric', message: expect.stringContaining('flux_capacitor'), deviceId: 'mt-wl-01' },
    ]);
  });

  it('keeps the records of several devices in one pack apart', () => {
    const { samples } = decode(
      [
        { bn: 'mt-aq-01/', n: 'pm25', v: 10 },
        { n: 'pm10', v: 20 },
        { bn: 'mt-aq-02/', n: 'pm25', v: 30 },
        { bn: 'urn:dev:ioc:mt-wl-04:', n: 'water_level', v: 0.7 },
      ],
      null,
    );
    expect(samples.map((s) => [s.deviceId, s.metric, s.value])).toEqual([
      ['mt-aq-01', 'pm25', 10],
      ['mt-aq-01', 'pm10', 20],
      ['mt-aq-02', 'pm25', 30],
      ['mt-wl-04', 'water_level', 0.7],
    ]);
  });
});

describe('decodeSenml: registered SenML names', () => {
  const registry: Registry = {
    senmlNames: { 'urn:dev:ow:10e2073a01080063': 'mt-ws-01', 'urn:dev:ow:10e2073a01080064:': 'mt-ws-02', 'mt-aq-01': 'mt-wl-01' },
    kinds: { 'mt-ws-01': 'weather', 'mt-ws-02': 'weather', 'mt-aq-09': 'air_quality' },
    metrics: { voltage: 'V' },
  };
  const read = (pack: unknown[]) => decode(pack, 'mt-ws-01', NOW, registry);

  it.each([
    ['the name alone, the metric chosen by the unit', { n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }, 'mt-ws-01', 'temperature', 23.1],
    ['the name alone in kelvin', { n: 'urn:dev:ow:10e2073a01080063', u: 'K', v: 300.15 }, 'mt-ws-01', 'temperature', 27],
    ['bn with a trailing colon and n the metric', { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'V', v: 120.1 }, 'mt-ws-01', 'voltage', 120.1],
    ['the name, a slash and the metric', { n: 'urn:dev:ow:10e2073a01080063/rainfall', u: 'mm', v: 2 }, 'mt-ws-01', 'rainfall', 2],
    ['a name registered with its trailing colon', { n: 'urn:dev:ow:10e2073a01080064:humidity', u: '%RH', v: 70 }, 'mt-ws-02', 'humidity', 70],
    ['a registered name that looks like a device id', { n: 'mt-aq-01/pm25', v: 3 }, 'mt-wl-01', 'pm25', 3],
  ])('resolves %s', (_what, record, deviceId, metric, value) => {
    expect(read([record])).toEqual({ samples: [sample(metric, value, NOW, deviceId)], rejections: [] });
  });

  it.each([
    ['a unit no metric of the kind has', { n: 'urn:dev:ow:10e2073a01080063', u: 'V', v: 3.3 }, 'unknown_metric', /none that mt-ws-01 may send is measured in V/],
    ['a unit that fits several metrics', { n: 'urn:dev:ow:10e2073a01080063', u: '%', v: 50 }, 'unknown_metric', /fits several .*humidity, battery/],
    ['no unit at all', { n: 'urn:dev:ow:10e2073a01080063', v: 23.1 }, 'invalid_payload', /no unit to choose/],
    ['a metric outside the catalogue', { bn: 'urn:dev:ow:10e2073a01080063:', n: 'current', u: 'A', v: 1.2 }, 'unknown_metric', /current is not in the metric catalogue/],
    ['a unit that does not convert', { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'A', v: 1.2 }, 'unit_mismatch', /unit A is not V/],
    ['a metric name of the wrong form', { bn: 'urn:dev:ow:10e2073a01080063:', n: 'Voltage', u: 'V', v: 1.2 }, 'invalid_payload', /Voltage is not a metric name/],
  ])('rejects %s, with the device', (_what, record, reason, message) => {
    expect(read([record])).toEqual({ samples: [], rejections: [{ index: 0, reason, message: expect.stringMatching(message), deviceId: 'mt-ws-01' }] });
  });

  it('does not take a name that only begins like a registered one', () => {
    expect(read([{ n: 'urn:dev:ow:10e2073a010800631:temperature', u: 'Cel', v: 1 }]).rejections).toEqual([
      { index: 0, reason: 'invalid_payload', message: expect.stringMatching(/neither a device id nor a registered SenML name/), deviceId: null },
    ]);
  });
});

describe('decodeSenml: time', () => {
  it('reads t = 0 and no time at all as now, negative t as the past, positive as the future', () => {
    const { samples } = decode([
      { n: 'water_level', v: 1 },
      { n: 'water_level', t: 0, v: 2 },
      { n: 'water_level', t: -90, v: 3 },
      { n: 'water_level', t: 5, v: 4 },
    ]);
    expect(samples.map((s) => s.ts)).toEqual([NOW, NOW, NOW - 90_000, NOW + 5_000]);
  });

  it('takes relative times from options.now, not from the machine clock', () => {
    const then = Date.parse('2001-01-01T00:00:00Z');
    expect(decode([{ n: 'water_level', t: -1, v: 1 }], 'mt-wl-01', then).samples[0].ts).toBe(then - 1000);
  });

  it.each([
    ['just below 2**28 s: relative', RELATIVE_LIMIT - 1, 0, NOW + (RELATIVE_LIMIT - 1) * 1000],
    ['exactly 2**28 s: absolute', RELATIVE_LIMIT, 0, RELATIVE_LIMIT * 1000],
    ['bt at 2**28 with t = -1: decided after adding, relative', RELATIVE_LIMIT, -1, NOW + (RELATIVE_LIMIT - 1) * 1000],
    ['bt below 2**28 with t lifting it over: absolute', RELATIVE_LIMIT - 10, 10, RELATIVE_LIMIT * 1000],
    ['a Unix time in seconds', 1_795_417_140, 0, 1_795_417_140_000],
    ['fractional seconds, rounded to the millisecond', 1_795_417_140, 0.0004, 1_795_417_140_000],
    ['fractional relative seconds', 0, -1.25, NOW - 1250],
  ])('%s', (_what, bt, t, ts) => {
    expect(decode([{ bt, n: 'water_level', t, v: 1 }]).samples).toEqual([sample('water_level', 1, ts)]);
  });

  it('reads the RFC 8428 example time 1.276020076001e9 to the millisecond', () => {
    expect(decode([{ bt: 1.276020076001e9, n: 'water_level', v: 1 }]).samples[0].ts).toBe(1_276_020_076_001);
  });
});

describe('decodeSenml: values and base values', () => {
  it('adds bv to v and carries bn, bt, bu and bv until a record overrides them', () => {
    const { samples, rejections } = decode([
      { bn: 'mt-wl-01/', bt: 1_795_417_000, bu: 'm', bv: 1, n: 'water_level', v: 0.25 },
      { n: 'water_level', t: 60, v: 0.5 },
      { bv: 10, n: 'water_level', v: -0.5 },
      { bn: 'mt-wl-02/', bt: -30, bu: 'Cel', bv: 0, n: 'temperature', v: 27 },
      { n: 'water_level', u: 'm', v: 1.1 },
    ]);
    expect(rejections).toEqual([]);
    expect(samples).toEqual([
      sample('water_level', 1.25, 1_795_417_000_000),
      sample('water_level', 1.5, 1_795_417_060_000),
      sample('water_level', 9.5, 1_795_417_000_000),
      sample('temperature', 27, NOW - 30_000, 'mt-wl-02'),
      sample('water_level', 1.1, NOW - 30_000, 'mt-wl-02'),
    ]);
  });

  it('stores vb as 1 or 0, without bv', () => {
    const { samples } = decode([{ bn: 'mt-cam-08/', bv: 5, n: 'stream_online', vb: true }, { n: 'stream_online', vb: false }]);
    expect(samples.map((s) => s.value)).toEqual([1, 0]);
  });

  it('lets a record that only sets base values produce nothing', () => {
    expect(decode([{ bn: 'mt-wl-01/', bt: -5 }, { bver: 10 }, { n: 'water_level', v: 1 }])).toEqual({
      samples: [sample('water_level', 1, NOW - 5000)],
      rejections: [],
    });
  });

  it.each([
    ['vs', { vs: 'high' }, /string value/],
    ['vd', { vd: 'AQID' }, /data value/],
    ['s', { s: 120 }, /sum/],
    ['s beside v', { s: 120, v: 1 }, /sum/],
  ])('rejects %s as unsupported, per record', (_what, value, message) => {
    const { samples, rejections } = decode([{ n: 'water_level', v: 1 }, { n: 'water_level', ...value }, { n: 'water_level', v: 2 }]);
    expect(samples.map((s) => s.value)).toEqual([1, 2]);
    expect(rejections).toEqual([{ index: 1, reason: 'unsupported', message: expect.stringMatching(message), deviceId: 'mt-wl-01' }]);
  });

  it('rejects two values in one record', () => {
    expect(reasons(decode([{ n: 'stream_online', v: 1, vb: true }]))).toEqual([[0, 'invalid_payload']]);
  });

  it.each([
    ['an empty object', {}],
    ['a name without a value', { n: 'water_level' }],
    ['a time without a value', { n: 'water_level', t: -5 }],
  ])('rejects %s: a record either sets base values or carries a value', (_what, record) => {
    expect(reasons(decode([record]))).toEqual([[0, 'invalid_payload']]);
  });

  it.each([
    ['v', '[{"n":"water_level","v":1e999}]'],
    ['negative v', '[{"n":"water_level","v":-1e999}]'],
    ['bv', '[{"bv":1e999,"n":"water_level","v":1}]'],
    ['bt', '[{"bt":1e999,"n":"water_level","v":1}]'],
    ['t', '[{"n":"water_level","t":-1e999,"v":1}]'],
    ['bv + v overflowing', '[{"bv":1e308,"n":"water_level","v":1e308}]'],
    ['bt + t overflowing', '[{"bt":1.7e308,"n":"water_level","t":1.7e308,"v":1}]'],
  ])('rejects an infinite %s', (_what, text) => {
    const { samples, rejections } = decodeText(text);
    expect(samples).toEqual([]);
    expect(rejections).toEqual([{ index: 0, reason: 'invalid_payload', message: expect.stringMatching(/finite/), deviceId: 'mt-wl-01' }]);
  });

  it('rejects an empty pack', () => {
    expect(reasons(decode([]))).toEqual([[0, 'invalid_payload']]);
  });
});

describe('decodeSenml: units', () => {
  it.each([
    ['water_level', 'm'],
    ['temperature', 'Cel'],
    ['temperature', '°C'],
    ['humidity', '%RH'],
    ['humidity', '%'],
    ['pm25', 'ug/m3'],
    ['pm10', 'µg/m³'],
    ['rainfall', 'mm'],
    ['wind_speed', 'm/s'],
    ['noise', 'dB'],
    ['noise', 'dBA'],
    ['power', 'W'],
    ['vehicle_count', '1/min'],
    ['vehicle_count', 'xe/phút'],
    ['stream_fps', '1/s'],
    ['salinity', 'ppt'],
    ['salinity', '‰'],
    ['salinity', '/1000'],
    ['dim_level', '%'],
    ['battery', '%EL'],
  ])('accepts %s in %s', (metric, u) => {
    expect(decode([{ n: metric, u, v: 1 }])).toEqual({ samples: [sample(metric, 1)], rejections: [] });
  });

  it.each([
    ['water_level', 'cm', 142, 1.42],
    ['water_level', 'mm', 1420, 1.42],
    ['temperature', 'K', 296.25, 23.1],
    ['humidity', '/', 0.82, 82],
    ['pm25', 'mg/m3', 0.035, 35],
    ['salinity', '%', 0.42, 4.2],
    ['salinity', 'g/kg', 4.2, 4.2],
    ['power', 'kW', 1.5, 1500],
    ['wind_speed', 'km/h', 36, 10],
    ['stream_bitrate', 'Mbit/s', 2.5, 2500],
  ])('converts %s in %s: %d is stored as %d', (metric, u, v, stored) => {
    expect(decode([{ n: metric, u, v }])).toEqual({ samples: [sample(metric, stored)], rejections: [] });
  });

  it('converts bv + v, the value the record states', () => {
    expect(decode([{ bu: 'K', bv: 273.15, n: 'temperature', v: 25 }]).samples).toEqual([sample('temperature', 25)]);
  });

  it.each([
    ['water_level', 'Cel', 'm'],
    ['dim_level', '%RH', '%'],
    ['battery', '%RH', '%'],
    ['humidity', '%EL', '%'],
    ['noise', 'Bspl', 'dBA'],
    ['temperature', '%', '°C'],
    ['power', 'V', 'W'],
    ['wind_speed', 'm', 'm/s'],
    ['stream_bitrate', 'Hz', 'kbit/s'],
    ['pm10', 'ppm', 'µg/m³'],
  ])('rejects %s in %s, naming both units', (metric, u, unit) => {
    const { samples, rejections } = decode([{ n: metric, u, v: 1 }]);
    expect(samples).toEqual([]);
    expect(rejections).toEqual([{ index: 0, reason: 'unit_mismatch', message: expect.stringContaining(u), deviceId: 'mt-wl-01' }]);
    expect(rejections[0].message).toContain(unit);
  });

  it('applies bu to records without u, and u overrides it', () => {
    const { samples, rejections } = decode([
      { bu: 'm', n: 'water_level', v: 1 },
      { n: 'temperature', v: 28 },
      { n: 'temperature', u: 'Cel', v: 29 },
    ]);
    expect(samples.map((s) => s.value)).toEqual([1, 29]);
    expect(reasons({ samples, rejections })).toEqual([[1, 'unit_mismatch']]);
  });

  it('accepts a record without any unit', () => {
    expect(decode([{ n: 'noise', v: 64 }]).samples).toEqual([sample('noise', 64)]);
  });
});

describe('decodeSenml: malformed records', () => {
  it.each([
    ['a number', 42],
    ['a string', 'water_level'],
    ['null', null],
    ['an array', [{ n: 'water_level', v: 1 }]],
  ])('rejects a record that is %s, keeping the others', (_what, record) => {
    const { samples, rejections } = decode([{ n: 'water_level', v: 1 }, record]);
    expect(samples).toEqual([sample('water_level', 1)]);
    expect(rejections).toEqual([{ index: 1, reason: 'invalid_payload', message: expect.stringMatching(/not an object/), deviceId: null }]);
  });

  it.each([
    ['n', { n: 7, v: 1 }, null],
    ['t', { n: 'water_level', t: '2026-11-23T07:00:00Z', v: 1 }, 'mt-wl-01'],
    ['v', { n: 'water_level', v: '1.2' }, 'mt-wl-01'],
    ['vb', { n: 'stream_online', vb: 'true' }, 'mt-wl-01'],
    ['u', { n: 'water_level', u: 1, v: 1 }, 'mt-wl-01'],
    ['bn', { bn: ['mt-wl-01'], n: 'water_level', v: 1 }, null],
    ['bt', { bt: null, n: 'mt-wl-02/water_level', v: 1 }, 'mt-wl-02'],
    ['ut', { n: 'water_level', ut: 'soon', v: 1 }, 'mt-wl-01'],
  ])('rejects a record whose %s has the wrong type, with its device when the name still resolves', (field, record, deviceId) => {
    const { rejections } = decode([record]);
    expect(rejections).toEqual([{ index: 0, reason: 'invalid_payload', message: expect.stringMatching(new RegExp(`^${field} is`)), deviceId }]);
  });

  it('rejects a record with a must-understand field (ending in "_") as unsupported and ignores other unknown fields', () => {
    const { samples, rejections } = decode([
      { n: 'water_level', v: 1, foo_: 1 },
      { n: 'water_level', v: 2, foo: 1, bar: { nested: true } },
    ]);
    expect(samples).toEqual([sample('water_level', 2)]);
    expect(rejections).toEqual([{ index: 0, reason: 'unsupported', message: expect.stringContaining('foo_'), deviceId: 'mt-wl-01' }]);
  });

  it('does not guess a base value that a rejected record tried to set, until a good record sets it again', () => {
    const { samples, rejections } = decode([
      { bn: 'mt-wl-01/', bt: 1_795_417_000, n: 'water_level', v: 1 },
      { bt: '1795417100', n: 'water_level', v: 2 },
      { n: 'water_level', v: 3 },
      { bt: -10, n: 'water_level', v: 4 },
      { n: 'water_level', v: 5 },
    ]);
    expect(samples).toEqual([sample('water_level', 1, 1_795_417_000_000), sample('water_level', 4, NOW - 10_000), sample('water_level', 5, NOW - 10_000)]);
    expect(rejections).toEqual([
      { index: 1, reason: 'invalid_payload', message: expect.stringMatching(/^bt is/), deviceId: 'mt-wl-01' },
      { index: 2, reason: 'invalid_payload', message: 'depends on bt of record 1, which was rejected', deviceId: null },
    ]);
  });

  it('keeps a base value it does not need: a lost bu does not matter to a record with its own u', () => {
    const { samples } = decode([{ bu: 5, n: 'water_level', v: 1 }, { n: 'water_level', u: 'm', v: 2 }]);
    expect(samples).toEqual([sample('water_level', 2)]);
  });
});

describe('decodeSenml: version', () => {
  it.each([10, 5, 1])('accepts bver %d: RFC 8428 refuses only versions newer than the reader\'s', (bver) => {
    expect(decode([{ bver, n: 'water_level', v: 1 }]).samples).toHaveLength(1);
  });

  it.each([
    ['bver 11', 11, 'unsupported'],
    ['bver as text', '10', 'invalid_payload'],
    ['bver 0', 0, 'invalid_payload'],
    ['a fractional bver', 9.5, 'invalid_payload'],
  ])('rejects the whole pack with %s, in any record, once', (_what, bver, reason) => {
    const { samples, rejections } = decode([{ n: 'water_level', v: 1 }, { bver, n: 'water_level', v: 2 }]);
    expect(samples).toEqual([]);
    expect(rejections).toEqual([{ index: 0, reason, message: expect.stringContaining('record 1'), deviceId: null }]);
  });
});
