import { z } from 'zod';
import { METRIC_NAME_PATTERN, type MetricName } from './device-kinds';
import { EVENT_TYPES, STATUS_EVENT_TYPES, type DeviceEventType } from './payloads';
import { DEVICE_ID_PATTERN } from './topics';
import type { AreaLevel, GeoJsonGeometry, LatestValue } from './api';
import type { DeviceKind } from './device-kinds';

/** Stored samples (`raw`), the 1-minute and 1-hour rollups, and days built from hours in a time zone. */
export const RESOLUTIONS = ['raw', '1m', '1h', '1d'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export type BucketResolution = Exclude<Resolution, 'raw'>;
export const AGGREGATES = ['min', 'max', 'avg', 'last', 'count'] as const;
export type Aggregate = (typeof AGGREGATES)[number];
/** Over an area, `last` has no meaning (several devices); the rest do. */
export const AREA_AGGREGATES = ['min', 'max', 'avg', 'count'] as const;
export type AreaAggregate = (typeof AREA_AGGREGATES)[number];
export const HISTORY_FORMATS = ['json', 'csv'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];
/** A device's history also comes as columns (`format=columns`, DeviceColumnsDto): what a chart draws. */
export const DEVICE_HISTORY_FORMATS = [...HISTORY_FORMATS, 'columns'] as const;

/** Points (buckets x metrics) one answer may hold. */
export const MAX_HISTORY_POINTS = 50_000;

/** The hourly environmental aggregates published as open data, and under which licence. */
export const OPEN_DATA_METRICS = ['pm25', 'pm10', 'water_level', 'salinity'] as const satisfies readonly MetricName[];
export type OpenDataMetric = (typeof OPEN_DATA_METRICS)[number];
export const OPEN_DATA_LICENCE = {
  name: 'CC BY 4.0',
  url: 'https://creativecommons.org/licenses/by/4.0/',
  attribution: 'IOC Tiền Giang – Hậu Giang smart-city pilot',
} as const;
/** Requests per minute per client address on the open-data endpoint. */
export const OPEN_DATA_RATE_LIMIT = 60;
export const OPEN_DATA_MAX_DAYS = 31;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A point in time as the API takes it: ISO-8601 with its zone. */
export const instant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time with a zone, e.g. 2025-07-01T00:00:00+07:00' });
const timeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as Asia/Ho_Chi_Minh')
  .default('UTC');

/** A comma-separated list in a query string, each item checked by `item`, without repeats. */
function listOf<T extends z.ZodType<string, string>>(item: T, what: string) {
  return z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(
      z
        .array(item)
        .min(1, `name at least one of ${what}`)
        .refine((a) => new Set(a).size === a.length, 'names an item twice'),
    );
}
const enumList = <T extends string>(values: readonly [T, ...T[]], what: string) =>
  listOf(z.enum(values, { error: `must be a comma-separated list of ${what}` }), what);

/**
 * Names of the metric catalogue, which administrators extend at runtime: checked here for their
 * form, and against the catalogue by the server (400 naming `metrics`).
 */
const metricList = listOf(z.string().regex(METRIC_NAME_PATTERN, 'must be a comma-separated list of metric names (lower_snake_case)'), 'the metrics');
const range = {
  /** ISO-8601, inclusive. */
  from: instant,
  /** ISO-8601, exclusive; default now. */
  to: instant.optional(),
};
const fromBeforeTo = (q: { from: string; to?: string }) => q.to === undefined || Date.parse(q.from) < Date.parse(q.to);
const FROM_BEFORE_TO = { message: 'from must be before to', path: ['to'] };

/** GET /api/history/devices/:id */
export const deviceSeriesQuerySchema = z
  .strictObject({
    metrics: metricList,
    ...range,
    /** `auto` picks from the span: raw up to 2 h, 1m up to 2 days, 1h up to 180 days, then 1d. */
    resolution: z.enum(['auto', ...RESOLUTIONS]).default('auto'),
    /** Time zone of `1d` buckets (local midnight to local midnight). */
    tz: timeZone,
    aggregates: enumList(AGGREGATES, AGGREGATES.join(', ')).default([...AGGREGATES]),
    /** Raw samples per page. */
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    /** From the previous raw page's `nextCursor`. */
    cursor: z.string().min(1).max(200).optional(),
    format: z.enum(DEVICE_HISTORY_FORMATS).optional(),
  })
  .refine(fromBeforeTo, FROM_BEFORE_TO);
export type DeviceSeriesQueryInput = z.input<typeof deviceSeriesQuerySchema>;
export type DeviceSeriesQuery = z.output<typeof deviceSeriesQuerySchema>;

/** GET /api/history/areas/:id */
export const areaSeriesQuerySchema = z
  .strictObject({
    metrics: metricList,
    ...range,
    resolution: z.enum(['auto', '1m', '1h', '1d']).default('auto'),
    tz: timeZone,
    aggregates: enumList(AREA_AGGREGATES, AREA_AGGREGATES.join(', ')).default([...AREA_AGGREGATES]),
    format: z.enum(HISTORY_FORMATS).optional(),
  })
  .refine(fromBeforeTo, FROM_BEFORE_TO);
export type AreaSeriesQuery = z.output<typeof areaSeriesQuerySchema>;

const coordinate = (min: number, max: number) => z.number().min(min).max(max);
/** `west,south,east,north` in WGS84 degrees. */
const bbox = z
  .string()
  .transform((s) => s.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v))))
  .pipe(
    z
      .tuple([coordinate(-180, 180), coordinate(-90, 90), coordinate(-180, 180), coordinate(-90, 90)], {
        error: 'must be west,south,east,north in degrees',
      })
      .refine(([w, s, e, n]) => w <= e && s <= n, 'must be west,south,east,north with west <= east and south <= north'),
  );

