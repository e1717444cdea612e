import { Injectable } from '@nestjs/common';
import type { BucketResolution, DeviceKind } from '@ioc/contracts';
import { Database } from '@ioc/database';
import { packedSamples } from '../engine/packer';
import { MINUTES_ABOVE, ORIGIN } from '../engine/sql';
import { BUCKET_MS } from './resolution';

/** Microsecond text: exact keyset positions for cursors. */
const CURSOR_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
/** What JSON shows (Date.toISOString's form), made by the database: thousands of points need no Date objects. */
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * History reads. They name only `telemetry_values` (the raw readings: the table on plain
 * PostgreSQL, a view reading both columns of a reading on TimescaleDB), `telemetry_packed`, `telemetry_latest`,
 * `telemetry_1m`, `telemetry_1h`, `telemetry_area_1h`, `telemetry_rollup_state` and
 * `telemetry_pack_state`: partitioned tables and rollup tables kept by the server on plain
 * PostgreSQL; hypertables, continuous aggregates (and a view over one) on TimescaleDB, where
 * nothing is packed. The same SQL on both engines.
 *
 * A rollup holds the samples before `materialized` (migration 0010); the samples from then on are
 * read from `telemetry` as rollup rows of one sample each, so a read sees every stored sample. On
 * TimescaleDB `materialized` is 'infinity': its aggregates are real-time already. Old samples may
 * be packed (migration 0014): raw reads take them from `telemetry_packed` too, and minutes of a
 * packed range come from the packed samples, their 1-minute rollup being gone. The 1-minute
 * rollup holds dense hours only (migration 0016): the minutes of the other hours are made from
 * their raw rows, at most `minute_rollup_above` of them an hour; on TimescaleDB, where that is
 * NULL, every minute is.
 */
const MATERIALIZED = '(SELECT materialized FROM telemetry_rollup_state)';
const PACKED = '(SELECT packed FROM telemetry_pack_state)';
// $3 from, $4 to, $5 the time zone (days only). Days are local midnight to local midnight,
// stepped on local time so a DST day has its 23 or 25 hours.
const FIRST_BUCKET: Record<BucketResolution, string> = {
  '1m': `date_bin(INTERVAL '1 minute', $3::timestamptz, ${ORIGIN})`,
  '1h': `date_bin(INTERVAL '1 hour', $3::timestamptz, ${ORIGIN})`,
  '1d': `date_bin(INTERVAL '1 day', $3::timestamptz AT TIME ZONE $5::text, TIMESTAMP '2000-01-01') AT TIME ZONE $5::text`,
};
const BUCKETS: Record<BucketResolution, string> = {
  '1m': `generate_series(first.b, $4::timestamptz - INTERVAL '1 microsecond', INTERVAL '1 minute')`,
  '1h': `generate_series(first.b, $4::timestamptz - INTERVAL '1 microsecond', INTERVAL '1 hour')`,
  '1d': `generate_series(first.b AT TIME ZONE $5::text, ($4::timestamptz - INTERVAL '1 microsecond') AT TIME ZONE $5::text,
                         INTERVAL '1 day') AT TIME ZONE $5::text`,
};
const BUCKET_OF: Record<BucketResolution, string> = {
  '1m': 'r.bucket',
  '1h': 'r.bucket',
  '1d': `date_bin(INTERVAL '1 day', r.bucket AT TIME ZONE $5::text, TIMESTAMP '2000-01-01') AT TIME ZONE $5::text`,
};
/** The bucket of the rollup a resolution reads: days are made of hours. */
const ROLLUP_STEP: Record<BucketResolution, string> = { '1m': `INTERVAL '1 minute'`, '1h': `INTERVAL '1 hour'`, '1d': `INTERVAL '1 hour'` };

