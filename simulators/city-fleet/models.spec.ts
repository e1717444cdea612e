import { METRICS, telemetryPayloadSchema, type DeviceKind, type MetricName } from '@ioc/contracts';
import { DEMO_EXCURSIONS, PM25_WARNING_UGM3, SALINITY_WARNING_PPT } from './demo';
import { telemetryPayload } from './device-client';
import { FLEET } from './fleet';
import {
  createDeviceModel,
  excursionShape,
  HOUR_MS,
  localHour,
  MINUTE_MS,
  pm25Level,
  random01,
  salinityLevel,
  tideLevel,
  trafficProfile,
  vehicleFlow,
  type Readings,
} from './models';

const DAY_MS = 24 * HOUR_MS;
const LUNAR_DAY_MS = 24.8412 * HOUR_MS;
/** Local midnight (UTC+7) of dates in the rainy and the dry season. */
const RAINY = Date.parse('2026-09-15T00:00:00+07:00');
const DRY = Date.parse('2027-03-15T00:00:00+07:00');

const METRICS_OF: Record<string, MetricName[]> = {
  water_level: ['water_level'],
  salinity: ['salinity'],
  air_quality: ['pm25', 'pm10', 'temperature', 'humidity'],
  traffic_camera: ['vehicle_count', 'stream_fps'],
} satisfies Partial<Record<DeviceKind, MetricName[]>>;

const RANGES: Record<string, [number, number]> = {
  water_level: [-2.5, 2.6],
  salinity: [0, 35],
  pm25: [3, 90],
  pm10: [5, 170],
  temperature: [18, 38],
  humidity: [35, 100],
  vehicle_count: [0, 250],
  stream_fps: [1, 30],
};

const device = (id: string) => {
  const found = FLEET.find((d) => d.id === id);
  if (!found) throw new Error(`no device ${id}`);
  return found;
};

/** Times of the local maxima of f sampled every `stepMs` in [from, to). */
function maxima(f: (t: number) => number, from: number, to: number, stepMs: number): number[] {
  const times: number[] = [];
  for (let t = from + stepMs; t < to - stepMs; t += stepMs) {
    const v = f(t);
    if (v > f(t - stepMs) && v >= f(t + stepMs)) times.push(t);
  }
  return times;
}

