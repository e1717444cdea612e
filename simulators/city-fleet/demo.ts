import type { CreateDeviceInput, CreateRuleInput, DeviceKind } from '@ioc/contracts';
import { alarmLevelsOf } from './fleet';
import { MINUTE_MS, type Excursion } from './models';

/** Salinity above which water is no longer fit for rice and orchards. */
export const SALINITY_WARNING_PPT = 4;
/** QCVN 05:2023/BTNMT, 24-hour limit for PM2.5. */
export const PM25_WARNING_UGM3 = 50;
export const CONGESTION_VEHICLES_PER_MINUTE = 100;
/** The station whose BĐ3 becomes the critical flood rule. */
export const FLOOD_RULE_STATION_ID = 'mt-wl-01';

/**
 * Short scripted excursions so that a demo of a few minutes shows alerts opening and resolving:
 * natural values of these stations stay below the warning thresholds almost all the time.
 */
export const DEMO_EXCURSIONS: Readonly<Partial<Record<string, Excursion>>> = {
  'gcd-sal-03': {
    metric: 'salinity',
    peak: SALINITY_WARNING_PPT * 1.4,
    periodMs: 6 * MINUTE_MS,
    offsetMs: 0,
    rampMs: 30_000,
    holdMs: 60_000,
  },
  'mt-aq-02': {
    metric: 'pm25',
    peak: PM25_WARNING_UGM3 * 1.4,
    periodMs: 5 * MINUTE_MS,
    offsetMs: 150_000,
    rampMs: 30_000,
    holdMs: 60_000,
  },
};

/** The demo's alert rules for the devices being simulated. */
export function demoRules(devices: readonly CreateDeviceInput[]): CreateRuleInput[] {
  const rules: CreateRuleInput[] = [
    {
      name: `Độ mặn vượt ${SALINITY_WARNING_PPT} ‰`,
      kind: 'threshold',
      metric: 'salinity',
      operator: '>',
      threshold: SALINITY_WARNING_PPT,
      severity: 'warning',
      deviceKind: 'salinity',
    },
    {
      name: `Bụi mịn PM2.5 vượt ${PM25_WARNING_UGM3} µg/m³ (QCVN 05:2023/BTNMT)`,
      kind: 'threshold',
      metric: 'pm25',
      operator: '>',
      threshold: PM25_WARNING_UGM3,
      severity: 'warning',
      deviceKind: 'air_quality',
    },
    {
      name: `Ùn tắc giao thông: trên ${CONGESTION_VEHICLES_PER_MINUTE} xe/phút`,
      kind: 'threshold',
      metric: 'vehicle_count',
      operator: '>',
      threshold: CONGESTION_VEHICLES_PER_MINUTE,
      severity: 'info',
      deviceKind: 'traffic_camera',
    },
  ];
  const station = devices.find((d) => d.id === FLOOD_RULE_STATION_ID);
  const levels = station ? alarmLevelsOf(station) : null;
  if (station && levels) {
    rules.push({
      name: `Mực nước vượt BĐ3: ${station.name}`,
      kind: 'threshold',
      metric: 'water_level',
      operator: '>=',
      threshold: levels.bd3,
      severity: 'critical',
      deviceId: station.id,
    });
  }
  return rules;
}

/**
 * At most `limit` devices that keep the demo working: the kinds take turns so that a small fleet
 * still shows every kind, and each kind starts with the station the rules and excursions rely on.
 */
export function selectDevices(fleet: readonly CreateDeviceInput[], limit?: number): CreateDeviceInput[] {
  if (limit === undefined || limit >= fleet.length) return [...fleet];
  const pinned = new Set([FLOOD_RULE_STATION_ID, ...Object.keys(DEMO_EXCURSIONS)]);
  const queues = new Map<DeviceKind, CreateDeviceInput[]>();
  for (const device of [...fleet.filter((d) => pinned.has(d.id)), ...fleet.filter((d) => !pinned.has(d.id))]) {
    const queue = queues.get(device.kind) ?? [];
    queue.push(device);
    queues.set(device.kind, queue);
  }
  const chosen: CreateDeviceInput[] = [];
  while (chosen.length < limit) {
    for (const queue of queues.values()) {
      const next = queue.shift();
      if (next && chosen.length < limit) chosen.push(next);
    }
  }
  return chosen;
}