type Scope = 'device' | 'area';
/** The rows `r` a scope's buckets are made of, and the devices of a bucket. */
interface Source {
  rows: (resolution: BucketResolution) => string;
  devices: string;
}
// $1: a device key, or an area id. Rows of an area's minutes: its devices' rows, the devices as
// one array, so the planner reads them with one bitmap scan in page order instead of a loop per device.
const DEVICE_KEY = (alias: string) => `${alias}.device_key = $1::int`;
const AREA_DEVICE_KEYS = (alias: string) =>
  `${alias}.device_key = ANY ((SELECT array_agg(key) FROM devices WHERE area_ids @> ARRAY[$1::text])::int[])`;
const IN_RANGE = (alias: string, time: string, resolution: BucketResolution) =>
  `${alias}.metric_id IN (SELECT id FROM wanted) AND ${alias}.${time} >= ${FIRST_BUCKET[resolution]} AND ${alias}.${time} < $4::timestamptz`;

/**
 * The rows `r` of a per-device rollup a read takes: those before `materialized`, and for minutes
 * none in a packed range (one left behind until the packer drops it would count twice).
 */
const rollupHeld = (where: (alias: string) => string, resolution: BucketResolution) =>
  `${where('r')} AND ${IN_RANGE('r', 'bucket', resolution)} AND r.bucket < ${MATERIALIZED}${resolution === '1m' ? ` AND NOT r.bucket <@ ${PACKED}` : ''}`;

/**
 * The raw samples a rollup does not hold, with their device, metric, time and value: those from
 * `materialized` on (for minutes on TimescaleDB, all of them), and for minutes, those of the
 * sparse hours before it (the hour's row in telemetry_1h names them: one index range of raw rows
 * per hour, read in the key's order; where there is no 1-minute rollup, a one-time test skips
 * the hours unread), and the packed ones.
 */
const unrolledSamples = (where: (alias: string) => string, resolution: BucketResolution) => `
  SELECT t.device_key, t.metric_id, t.time, t.value FROM telemetry_values t
   WHERE ${where('t')} AND ${IN_RANGE('t', 'time', resolution)}
     AND t.time >= ${resolution === '1m' ? `(CASE WHEN ${MINUTES_ABOVE} IS NULL THEN '-infinity' ELSE ${MATERIALIZED} END)` : MATERIALIZED}${resolution === '1m' ? `
  UNION ALL
  SELECT t.device_key, t.metric_id, t.time, t.value
    FROM telemetry_1h h
    JOIN telemetry_values t ON t.device_key = h.device_key AND t.metric_id = h.metric_id
                    AND t.time >= h.bucket AND t.time < h.bucket + INTERVAL '1 hour'
   WHERE ${MINUTES_ABOVE} IS NOT NULL AND ${where('h')} AND ${IN_RANGE('h', 'bucket', '1h')} AND h.count <= ${MINUTES_ABOVE}
     AND h.bucket < ${MATERIALIZED} AND NOT h.bucket <@ ${PACKED}
     AND t.time >= ${FIRST_BUCKET['1m']} AND t.time < $4::timestamptz AND t.time < ${MATERIALIZED}
  UNION ALL
  SELECT u.device_key, u.metric_id, u.time, u.value FROM (${packedSamples(where, 'SELECT id FROM wanted')}) u
   WHERE u.time >= ${FIRST_BUCKET['1m']} AND u.time < $4::timestamptz` : ''}`;

/** Rows of a per-device rollup (telemetry_1m, telemetry_1h), then the samples it does not hold as rows of one sample. */
const deviceRollupRows = (table: string, where: (alias: string) => string) => (resolution: BucketResolution) => `
  SELECT r.bucket, r.device_key, r.metric_id, r.min, r.max, r.sum, r.count, r.last, r.last_time
    FROM ${table} r
   WHERE ${rollupHeld(where, resolution)}
  UNION ALL
  SELECT date_bin(${ROLLUP_STEP[resolution]}, u.time, ${ORIGIN}), u.device_key, u.metric_id, u.value, u.value, u.value, 1, u.value, u.time
    FROM (${unrolledSamples(where, resolution)}) u`;

