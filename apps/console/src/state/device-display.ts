import { METRIC_NAMES, type DeviceDto, type DeviceKind, type MetricName } from '@ioc/contracts';

export const DISPLAY_STATUSES = ['alerting', 'online', 'stale', 'offline', 'unknown'] as const;
export type DisplayStatus = (typeof DISPLAY_STATUSES)[number];

/** A device that has sent nothing for this long is shown as "data late". */
export const STALE_AFTER_MS = 5 * 60_000;

export function displayStatus(device: DeviceDto, hasOpenAlert: boolean, now: number): DisplayStatus {
  if (hasOpenAlert) return 'alerting';
  if (device.status === 'offline') return 'offline';
  if (device.lastSeen === null) return 'unknown';
  return now - Date.parse(device.lastSeen) > STALE_AFTER_MS ? 'stale' : 'online';
}

/** The reading an operator looks at first for each kind of device. */
const MAIN_METRIC: Record<DeviceKind, MetricName | null> = {
  water_level: 'water_level',
  salinity: 'salinity',
  air_quality: 'pm25',
  weather: 'temperature',
  noise: 'noise',
  traffic_camera: 'vehicle_count',
  street_light: 'dim_level',
  pa_speaker: 'volume',
  gateway: null,
};

/** Metric names the device has reported, catalogue order first, then any others by name. */
export function reportedMetrics(device: DeviceDto): string[] {
  const names = Object.keys(device.latest);
  const known = METRIC_NAMES.filter((name) => names.includes(name));
  const others = names.filter((name) => !known.includes(name as MetricName)).sort();
  return [...known, ...others];
}

/** The kind's main metric when reported, otherwise the first reported one; null before any reading. */
export function primaryMetric(device: DeviceDto): string | null {
  const main = MAIN_METRIC[device.kind];
  if (main && device.latest[main]) return main;
  return reportedMetrics(device)[0] ?? null;
}
