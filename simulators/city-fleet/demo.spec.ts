import { createRuleSchema, type DeviceKind } from '@ioc/contracts';
import {
  CONGESTION_VEHICLES_PER_MINUTE,
  DEMO_EXCURSIONS,
  demoRules,
  FLOOD_RULE_STATION_ID,
  PM25_WARNING_UGM3,
  SALINITY_WARNING_PPT,
  selectDevices,
} from './demo';
import { alarmLevelsOf, FLEET } from './fleet';

describe('demoRules', () => {
  const rules = demoRules(FLEET);

  it('are valid CreateRuleInput with unique names', () => {
    for (const rule of rules) expect(createRuleSchema.safeParse(rule).error).toBeUndefined();
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
  });

  it('watch salinity, PM2.5 and congestion by kind of device', () => {
    const byMetric = new Map(rules.map((r) => [r.metric, r]));
    expect(byMetric.get('salinity')).toMatchObject({
      operator: '>',
      threshold: SALINITY_WARNING_PPT,
      severity: 'warning',
      deviceKind: 'salinity',
    });
    expect(byMetric.get('pm25')).toMatchObject({
      operator: '>',
      threshold: PM25_WARNING_UGM3,
      severity: 'warning',
      deviceKind: 'air_quality',
    });
    expect(byMetric.get('vehicle_count')).toMatchObject({
      operator: '>',
      threshold: CONGESTION_VEHICLES_PER_MINUTE,
      severity: 'info',
      deviceKind: 'traffic_camera',
    });
  });

  it("make the station's own BĐ3 a critical rule for that station", () => {
    const station = FLEET.find((d) => d.id === FLOOD_RULE_STATION_ID)!;
    const flood = rules.find((r) => r.metric === 'water_level');
    expect(flood).toMatchObject({
      operator: '>=',
      threshold: alarmLevelsOf(station)!.bd3,
      severity: 'critical',
      deviceId: FLOOD_RULE_STATION_ID,
    });
  });

  it('leave the flood rule out when its station is not simulated', () => {
    const withoutStation = demoRules(FLEET.filter((d) => d.id !== FLOOD_RULE_STATION_ID));
    expect(withoutStation.map((r) => r.metric)).not.toContain('water_level');
    expect(withoutStation).toHaveLength(rules.length - 1);
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