/**
 * Hours of an area: its own hourly rollup, one row per hour, then the newer samples of its
 * devices grouped by hour. A day's `devices` is its largest hourly figure (the hourly rows cannot
 * say how many distinct devices the whole day had); so is an hour's while its newest samples are
 * not materialized yet.
 */
const areaRollupRows = (resolution: BucketResolution) => `
  SELECT r.bucket, r.metric_id, r.min, r.max, r.sum, r.count, r.devices
    FROM telemetry_area_1h r
   WHERE r.area_id = $1::text AND ${IN_RANGE('r', 'bucket', resolution)} AND r.bucket < ${MATERIALIZED}
  UNION ALL
  SELECT date_bin(INTERVAL '1 hour', t.time, ${ORIGIN}), t.metric_id, min(t.value), max(t.value), sum(t.value), count(*),
         count(DISTINCT t.device_key)::int
    FROM telemetry_values t
   WHERE ${AREA_DEVICE_KEYS('t')} AND ${IN_RANGE('t', 'time', resolution)} AND t.time >= ${MATERIALIZED}
   GROUP BY 1, 2`;

/** Rows summed by bucket: a device's days (of its hours), an area's minutes, hours and days. */
const GROUPED: { device: Record<'1d', Source>; area: Record<BucketResolution, Source> } = {
  // One device: its buckets have samples of that device only (a count of distinct keys would force a sort).
  device: { '1d': { rows: deviceRollupRows('telemetry_1h', DEVICE_KEY), devices: '1' } },
  area: {
    '1m': { rows: deviceRollupRows('telemetry_1m', AREA_DEVICE_KEYS), devices: 'count(DISTINCT r.device_key)' },
    '1h': { rows: areaRollupRows, devices: 'max(r.devices)' },
    '1d': { rows: areaRollupRows, devices: 'max(r.devices)' },
  },
};
// The newest value: the greatest (time, value) pair, without sorting each bucket's rows
// (date_part is float8 with microseconds; extract would be numeric, slower). Over an area there is
// no single newest value to give.
const LAST: Record<Scope, string> = {
  device: `(max(ARRAY[date_part('epoch', r.last_time), r.last]))[2]`,
  area: 'NULL::float8',
};

/** `data`: the aggregates of each (bucket, metric) with samples, as a GROUP BY of a source's rows. */
const groupedData = (kind: Scope, source: Source, resolution: BucketResolution) => `
  data AS (
    SELECT ${BUCKET_OF[resolution]} AS b, r.metric_id,
           min(r.min) AS min, max(r.max) AS max, sum(r.sum) / sum(r.count) AS avg,
           ${LAST[kind]} AS last,
           sum(r.count)::float8 AS count, ${source.devices}::int AS devices
      FROM (${source.rows(resolution)}) r
     GROUP BY 1, 2
  )`;

/**
 * One device's minutes or hours, per metric as JSON arrays: its rollup's rows, and the samples the
 * rollup does not hold (unrolledSamples), which deviceBuckets adds to their buckets itself. No
 * GROUP BY of thousands of samples, no join of the two by bucket, no sort: a device drawer's
 * chart waits for none of them. The arrays of one source are filled from the same rows in the
 * same order, so they stay aligned.
 */
const deviceArrays = (resolution: '1m' | '1h') => `
  rolled AS (
    SELECT r.metric_id, json_agg(date_part('epoch', r.bucket) * 1000) AS b, json_agg(r.min) AS min, json_agg(r.max) AS max,
           json_agg(r.sum) AS sum, json_agg(r.count) AS count, json_agg(r.last) AS last,
           json_agg(date_part('epoch', r.last_time) * 1000) AS last_time
      FROM ${resolution === '1m' ? 'telemetry_1m' : 'telemetry_1h'} r
     WHERE ${rollupHeld(DEVICE_KEY, resolution)}
     GROUP BY r.metric_id
  ),
  unrolled AS (
    SELECT u.metric_id, json_agg(date_part('epoch', u.time) * 1000) AS t, json_agg(u.value) AS v
      FROM (${unrolledSamples(DEVICE_KEY, resolution)}) u
     GROUP BY u.metric_id
  )`;

