import { METRICS, type CreateDeviceInput, type MetricName } from '@ioc/contracts';
import {
  airStationMetadataSchema,
  cameraMetadataSchema,
  waterStationMetadataSchema,
  type AirStationMetadata,
  type CameraMetadata,
} from './fleet';

/**
 * Value models of the simulated devices: pure functions of (device, time, seed). Randomness is
 * counter-based (a hash of seed, device, metric and time step), so a reading never depends on
 * what was asked before it and a replay with the same seed gives the same numbers.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Asia/Ho_Chi_Minh has no daylight saving time. */
const VIETNAM_OFFSET_MS = 7 * HOUR_MS;

export type Readings = Partial<Record<MetricName, number>>;

/** A scripted bump that lifts one metric to `peak` for a while, every `periodMs`. */
export interface Excursion {
  metric: MetricName;
  peak: number;
  periodMs: number;
  offsetMs: number;
  rampMs: number;
  holdMs: number;
}

export interface ModelOptions {
  seed: number;
  excursion?: Excursion;
}

export type DeviceModel = (t: number) => Readings;

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a: a stable 32-bit key for a device or metric name. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform in [0, 1) for (seed, key, step); steps beyond 32 bits are folded in two halves. */
export function random01(seed: number, key: number, step: number): number {
  const lo = step % 0x1_0000_0000;
  const hi = Math.floor(step / 0x1_0000_0000);
  return mix32(mix32(mix32(seed ^ key) + lo) + hi) / 0x1_0000_0000;
}

/** A fixed per-device factor in [low, high): stations differ from each other, but never over time. */
function deviceFactor(deviceId: string, salt: string, low: number, high: number): number {
  return low + (high - low) * random01(0, hash32(`${deviceId}/${salt}`), 0);
}