/** GET /api/history/latest — one device, the devices of an area, or those in a map box (or all). */
export const latestQuerySchema = z
  .strictObject({
    deviceId: z.string().regex(DEVICE_ID_PATTERN, 'lower-case letters, digits, "-" and "_", at most 64').optional(),
    areaId: z.string().min(1).max(100).optional(),
    bbox: bbox.optional(),
    metrics: metricList.optional(),
  })
  .refine((q) => [q.deviceId, q.areaId, q.bbox].filter((v) => v !== undefined).length <= 1, 'give at most one of deviceId, areaId, bbox');
export type LatestQuery = z.output<typeof latestQuerySchema>;

export interface LatestDeviceValuesDto {
  deviceId: string;
  kind: DeviceKind;
  name: string;
  lat: number;
  lng: number;
  values: Record<string, LatestValue>;
}

/**
 * One bucket. Every bucket of the range is present: a bucket without samples is a gap, with
 * `count` 0 and the other aggregates null. Only the aggregates asked for are present.
 */
export interface BucketDto {
  /** ISO-8601 start of the bucket (UTC). */
  t: string;
  min?: number | null;
  max?: number | null;
  avg?: number | null;
  last?: number | null;
  count?: number;
}

export interface MetricSeriesDto<P = BucketDto> {
  metric: string;
  unit: string;
  points: P[];
}

export interface BucketSeriesDto {
  resolution: BucketResolution;
  /** The range asked for, widened to whole buckets. */
  from: string;
  to: string;
  tz: string;
  series: MetricSeriesDto[];
}

export interface RawSampleDto {
  /** ISO-8601 */
  t: string;
  metric: string;
  value: number;
}