/** `data` of the reads whose every bucket comes from the database (slots), by scope and resolution. */
const DATA: { device: Record<'1d', string>; area: Record<BucketResolution, string> } = {
  device: { '1d': groupedData('device', GROUPED.device['1d'], '1d') },
  area: {
    '1m': groupedData('area', GROUPED.area['1m'], '1m'),
    '1h': groupedData('area', GROUPED.area['1h'], '1h'),
    '1d': groupedData('area', GROUPED.area['1d'], '1d'),
  },
};

/** One metric's aggregates over the buckets of a range, aligned with BucketColumns.times; a gap null (counts 0). */
export interface BucketSeries {
  metric: string;
  min: (number | null)[];
  max: (number | null)[];
  avg: (number | null)[];
  last: (number | null)[];
  count: number[];
  devices: number[];
}

/** Every bucket of a range: their starts (epoch ms, ascending) and each metric's series, in the order asked for. */
export interface BucketColumns {
  times: number[];
  series: BucketSeries[];
}

/** A bucket of a range read with its slots, in (metric, time) order; `b` its start in epoch ms. */
interface BucketRow {
  metric: string;
  b: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  count: number;
  devices: number;
}

/** One metric of a device's minutes or hours: its rollup rows and its other samples, as arrays (epoch ms). */
interface DeviceArrays {
  metric: string;
  rolled: { b: number[]; min: number[]; max: number[]; sum: number[]; count: number[]; last: number[]; last_time: number[] } | null;
  t: number[] | null;
  v: number[] | null;
}

const emptySeries = (metric: string, slots: number): BucketSeries => ({
  metric,
  min: new Array<null>(slots).fill(null),
  max: new Array<null>(slots).fill(null),
  avg: new Array<null>(slots).fill(null),
  last: new Array<null>(slots).fill(null),
  count: new Array<number>(slots).fill(0),
  devices: new Array<number>(slots).fill(0),
});

export interface RawRow {
  t: string;
  cursor_time: string;
  metric: string;
  metric_id: number;
  value: number;
}

export interface LatestRow {
  id: string;
  kind: DeviceKind;
  name: string;
  lat: number;
  lng: number;
  metric: string | null;
  /** ISO-8601 */
  time: string | null;
  value: number | null;
}

export interface LatestFilter {
  deviceId?: string;
  areaId?: string;
  bbox?: [number, number, number, number];
  metrics?: string[];
}

@Injectable()
export class HistoryRepository {
  constructor(private readonly db: Database) {}

  async deviceKey(id: string): Promise<number | null> {
    const { rows } = await this.db.pool.query<{ key: number }>('SELECT key FROM devices WHERE id = $1', [id]);
    return rows[0]?.key ?? null;
  }

  /** Newest value of each metric of the devices matching the filter; a device without values has one row of nulls. */
  async latest(f: LatestFilter): Promise<LatestRow[]> {
    const [west, south, east, north] = f.bbox ?? [null, null, null, null];
    const { rows } = await this.db.pool.query<LatestRow>(
      `SELECT d.id, d.kind, d.name, d.lat, d.lng, v.metric, to_char(v.time AT TIME ZONE 'UTC', ${ISO_MS}) AS time, v.value
         FROM devices d
         LEFT JOIN LATERAL (
           SELECT m.name AS metric, l.time, l.value
             FROM telemetry_latest l JOIN metrics m ON m.id = l.metric_id
            WHERE l.device_key = d.key AND ($7::text[] IS NULL OR m.name = ANY ($7::text[]))
         ) v ON true
        WHERE ($1::text IS NULL OR d.id = $1)
          AND ($2::text IS NULL OR d.area_ids @> ARRAY[$2::text])
          AND ($3::float8 IS NULL OR (d.lng BETWEEN $3 AND $5 AND d.lat BETWEEN $4 AND $6))
        ORDER BY d.id, v.metric`,
      [f.deviceId ?? null, f.areaId ?? null, west, south, east, north, f.metrics ?? null],
    );
    return rows;
  }