describe('device models', () => {
  it('publish exactly the metrics of their kind, in the catalogue, as valid telemetry', () => {
    for (const d of FLEET) {
      const readings = createDeviceModel(d, { seed: 7 })(RAINY + 9 * HOUR_MS);
      expect(Object.keys(readings).sort()).toEqual([...METRICS_OF[d.kind]].sort());
      const payload = telemetryPayload(RAINY, 3, readings);
      expect(telemetryPayloadSchema.safeParse(payload).error).toBeUndefined();
    }
  });

  it('stay in plausible ranges over a whole year, rounded to the precision of each metric', () => {
    const problems: string[] = [];
    for (const d of FLEET) {
      const model = createDeviceModel(d, { seed: 1, excursion: DEMO_EXCURSIONS[d.id] });
      for (let t = RAINY; t < RAINY + 365 * DAY_MS; t += 173 * MINUTE_MS) {
        const readings: Readings = model(t);
        const when = `${d.id} at ${new Date(t).toISOString()}`;
        for (const [metric, value] of Object.entries(readings) as [MetricName, number][]) {
          const [low, high] = RANGES[metric];
          const scaled = value * 10 ** METRICS[metric].precision;
          if (value < low || value > high) problems.push(`${when}: ${metric}=${value} outside [${low}, ${high}]`);
          if (Math.abs(scaled - Math.round(scaled)) > 1e-6) problems.push(`${when}: ${metric}=${value} not rounded`);
        }
        if (readings.pm10! < readings.pm25!) problems.push(`${when}: pm10 below pm25`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('are deterministic for a seed and differ between seeds', () => {
    const times = [RAINY, RAINY + 1234567, DRY + 98765];
    const run = (seed: number) => FLEET.map((d) => times.map(createDeviceModel(d, { seed })));
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('do not depend on the order in which readings are asked for', () => {
    const model = createDeviceModel(device('mt-aq-04'), { seed: 5 });
    const times = [DRY + 5_000, DRY + 10_000, DRY + 3 * HOUR_MS];
    const forward = times.map(model);
    const backward = [...times].reverse().map(createDeviceModel(device('mt-aq-04'), { seed: 5 })).reverse();
    expect(backward).toEqual(forward);
  });

  it('random01 is uniform enough', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => random01(9, 1234, i));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});

describe('tide', () => {
  const myTho = (t: number) => tideLevel(46, t);

  it('has two high waters per lunar day (~24.8 h)', () => {
    const lunarDays = 29;
    const highs = maxima(myTho, RAINY, RAINY + lunarDays * LUNAR_DAY_MS, 5 * MINUTE_MS);
    expect(Math.abs(highs.length - 2 * lunarDays)).toBeLessThanOrEqual(1);
    const gaps = highs.slice(1).map((t, i) => (t - highs[i]) / HOUR_MS);
    const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(meanGap).toBeGreaterThan(12.2);
    expect(meanGap).toBeLessThan(12.6);
    for (let day = 0; day < lunarDays; day++) {
      const start = RAINY + day * LUNAR_DAY_MS;
      const inDay = highs.filter((t) => t >= start && t < start + LUNAR_DAY_MS).length;
      expect(inDay).toBeGreaterThanOrEqual(1);
      expect(inDay).toBeLessThanOrEqual(3);
    }
  });

  it('swings wider at spring tides than at neap tides', () => {
    const dailyRanges: number[] = [];
    for (let day = 0; day < 15; day++) {
      let low = Infinity;
      let high = -Infinity;
      for (let t = RAINY + day * DAY_MS; t < RAINY + (day + 1) * DAY_MS; t += 10 * MINUTE_MS) {
        low = Math.min(low, myTho(t));
        high = Math.max(high, myTho(t));
      }
      dailyRanges.push(high - low);
    }
    expect(Math.max(...dailyRanges) / Math.min(...dailyRanges)).toBeGreaterThan(1.4);
  });

  it('reaches Mỹ Tho’s flood alarm levels only at the top of spring tides in the flood season', () => {
    const november = Date.parse('2026-11-01T00:00:00+07:00');
    const levels: number[] = [];
    for (let t = november; t < november + 30 * DAY_MS; t += 10 * MINUTE_MS) levels.push(myTho(t));
    const share = (above: number) => levels.filter((v) => v >= above).length / levels.length;
    expect(share(1.6)).toBeGreaterThan(0);
    expect(share(1.6)).toBeLessThan(0.1);
    expect(share(2.0)).toBe(0);
  });

  it('swings wider near the sea than upstream', () => {
    const range = (km: number) => {
      const values = Array.from({ length: 300 }, (_, i) => tideLevel(km, RAINY + i * 10 * MINUTE_MS));
      return Math.max(...values) - Math.min(...values);
    };
    expect(range(2)).toBeGreaterThan(range(46));
  });
});

describe('salinity', () => {
  it('is higher near the sea', () => {
    for (const t of [RAINY, DRY, DRY + 7 * HOUR_MS]) {
      expect(salinityLevel(2, t)).toBeGreaterThan(salinityLevel(12, t));
      expect(salinityLevel(12, t)).toBeGreaterThan(salinityLevel(30, t));
    }
  });

  it('reaches further inland in the dry season', () => {
    expect(salinityLevel(20, DRY)).toBeGreaterThan(2 * salinityLevel(20, RAINY));
  });

  it('rises with the tide', () => {
    const at = (t: number) => ({ tide: tideLevel(12, t - HOUR_MS), salinity: salinityLevel(12, t) });
    const samples = Array.from({ length: 500 }, (_, i) => at(DRY + i * 17 * MINUTE_MS));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mt = mean(samples.map((s) => s.tide));
    const ms = mean(samples.map((s) => s.salinity));
    const covariance = mean(samples.map((s) => (s.tide - mt) * (s.salinity - ms)));
    expect(covariance).toBeGreaterThan(0);
  });

  it('stays fresh at Mỹ Tho in the rainy season and near the sea is brackish all year', () => {
    expect(salinityLevel(46, RAINY)).toBeLessThan(0.5);
    expect(salinityLevel(2, RAINY)).toBeGreaterThan(SALINITY_WARNING_PPT);
  });
});

describe('air quality and traffic', () => {
  const at = (day: number, hour: number) => day + hour * HOUR_MS;

  it('PM2.5 peaks at the morning and evening rush hours', () => {
    for (const day of [RAINY, DRY]) {
      const midday = pm25Level('roadside', 1, at(day, 11));
      expect(pm25Level('roadside', 1, at(day, 7.2))).toBeGreaterThan(midday * 1.3);
      expect(pm25Level('roadside', 1, at(day, 18))).toBeGreaterThan(midday * 1.3);
      expect(pm25Level('roadside', 1, at(day, 18))).toBeLessThan(PM25_WARNING_UGM3);
    }
  });

  it('traffic has rush hours and a night lull', () => {
    const peak = Math.max(trafficProfile(7.1), trafficProfile(17.5));
    expect(trafficProfile(3)).toBeLessThan(0.15 * peak);
    expect(trafficProfile(17.5)).toBeGreaterThan(1.5 * trafficProfile(12));
    expect(vehicleFlow('national', 1, at(RAINY, 17.5))).toBeGreaterThan(vehicleFlow('urban', 1, at(RAINY, 17.5)));
  });

  it('counts hours in Vietnam time', () => {
    expect(localHour(Date.parse('2026-11-23T01:30:00Z'))).toBeCloseTo(8.5);
  });
});

describe('demo excursions', () => {
  const excursions = Object.entries(DEMO_EXCURSIONS).map(([id, e]) => [id, e!] as const);

  it.each(excursions)('%s crosses its threshold every few minutes, then falls back', (id, e) => {
    const threshold = e.metric === 'salinity' ? SALINITY_WARNING_PPT : PM25_WARNING_UGM3;
    for (const day of [RAINY, DRY]) {
      const scripted = createDeviceModel(device(id), { seed: 1, excursion: e });
      const natural = createDeviceModel(device(id), { seed: 1 });
      const start = day + 15 * HOUR_MS;
      const above: boolean[] = [];
      for (let t = start; t < start + 30 * MINUTE_MS; t += 5_000) {
        above.push(scripted(t)[e.metric]! > threshold);
        expect(natural(t)[e.metric]).toBeLessThan(threshold);
      }
      const openings = above.filter((a, i) => a && i > 0 && !above[i - 1]).length;
      const secondsAbove = above.filter(Boolean).length * 5;
      expect(openings).toBeGreaterThanOrEqual(Math.floor((30 * MINUTE_MS) / e.periodMs) - 1);
      expect(secondsAbove / openings).toBeGreaterThan(45);
      expect(secondsAbove / openings).toBeLessThan(120);
    }
  });

  it('follow a trapezoid: up, hold, down, rest', () => {
    const e = { metric: 'pm25' as const, peak: 70, periodMs: 300_000, offsetMs: 0, rampMs: 30_000, holdMs: 60_000 };
    expect(excursionShape(e, 0)).toBe(0);
    expect(excursionShape(e, 15_000)).toBeCloseTo(0.5);
    expect(excursionShape(e, 60_000)).toBe(1);
    expect(excursionShape(e, 105_000)).toBeCloseTo(0.5);
    expect(excursionShape(e, 200_000)).toBe(0);
    expect(excursionShape(e, 315_000)).toBeCloseTo(0.5);
  });
});