/** Raw samples of the range, oldest first (then by metric), one page at a time. */
export interface RawSeriesDto {
  resolution: 'raw';
  from: string;
  to: string;
  samples: RawSampleDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export type DeviceSeriesDto = { deviceId: string } & (BucketSeriesDto | RawSeriesDto);

/**
 * One metric of a columnar answer: arrays aligned with the answer's `times`, null where the metric
 * has nothing at that time. Buckets: only the aggregates asked for, a gap null (`count` 0); raw
 * samples: `value`.
 */
export interface MetricColumnsDto {
  metric: string;
  unit: string;
  /** Decimal places a person needs to see (the catalogue's). */
  precision: number;
  value?: (number | null)[];
  min?: (number | null)[];
  max?: (number | null)[];
  avg?: (number | null)[];
  last?: (number | null)[];
  count?: number[];
}

interface ColumnsDto {
  deviceId: string;
  from: string;
  to: string;
  /**
   * The shared time axis, ascending, in epoch milliseconds (a fraction where a sample's time has
   * microseconds): the start of every bucket of the range, or the times of the page's samples.
   */
  times: number[];
  /** In the order of `metrics`. */
  series: MetricColumnsDto[];
}

/**
 * GET /api/history/devices/:id?format=columns: the same buckets or samples as the JSON answer,
 * one time axis and one array of numbers per metric and aggregate instead of an object per point.
 * uPlot draws it as is (with `ms: 1`): `[times, series[0].avg, series[1].avg, …]`. A raw page ends
 * after `limit` samples, so a time may be split between two pages (each holds its own metrics' values).
 */
export type DeviceColumnsDto = ColumnsDto &
  ({ resolution: BucketResolution; tz: string } | { resolution: 'raw'; nextCursor: string | null });

export interface AreaBucketDto extends Omit<BucketDto, 'last'> {
  /**
   * Devices that contributed samples to the bucket. For a day (`1d`), the largest number of
   * devices in any one hour of it. A sample counts in the areas its device was in when it was
   * stored.
   */
  devices: number;
}

export interface AreaSeriesDto {
  areaId: string;
  resolution: BucketResolution;
  from: string;
  to: string;
  tz: string;
  series: MetricSeriesDto<AreaBucketDto>[];
}

const EVENT_FILTER_TYPES = [...EVENT_TYPES, ...STATUS_EVENT_TYPES] as const;

/** GET /api/events — newest first. */
export const listEventsQuerySchema = z
  .strictObject({
    type: z.enum(EVENT_FILTER_TYPES).optional(),
    deviceId: z.string().regex(DEVICE_ID_PATTERN, 'lower-case letters, digits, "-" and "_", at most 64').optional(),
    areaId: z.string().min(1).max(100).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().min(1).max(300).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), FROM_BEFORE_TO);
export type ListEventsQuery = z.output<typeof listEventsQuerySchema>;

export interface DeviceEventDto {
  /** null once the device is deleted; its events stay. */
  deviceId: string | null;
  type: DeviceEventType;
  /** ISO-8601 */
  time: string;
  confidence: number | null;
  snapshotUrl: string | null;
  attributes: Record<string, string | number | boolean | null>;
}

export interface DeviceEventPageDto {
  events: DeviceEventDto[];
  nextCursor: string | null;
}

/** GET /api/open-data/environment — hourly aggregates per area; public. */
export const openDataQuerySchema = z
  .strictObject({
    areaId: z.string().min(1).max(100).optional(),
    metrics: enumList(OPEN_DATA_METRICS, OPEN_DATA_METRICS.join(', ')).default([...OPEN_DATA_METRICS]),
    from: instant,
    to: instant,
    format: z.enum(['json', 'csv', 'geojson']).optional(),
  })
  .refine(fromBeforeTo, FROM_BEFORE_TO)
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= OPEN_DATA_MAX_DAYS * 86_400_000, {
    message: `the range may span at most ${OPEN_DATA_MAX_DAYS} days`,
    path: ['to'],
  });
export type OpenDataQuery = z.output<typeof openDataQuerySchema>;

export interface OpenDataLicenceDto {
  name: string;
  url: string;
  attribution: string;
}

export interface OpenDataAreaDto {
  areaId: string;
  name: string;
  level: AreaLevel;
  series: MetricSeriesDto<AreaBucketDto>[];
}

export interface OpenDataDto {
  licence: OpenDataLicenceDto;
  resolution: '1h';
  from: string;
  to: string;
  areas: OpenDataAreaDto[];
}

/** The same as GeoJSON: one Feature per area, its outline as geometry. */
export interface OpenDataFeatureCollectionDto {
  type: 'FeatureCollection';
  licence: OpenDataLicenceDto;
  features: {
    type: 'Feature';
    id: string;
    geometry: GeoJsonGeometry;
    properties: OpenDataAreaDto & { resolution: '1h'; from: string; to: string };
  }[];
}