  /** One page of raw samples, in (time, metric) order, after the keyset position if given. */
  async raw(
    deviceKey: number,
    metrics: readonly string[],
    from: Date,
    to: Date,
    after: { time: string; metricId: number } | null,
    limit: number,
  ): Promise<RawRow[]> {
    const { rows } = await this.db.pool.query<RawRow>(
      `WITH wanted AS (SELECT id, name FROM metrics WHERE name = ANY ($2::text[]))
       SELECT to_char(t.time AT TIME ZONE 'UTC', ${ISO_MS}) AS t,
              to_char(t.time AT TIME ZONE 'UTC', ${CURSOR_TIME}) AS cursor_time,
              m.name AS metric, t.metric_id, t.value
         FROM (SELECT time, metric_id, value FROM telemetry_values
                WHERE device_key = $1::int AND metric_id IN (SELECT id FROM wanted)
               UNION ALL
               SELECT time, metric_id, value FROM (${packedSamples(DEVICE_KEY, 'SELECT id FROM wanted', 'greatest($3::timestamptz, $5::timestamptz)')}) u
              ) t
         JOIN wanted m ON m.id = t.metric_id
        WHERE t.time >= $3::timestamptz AND t.time < $4::timestamptz
          AND ($5::timestamptz IS NULL OR (t.time, t.metric_id) > ($5::timestamptz, $6::smallint))
        ORDER BY t.time, t.metric_id
        LIMIT $7`,
      [deviceKey, metrics, from, to, after?.time ?? null, after?.metricId ?? null, limit],
    );
    return rows;
  }

  /**
   * Every bucket of [from, to) for each metric, from the rollups; buckets without samples are
   * gaps: count 0 and null aggregates. `scope` is a device key or an area id.
   */
  async buckets(
    scope: { deviceKey: number } | { areaId: string },
    metrics: readonly string[],
    resolution: BucketResolution,
    from: Date,
    to: Date,
    timeZone: string,
  ): Promise<BucketColumns> {
    if ('deviceKey' in scope && resolution !== '1d') return this.deviceBuckets(scope.deviceKey, metrics, resolution, from, to);
    const [kind, key] = 'deviceKey' in scope ? (['device', scope.deviceKey] as const) : (['area', scope.areaId] as const);
    // Only fixed fragments picked by the scope and the validated resolution are spliced in; values are parameters.
    const { rows } = await this.db.pool.query<BucketRow>(
      `WITH wanted AS (SELECT m.id, m.name, a.ord FROM unnest($2::text[]) WITH ORDINALITY AS a(name, ord) JOIN metrics m ON m.name = a.name),
            first AS (SELECT ${FIRST_BUCKET[resolution]} AS b),
            slots AS (SELECT ${BUCKETS[resolution]} AS b FROM first),
            ${kind === 'device' ? DATA.device['1d'] : DATA.area[resolution]}
       SELECT w.name AS metric, date_part('epoch', s.b) * 1000 AS b, d.min, d.max, d.avg, d.last,
              coalesce(d.count, 0) AS count, coalesce(d.devices, 0) AS devices
         FROM wanted w CROSS JOIN slots s
         LEFT JOIN data d ON d.metric_id = w.id AND d.b = s.b
        ORDER BY w.ord, s.b`,
      [key, metrics, from, to, ...(resolution === '1d' ? [timeZone] : [])],
    );
    // Every metric has a row for each slot, in the same order.
    const slots = rows.length / metrics.length;
    return {
      times: rows.slice(0, slots).map((r) => r.b),
      series: metrics.map((metric, i) => {
        const own = rows.slice(i * slots, (i + 1) * slots);
        return {
          metric,
          min: own.map((r) => r.min),
          max: own.map((r) => r.max),
          avg: own.map((r) => r.avg),
          last: own.map((r) => r.last),
          count: own.map((r) => r.count),
          devices: own.map((r) => r.devices),
        };
      }),
    };
  }

