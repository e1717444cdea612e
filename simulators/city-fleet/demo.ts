import type { AlertRuleDefinitionInput, CreateDeviceInput, DeviceKind } from '@ioc/contracts';
import { alarmLevelsOf } from './fleet';
import { MINUTE_MS, type Excursion } from './models';

/** Salinity above which water is no longer fit for rice and orchards. */
export const SALINITY_WARNING_PPT = 4;
/** QCVN 05:2023/BTNMT, 24-hour limit for PM2.5. */
export const PM25_WARNING_UGM3 = 50;
/** A lorry passing a roadside station raises a puff of dust for a few seconds; only dust that stays counts. */
export const PM25_SUSTAINED_S = 30;
export const CONGESTION_VEHICLES_PER_MINUTE = 100;
/** A platoon released by a green light is not congestion; a queue that lasts is. */
export const CONGESTION_SUSTAINED_S = 300;
/** Long enough for a camera to reboot or a link to come back without waking the operations room. */
export const CAMERA_OFFLINE_S = 300;
/** The station whose BĐ3 becomes the critical flood rule and whose BĐ2 is the city's flood warning. */
export const FLOOD_RULE_STATION_ID = 'mt-wl-01';
/** The area of libs/areas/data/pilot-areas.geojson that holds that station and its neighbours. */
export const FLOOD_AREA_ID = 'my-tho';
const FLOOD_AREA_NAME = 'Thành phố Mỹ Tho';
/**
 * Waves and boat wakes move a reading by centimetres around an alarm level: a flood alert clears
 * only once the water is this far back under it, rather than flapping.
 */
export const FLOOD_CLEAR_MARGIN_M = 0.1;

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

const minutes = (seconds: number) => seconds / 60;
/** In whole centimetres, as the stations report. */
const clearBelow = (level: number) => Math.round((level - FLOOD_CLEAR_MARGIN_M) * 100) / 100;

/** The demo's alert rules for the devices being simulated. */
export function demoRules(devices: readonly CreateDeviceInput[]): AlertRuleDefinitionInput[] {
  const rules: AlertRuleDefinitionInput[] = [
    {
      name: `Độ mặn vượt ${SALINITY_WARNING_PPT} ‰`,
      severity: 'warning',
      scope: { type: 'deviceKind', deviceKind: 'salinity' },
      conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: SALINITY_WARNING_PPT }],
      messages: {
        vi: '{device}: độ mặn {value} {unit}, vượt ngưỡng {threshold} {unit}',
        en: '{device}: salinity {value} {unit}, above the {threshold} {unit} threshold',
      },
    },
    {
      name: `Bụi mịn PM2.5 vượt ${PM25_WARNING_UGM3} µg/m³ (QCVN 05:2023/BTNMT)`,
      severity: 'warning',
      scope: { type: 'deviceKind', deviceKind: 'air_quality' },
      conditions: [
        { kind: 'threshold', metric: 'pm25', operator: '>', value: PM25_WARNING_UGM3, forS: PM25_SUSTAINED_S },
      ],
      messages: {
        vi: `{device}: bụi mịn PM2.5 {value} {unit}, vượt ngưỡng {threshold} {unit} (QCVN 05:2023/BTNMT) liên tục hơn ${PM25_SUSTAINED_S} giây`,
        en: `{device}: fine dust PM2.5 {value} {unit}, above the {threshold} {unit} limit (QCVN 05:2023/BTNMT) for over ${PM25_SUSTAINED_S} seconds`,
      },
    },
    {
      name: `Ùn tắc giao thông: trên ${CONGESTION_VEHICLES_PER_MINUTE} xe/phút`,
      severity: 'info',
      scope: { type: 'deviceKind', deviceKind: 'traffic_camera' },
      conditions: [
        {
          kind: 'threshold',
          metric: 'vehicle_count',
          operator: '>',
          value: CONGESTION_VEHICLES_PER_MINUTE,
          forS: CONGESTION_SUSTAINED_S,
        },
      ],
      messages: {
        vi: `{device}: ùn tắc, lưu lượng {value} {unit} vượt ngưỡng {threshold} {unit} liên tục hơn ${minutes(CONGESTION_SUSTAINED_S)} phút`,
        en: `{device}: congestion, {value} vehicles per minute, above {threshold} for over ${minutes(CONGESTION_SUSTAINED_S)} minutes`,
      },
    },
    {
      name: `Camera giao thông mất kết nối quá ${minutes(CAMERA_OFFLINE_S)} phút`,
      severity: 'warning',
      scope: { type: 'deviceKind', deviceKind: 'traffic_camera' },
      conditions: [{ kind: 'offline', afterS: CAMERA_OFFLINE_S }],
      messages: {
        vi: `{device}: mất kết nối hơn ${minutes(CAMERA_OFFLINE_S)} phút, đoạn đường này không còn được giám sát`,
        en: `{device}: offline for over ${minutes(CAMERA_OFFLINE_S)} minutes, this road is no longer watched`,
      },
    },
  ];
  const station = devices.find((d) => d.id === FLOOD_RULE_STATION_ID);
  const levels = station ? alarmLevelsOf(station) : null;
  if (station && levels) {
    rules.push(
      {
        name: `Mực nước vượt BĐ3: ${station.name}`,
        severity: 'critical',
        scope: { type: 'devices', deviceIds: [station.id] },
        conditions: [
          { kind: 'threshold', metric: 'water_level', operator: '>=', value: levels.bd3, clear: clearBelow(levels.bd3) },
        ],
        messages: {
          vi: '{device}: mực nước {value} {unit}, đạt báo động 3 (BĐ3: {threshold} {unit})',
          en: '{device}: water level {value} {unit}, at flood alarm level 3 (BĐ3: {threshold} {unit})',
        },
      },
      {
        // Streets flood at a height above the datum, wherever it is read: the city's reference
        // station sets the level for every station around it, and one incident gathers them.
        name: `Mực nước đạt BĐ2 trên địa bàn ${FLOOD_AREA_NAME}`,
        severity: 'warning',
        scope: { type: 'area', areaId: FLOOD_AREA_ID },
        grouping: 'area',
        conditions: [
          { kind: 'threshold', metric: 'water_level', operator: '>=', value: levels.bd2, clear: clearBelow(levels.bd2) },
        ],
        messages: {
          vi: 'Nguy cơ ngập úng tại {place}: {device} đo mực nước {value} {unit}, đạt báo động 2 (BĐ2: {threshold} {unit})',
          en: 'Flooding risk in {place}: {device} reads a water level of {value} {unit}, at flood alarm level 2 (BĐ2: {threshold} {unit})',
        },
      },
    );
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
