import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertRuleSchema, type AlertRuleDefinitionInput, type DeviceKind } from '@ioc/contracts';
import { renderMessage } from '@ioc/alerting';
import { AreaIndex, parseAreaFile } from '@ioc/areas';
import {
  CAMERA_OFFLINE_S,
  CONGESTION_SUSTAINED_S,
  CONGESTION_VEHICLES_PER_MINUTE,
  DEMO_EXCURSIONS,
  demoRules,
  FLOOD_AREA_ID,
  FLOOD_CLEAR_MARGIN_M,
  FLOOD_RULE_STATION_ID,
  PM25_SUSTAINED_S,
  PM25_WARNING_UGM3,
  SALINITY_WARNING_PPT,
  selectDevices,
} from './demo';
import { alarmLevelsOf, FLEET } from './fleet';
import { excursionShape } from './models';

const pilotAreas = new AreaIndex(
  parseAreaFile(JSON.parse(readFileSync(join(__dirname, '..', '..', 'libs', 'areas', 'data', 'pilot-areas.geojson'), 'utf8'))),
);

const watching = (rules: readonly AlertRuleDefinitionInput[], metric: string) =>
  rules.filter((r) => r.conditions.some((c) => 'metric' in c && c.metric === metric));

describe('demoRules', () => {
  const rules = demoRules(FLEET);
  const station = FLEET.find((d) => d.id === FLOOD_RULE_STATION_ID)!;
  const levels = alarmLevelsOf(station)!;

  it('are valid rule definitions with unique names, few enough to read at a glance', () => {
    for (const rule of rules) expect(alertRuleSchema.safeParse(rule).error).toBeUndefined();
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
    expect(rules.length).toBeLessThanOrEqual(8);
  });

  it('watch salinity, PM2.5 and congestion by kind of device', () => {
    expect(watching(rules, 'salinity')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        scope: { type: 'deviceKind', deviceKind: 'salinity' },
        conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: SALINITY_WARNING_PPT }],
      }),
    ]);
    expect(watching(rules, 'pm25')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        scope: { type: 'deviceKind', deviceKind: 'air_quality' },
        conditions: [{ kind: 'threshold', metric: 'pm25', operator: '>', value: PM25_WARNING_UGM3, forS: PM25_SUSTAINED_S }],
      }),
    ]);
    expect(watching(rules, 'vehicle_count')).toEqual([
      expect.objectContaining({
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
      }),
    ]);
  });

  it('warn when a traffic camera stays offline', () => {
    expect(rules.filter((r) => r.conditions.some((c) => c.kind === 'offline'))).toEqual([
      expect.objectContaining({
        severity: 'warning',
        scope: { type: 'deviceKind', deviceKind: 'traffic_camera' },
        conditions: [{ kind: 'offline', afterS: CAMERA_OFFLINE_S }],
      }),
    ]);
  });

  it("make the station's own BĐ3 a critical rule for that station, clearing a little below it", () => {
    const flood = watching(rules, 'water_level').find((r) => r.severity === 'critical');
    expect(flood).toMatchObject({
      scope: { type: 'devices', deviceIds: [FLOOD_RULE_STATION_ID] },
      conditions: [
        { kind: 'threshold', metric: 'water_level', operator: '>=', value: levels.bd3, clear: expect.closeTo(levels.bd3 - FLOOD_CLEAR_MARGIN_M, 6) },
      ],
    });
  });

  it("gather the city's water-level stations at that station's BĐ2 into one incident per area", () => {
    const flood = watching(rules, 'water_level').find((r) => r.grouping === 'area');
    expect(flood).toMatchObject({
      severity: 'warning',
      scope: { type: 'area', areaId: FLOOD_AREA_ID },
      conditions: [
        { kind: 'threshold', metric: 'water_level', operator: '>=', value: levels.bd2, clear: expect.closeTo(levels.bd2 - FLOOD_CLEAR_MARGIN_M, 6) },
      ],
    });
    const inArea = FLEET.filter(
      (d) => d.kind === 'water_level' && pilotAreas.containing(d.lat, d.lng).some((a) => a.id === FLOOD_AREA_ID),
    );
    expect(inArea.map((d) => d.id)).toContain(FLOOD_RULE_STATION_ID);
    expect(inArea.length).toBeGreaterThan(1);
  });

  it('leave the flood rules out when their station is not simulated', () => {
    const withoutStation = demoRules(FLEET.filter((d) => d.id !== FLOOD_RULE_STATION_ID));
    expect(watching(withoutStation, 'water_level')).toEqual([]);
    expect(withoutStation).toHaveLength(rules.length - 2);
  });

  it('tell the operator which device and what value, in Vietnamese and English', () => {
    const salinity = watching(rules, 'salinity')[0];
    const values = { device: 'Trạm đo độ mặn Tân Hòa', metric: 'salinity', value: 5.6, threshold: SALINITY_WARNING_PPT };
    expect(renderMessage(salinity.messages.vi, 'vi', values)).toBe('Trạm đo độ mặn Tân Hòa: độ mặn 5,60 ‰, vượt ngưỡng 4,00 ‰');
    expect(renderMessage(salinity.messages.en, 'en', values)).toBe(
      'Trạm đo độ mặn Tân Hòa: salinity 5.60 ‰, above the 4.00 ‰ threshold',
    );
    for (const rule of rules) {
      for (const template of [rule.messages.vi, rule.messages.en]) {
        expect(template).toContain('{device}');
        if (rule.conditions.some((c) => c.kind === 'threshold')) expect(template).toContain('{value}');
      }
    }
  });

  it.each(Object.entries(DEMO_EXCURSIONS))('the excursion of %s holds past its rule\'s delay, for half a minute or more', (id, excursion) => {
    const device = FLEET.find((d) => d.id === id)!;
    const [rule] = watching(rules, excursion!.metric).filter(
      (r) => r.scope.type === 'deviceKind' && r.scope.deviceKind === device.kind,
    );
    const condition = rule.conditions[0];
    if (condition.kind !== 'threshold' || !('value' in condition)) throw new Error(`${rule.name}: not a comparison`);
    let longest = 0;
    let run = 0;
    for (let t = 0; t < excursion!.periodMs; t += 1000) {
      run = excursion!.peak * excursionShape(excursion!, t) > condition.value ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThanOrEqual((condition.forS ?? 0) + 30);
  });
});

describe('selectDevices', () => {
  it('keeps the whole fleet without a limit or with a large one', () => {
    expect(selectDevices(FLEET)).toEqual(FLEET);
    expect(selectDevices(FLEET, FLEET.length + 10)).toEqual(FLEET);
  });

  it('keeps the stations the demo relies on first', () => {
    const pinned = [FLOOD_RULE_STATION_ID, ...Object.keys(DEMO_EXCURSIONS)];
    expect(selectDevices(FLEET, pinned.length).map((d) => d.id).sort()).toEqual(pinned.sort());
  });

  it('lets every kind take part in a small fleet, without repeats', () => {
    for (const limit of [1, 4, 8, 13, 30]) {
      const chosen = selectDevices(FLEET, limit);
      expect(chosen).toHaveLength(limit);
      expect(new Set(chosen.map((d) => d.id)).size).toBe(limit);
    }
    const kinds = new Set<DeviceKind>(selectDevices(FLEET, 6).map((d) => d.kind));
    expect(kinds.size).toBe(4);
  });
});