/** Hour of the day in Vietnam, fractional. */
export function localHour(t: number): number {
  return (((t + VIETNAM_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS;
}

function localDayOfYear(t: number): number {
  const local = t + VIETNAM_OFFSET_MS;
  const year = new Date(local).getUTCFullYear();
  return (local - Date.UTC(year, 0, 1)) / DAY_MS;
}

/** 1 on `peakDay` of the year, 0 half a year away. */
function seasonal(t: number, peakDay: number): number {
  return (1 + Math.cos((2 * Math.PI * (localDayOfYear(t) - peakDay)) / 365.25)) / 2;
}

/** Dry season peaks in March (salinity intrusion, dust); 0 in the middle of the rainy season. */
export function dryness(t: number): number {
  return seasonal(t, 75);
}

/** Flood season peaks in October–November, when river floods meet the year's highest tides. */
function floodSeason(t: number): number {
  return seasonal(t, 290);
}

/** A bell around `centreHour`, on the 24-hour circle. */
function dailyBell(hour: number, centreHour: number, widthHours: number): number {
  const d = ((hour - centreHour + 36) % 24) - 12;
  return Math.exp(-((d / widthHours) ** 2) / 2);
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

interface Constituent {
  periodHours: number;
  amplitude: number;
  phase: number;
}

/**
 * The East Sea tide at the Tiền River mouths: mixed, mainly semi-diurnal. M2 and S2 beat into the
 * 14.8-day spring–neap cycle; K1 and O1 give the diurnal inequality between the two daily highs.
 */
const CONSTITUENTS: readonly Constituent[] = [
  { periodHours: 12.4206012, amplitude: 1.0, phase: 0 },
  { periodHours: 12.0, amplitude: 0.4, phase: 0.6 },
  { periodHours: 23.9344696, amplitude: 0.3, phase: 1.1 },
  { periodHours: 25.8193417, amplitude: 0.2, phase: 2.3 },
];
const TIDE_MAX = CONSTITUENTS.reduce((sum, c) => sum + c.amplitude, 0);
/** The tide wave travels upstream at roughly this speed. */
const TIDE_CELERITY_KMH = 18;

/** Tide at the mouth in metres around mean sea level. */
export function tideAtMouth(t: number): number {
  const hours = t / HOUR_MS;
  let level = 0;
  for (const c of CONSTITUENTS) level += c.amplitude * Math.cos((2 * Math.PI * hours) / c.periodHours - c.phase);
  return level;
}

function tideLagMs(distanceKm: number): number {
  return (distanceKm / TIDE_CELERITY_KMH) * HOUR_MS;
}

/** Water level (m, national datum) at a station `distanceKm` upstream of the mouth, without noise. */
export function tideLevel(distanceKm: number, t: number): number {
  const attenuation = Math.max(0.4, 1 - 0.003 * distanceKm);
  const mean = 0.05 + 0.003 * distanceKm + 0.4 * floodSeason(t);
  return mean + attenuation * tideAtMouth(t - tideLagMs(distanceKm));
}

const SEA_SALINITY = 30;
const FRESH_SALINITY = 0.1;
const REFERENCE_SALINITY = 4;

/** Salinity (‰) without noise: decays upstream, reaches further in the dry season, rises with the tide. */
export function salinityLevel(distanceKm: number, t: number): number {
  // Where the 4 ‰ line sits, km from the mouth: a few km in the rainy season, ~25 km in March.
  const reachKm = 6 + 19 * dryness(t);
  const base = SEA_SALINITY * Math.exp((-distanceKm * Math.log(SEA_SALINITY / REFERENCE_SALINITY)) / reachKm);
  // Salt water arrives with the flood tide and peaks about an hour after high water.
  const tide = tideAtMouth(t - tideLagMs(distanceKm) - HOUR_MS) / TIDE_MAX;
  return Math.max(FRESH_SALINITY, base * (1 + 0.3 * tide));
}

const PM25_BASE: Record<AirStationMetadata['setting'], number> = {
  riverside: 13,
  urban: 16,
  roadside: 19,
  industrial: 21,
};

/** PM2.5 (µg/m³) without noise: morning and evening rush hours, a night inversion, a dusty dry season. */
export function pm25Level(setting: AirStationMetadata['setting'], stationFactor: number, t: number): number {
  const hour = localHour(t);
  const traffic = setting === 'roadside' ? 1.3 : 1;
  const rush = traffic * (10 * dailyBell(hour, 7.2, 0.9) + 12 * dailyBell(hour, 18, 1.3));
  const night = 4 * dailyBell(hour, 2, 2.5);
  return (PM25_BASE[setting] + rush + night) * (1 + 0.2 * dryness(t)) * stationFactor;
}

/** Air temperature (°C): warmest at 14:00 and in April. */
export function temperatureLevel(t: number): number {
  const diurnal = Math.cos((2 * Math.PI * (localHour(t) - 14)) / 24);
  return 27 + 1.5 * seasonal(t, 110) + 3.5 * diurnal;
}

/** Relative humidity (%): the mirror of temperature, drier in the dry season. */
export function humidityLevel(t: number): number {
  const diurnal = Math.cos((2 * Math.PI * (localHour(t) - 14)) / 24);
  return 82 - 6 * dryness(t) - 12 * diurnal;
}

const PEAK_VEHICLES_PER_MINUTE: Record<CameraMetadata['roadClass'], number> = { national: 85, urban: 55 };

/** Share of the peak flow at this hour: night lull, morning and evening rush. */
export function trafficProfile(hour: number): number {
  const daytime = logistic((hour - 5.8) / 0.5) * logistic((21.5 - hour) / 0.7);
  return 0.06 + 0.47 * daytime + 0.4 * dailyBell(hour, 7.1, 0.8) + 0.45 * dailyBell(hour, 17.5, 1.0);
}

function weekdayFactor(t: number): number {
  const day = new Date(t + VIETNAM_OFFSET_MS).getUTCDay();
  return day === 0 ? 0.85 : day === 6 ? 0.93 : 1;
}

/** Vehicles per minute without noise. */
export function vehicleFlow(roadClass: CameraMetadata['roadClass'], cameraFactor: number, t: number): number {
  return PEAK_VEHICLES_PER_MINUTE[roadClass] * cameraFactor * trafficProfile(localHour(t)) * weekdayFactor(t);
}

/** 0 outside the excursion, ramping to 1 and back inside it. */
export function excursionShape(excursion: Excursion, t: number): number {
  const { periodMs, offsetMs, rampMs, holdMs } = excursion;
  const phase = (((t - offsetMs) % periodMs) + periodMs) % periodMs;
  if (phase < rampMs) return phase / rampMs;
  if (phase < rampMs + holdMs) return 1;
  if (phase < 2 * rampMs + holdMs) return 1 - (phase - rampMs - holdMs) / rampMs;
  return 0;
}

function round(metric: MetricName, value: number): number {
  const scale = 10 ** METRICS[metric].precision;
  return Math.round(value * scale) / scale;
}

function parseMetadata<T>(device: CreateDeviceInput, schema: { parse(value: unknown): T }): T {
  try {
    return schema.parse(device.metadata ?? {});
  } catch (error) {
    throw new Error(`device ${device.id}: metadata does not fit its ${device.kind} model`, { cause: error });
  }
}

/** Builds the model of one device once, so each reading is cheap. */
export function createDeviceModel(device: CreateDeviceInput, options: ModelOptions): DeviceModel {
  const { seed, excursion } = options;
  const deviceKey = hash32(device.id);
  // Noise in [-1, 1) for one metric, drawn every `stepMs` and interpolated in between: a sensor that
  // averages over a minute does not jump from one reading to the next.
  const noise = (metric: MetricName, t: number, stepMs: number): number => {
    const key = seed ^ hash32(metric);
    const step = Math.floor(t / stepMs);
    const from = random01(key, deviceKey, step);
    const to = random01(key, deviceKey, step + 1);
    return 2 * (from + (to - from) * ((t - step * stepMs) / stepMs)) - 1;
  };
  const lift = (metric: MetricName, value: number, t: number): number =>
    excursion?.metric === metric ? Math.max(value, excursion.peak * excursionShape(excursion, t)) : value;

  switch (device.kind) {
    case 'water_level': {
      const { distanceFromMouthKm } = parseMetadata(device, waterStationMetadataSchema);
      return (t) => {
        const level = lift('water_level', tideLevel(distanceFromMouthKm, t), t);
        return { water_level: round('water_level', level + 0.01 * noise('water_level', t, MINUTE_MS)) };
      };
    }
    case 'salinity': {
      const { distanceFromMouthKm } = parseMetadata(device, waterStationMetadataSchema);
      return (t) => {
        const salinity = lift('salinity', salinityLevel(distanceFromMouthKm, t), t);
        // Relative error of the probe, plus a floor it cannot resolve below; it drifts slowly.
        const value = salinity + (0.015 * salinity + 0.01) * noise('salinity', t, 5 * MINUTE_MS);
        return { salinity: round('salinity', Math.max(0, value)) };
      };
    }
    case 'air_quality': {
      const { setting } = parseMetadata(device, airStationMetadataSchema);
      const stationFactor = deviceFactor(device.id, 'pm', 0.9, 1.1);
      const coarseRatio = deviceFactor(device.id, 'pm10', 1.55, 1.8);
      return (t) => {
        const pm25 = lift('pm25', pm25Level(setting, stationFactor, t), t) * (1 + 0.08 * noise('pm25', t, MINUTE_MS));
        const pm10 = pm25 * coarseRatio * (1 + 0.05 * noise('pm10', t, MINUTE_MS));
        const humidity = Math.min(100, Math.max(35, humidityLevel(t) + 1.5 * noise('humidity', t, MINUTE_MS)));
        return {
          pm25: round('pm25', pm25),
          pm10: round('pm10', pm10),
          temperature: round('temperature', temperatureLevel(t) + 0.3 * noise('temperature', t, MINUTE_MS)),
          humidity: round('humidity', humidity),
        };
      };
    }
    case 'traffic_camera': {
      const { roadClass } = parseMetadata(device, cameraMetadataSchema);
      const cameraFactor = deviceFactor(device.id, 'traffic', 0.85, 1.25);
      return (t) => {
        const flow = lift('vehicle_count', vehicleFlow(roadClass, cameraFactor, t), t);
        // Counts scatter like a Poisson process: by about the square root of the mean.
        const count = Math.max(0, flow + 1.7 * Math.sqrt(flow) * noise('vehicle_count', t, 2 * MINUTE_MS));
        // Now and then the encoder stutters.
        const stutter = noise('stream_fps', t, 1000);
        const fps = stutter > 0.94 ? 8 + (stutter - 0.94) * 200 : 25;
        return { vehicle_count: round('vehicle_count', count), stream_fps: round('stream_fps', fps) };
      };
    }
    default:
      throw new Error(`device ${device.id}: the simulator has no model for kind ${device.kind}`);
  }
}