  /**
   * A device's minutes or hours, the chart of a device drawer: the database sends each metric's
   * rollup rows and other samples as arrays, and they are summed into the range's grid of whole
   * minutes or hours (UTC, as date_bin makes them) here, in one pass each.
   */
  private async deviceBuckets(deviceKey: number, metrics: readonly string[], resolution: '1m' | '1h', from: Date, to: Date): Promise<BucketColumns> {
    // As JSON: JSON.parse reads thousands of numbers several times faster than pg's parser of array text.
    const { rows } = await this.db.pool.query<DeviceArrays>(
      `WITH wanted AS (SELECT id, name FROM metrics WHERE name = ANY ($2::text[])),
            ${deviceArrays(resolution)}
       SELECT w.name AS metric, to_json(r) AS rolled, u.t, u.v
         FROM wanted w LEFT JOIN rolled r ON r.metric_id = w.id LEFT JOIN unrolled u ON u.metric_id = w.id`,
      [deviceKey, metrics, from, to],
    );
    const step = BUCKET_MS[resolution];
    const first = Math.floor(from.getTime() / step) * step;
    const slots = Math.ceil((to.getTime() - first) / step);
    const byMetric = new Map(rows.map((r) => [r.metric, r]));
    return {
      times: Array.from({ length: slots }, (_, i) => first + i * step),
      series: metrics.map((metric) => {
        const arrays = byMetric.get(metric);
        const sums = new BucketSums(slots);
        const rolled = arrays?.rolled;
        rolled?.b.forEach((b, j) => {
          sums.add(Math.round((b - first) / step), rolled.min[j], rolled.max[j], rolled.sum[j], rolled.count[j], rolled.last[j], rolled.last_time[j]);
        });
        const [t, v] = [arrays?.t ?? [], arrays?.v ?? []];
        for (let j = 0; j < t.length; j++) sums.add(Math.floor((t[j] - first) / step), v[j], v[j], v[j], 1, v[j], t[j]);
        return sums.series(metric);
      }),
    };
  }
}

/**
 * Aggregates of a grid of buckets, filled from rollup rows and from single samples alike: the
 * newest value is the greatest (time, value) pair, as in SQL.
 */
class BucketSums {
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly count: Float64Array;
  private readonly last: Float64Array;
  private readonly lastTime: Float64Array;

  constructor(private readonly slots: number) {
    this.min = new Float64Array(slots).fill(Infinity);
    this.max = new Float64Array(slots).fill(-Infinity);
    this.sum = new Float64Array(slots);
    this.count = new Float64Array(slots);
    this.last = new Float64Array(slots);
    this.lastTime = new Float64Array(slots).fill(-Infinity);
  }

  add(slot: number, min: number, max: number, sum: number, count: number, last: number, lastTime: number): void {
    if (min < this.min[slot]) this.min[slot] = min;
    if (max > this.max[slot]) this.max[slot] = max;
    this.sum[slot] += sum;
    this.count[slot] += count;
    if (lastTime > this.lastTime[slot] || (lastTime === this.lastTime[slot] && last > this.last[slot])) {
      this.last[slot] = last;
      this.lastTime[slot] = lastTime;
    }
  }

  series(metric: string): BucketSeries {
    const series = emptySeries(metric, this.slots);
    for (let i = 0; i < this.slots; i++) {
      if (this.count[i] === 0) continue;
      series.min[i] = this.min[i];
      series.max[i] = this.max[i];
      series.avg[i] = this.sum[i] / this.count[i];
      series.last[i] = this.last[i];
      series.count[i] = this.count[i];
      series.devices[i] = 1;
    }
    return series;
  }
}
