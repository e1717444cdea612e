import { z } from 'zod';
import { updateSchema } from './update-schema';

/** What a device is. Every kind publishes its own set of metrics (see METRICS). */
export const DEVICE_KINDS = [
  'water_level',
  'salinity',
  'air_quality',
  'weather',
  'noise',
  'traffic_camera',
  'street_light',
  'pa_speaker',
  'gateway',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export interface MetricSpec {
  unit: string;
  /** Decimal places a person needs to see. */
  precision: number;
}

/** The metric catalogue of contract v1: name -> unit. Names are what devices publish. */
export const METRICS = {
  water_level: { unit: 'm', precision: 2 },
  salinity: { unit: '‰', precision: 2 },
  pm25: { unit: 'µg/m³', precision: 1 },
  pm10: { unit: 'µg/m³', precision: 1 },
  temperature: { unit: '°C', precision: 1 },
  humidity: { unit: '%', precision: 0 },
  rainfall: { unit: 'mm', precision: 1 },
  wind_speed: { unit: 'm/s', precision: 1 },
  noise: { unit: 'dBA', precision: 0 },
  vehicle_count: { unit: 'xe/phút', precision: 0 },
  stream_fps: { unit: 'fps', precision: 0 },
  /** 1 while the camera's video stream is up, 0 while it is down. */
  stream_online: { unit: '', precision: 0 },
  stream_bitrate: { unit: 'kbit/s', precision: 0 },
  power: { unit: 'W', precision: 0 },
  dim_level: { unit: '%', precision: 0 },
  volume: { unit: '%', precision: 0 },
  battery: { unit: '%', precision: 0 },
} as const satisfies Record<string, MetricSpec>;
export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}

/** Names of the catalogue: what devices publish, in SenML names and native JSON alike. */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

/**
 * One metric of the catalogue as it stands at runtime (GET /api/metrics): the built-in METRICS
 * and those an administrator added. `kinds`: the kinds of device that may send it.
 */
export interface MetricDto {
  name: string;
  unit: string;
  precision: number;
  kinds: DeviceKind[];
  /** Built in: cannot be removed nor have its unit changed. */
  builtIn: boolean;
}

const metricFields = {
  /** A SenML unit (RFC 8428 section 12.1) or the catalogue's own spelling; empty for a count or a state. */
  unit: z.string().max(32).regex(/^[^\s\p{C}]*$/u, 'printable, without spaces, at most 32 characters'),
  precision: z.number().int().min(0).max(6),
  kinds: z
    .array(z.enum(DEVICE_KINDS))
    .max(DEVICE_KINDS.length)
    .refine((k) => new Set(k).size === k.length, 'each kind once'),
};

/** POST /api/metrics */
export const createMetricSchema = z.strictObject({
  name: z.string().regex(METRIC_NAME_PATTERN, 'lower_snake_case, starting with a letter, at most 48 characters'),
  ...metricFields,
  precision: metricFields.precision.default(1),
  kinds: metricFields.kinds.default([]),
});
export type CreateMetricInput = z.input<typeof createMetricSchema>;
export type CreateMetric = z.output<typeof createMetricSchema>;

/** PATCH /api/metrics/:name — only the fields given change; a built-in metric keeps its unit. */
export const updateMetricSchema = updateSchema(metricFields);
export type UpdateMetric = z.output<typeof updateMetricSchema>;

/**
 * Seconds of silence after which a device of that kind is taken for offline: a few of its
 * reporting intervals. The server's INGEST_HEARTBEAT_S setting overrides it per kind.
 */
export const DEFAULT_HEARTBEAT_S: Record<DeviceKind, number> = {
  water_level: 900,
  salinity: 900,
  air_quality: 600,
  weather: 600,
  noise: 600,
  traffic_camera: 120,
  street_light: 1800,
  pa_speaker: 1800,
  gateway: 300,
};

/**
 * The built-in metrics each kind of device may publish, the seed of the catalogue's kinds; the
 * server's INGEST_KIND_METRICS setting overrides it per kind. Anything else from that kind is
 * dead-lettered.
 */
export const DEFAULT_KIND_METRICS: Record<DeviceKind, readonly MetricName[]> = {
  water_level: ['water_level', 'temperature', 'battery'],
  salinity: ['salinity', 'water_level', 'temperature', 'battery'],
  air_quality: ['pm25', 'pm10', 'temperature', 'humidity', 'battery'],
  weather: ['temperature', 'humidity', 'rainfall', 'wind_speed', 'battery'],
  noise: ['noise', 'battery'],
  traffic_camera: ['vehicle_count', 'stream_fps', 'stream_online', 'stream_bitrate'],
  street_light: ['power', 'dim_level'],
  pa_speaker: ['volume', 'power'],
  gateway: ['temperature', 'battery'],
};
