import { alertRuleSchema, type AlertRuleDefinitionInput, type DeviceKind } from '@ioc/contracts';
import { inputKey, RuleIndex, type DeviceFacts } from './rule-index';

const rule = (id: string, over: Partial<AlertRuleDefinitionInput>) => ({
  id,
  definition: alertRuleSchema.parse({
    name: id,
    scope: { type: 'all' },
    messages: { vi: 'x', en: 'x' },
    conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>', value: 2 }],
    ...over,
  }),
});

const devices: Record<string, DeviceFacts> = {
  'wl-1': { kind: 'water_level', areaIds: ['province', 'ward-1'], lat: 10.05, lng: 106.05 },
  'wl-2': { kind: 'water_level', areaIds: ['province', 'ward-2'], lat: 10.5, lng: 106.5 },
  'cam-1': { kind: 'traffic_camera', areaIds: ['province'], lat: null, lng: null },
};
const square = [[106, 10], [106.1, 10], [106.1, 10.1], [106, 10.1], [106, 10]] as [number, number][];
const kind = (deviceKind: DeviceKind) => ({ type: 'deviceKind' as const, deviceKind });

const rules = [
  rule('everyone', {}),
  rule('level-kind', { scope: kind('water_level') }),
  rule('camera-kind', { scope: kind('traffic_camera') }),
  rule('one-device', { scope: { type: 'devices', deviceIds: ['wl-2'] } }),
  rule('ward-1', { scope: { type: 'area', areaId: 'ward-1' } }),
  rule('drawn', { scope: { type: 'polygon', polygon: square } }),
  rule('other-metric', { conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: 4 }] }),
  rule('disabled', { enabled: false }),
  rule('offline', { conditions: [{ kind: 'offline', afterS: 0 }] }),
  rule('accident', { conditions: [{ kind: 'camera_event', eventType: 'accident' }] }),
];

const ids = (found: readonly { id: string }[]) => found.map((r) => r.id).sort();

describe('RuleIndex', () => {
  const lookups: string[] = [];
  const index = new RuleIndex(rules, (id) => {
    lookups.push(id);
    return devices[id];
  });

  it('answers only the rules whose metric and scope match the device', () => {
    expect(ids(index.candidates('wl-1', 'water_level'))).toEqual(['drawn', 'everyone', 'level-kind', 'ward-1']);
    expect(ids(index.candidates('wl-2', 'water_level'))).toEqual(['everyone', 'level-kind', 'one-device']);
    expect(ids(index.candidates('cam-1', 'water_level'))).toEqual(['camera-kind', 'everyone']);
    expect(ids(index.candidates('wl-1', 'salinity'))).toEqual(['other-metric']);
    expect(index.candidates('wl-1', 'rainfall')).toEqual([]);
    expect(index.candidates('nobody', 'water_level')).toEqual([]);
  });

  it('keys statuses and events by input type', () => {
    expect(ids(index.candidates('cam-1', inputKey({ type: 'status', online: false, time: 0 })!))).toEqual(['offline']);
    const accident = inputKey({ type: 'event', eventType: 'accident', confidence: 1, time: 0 })!;
    expect(ids(index.candidates('cam-1', accident))).toEqual(['accident']);
    expect(index.candidates('cam-1', inputKey({ type: 'event', eventType: 'crowd', confidence: 1, time: 0 })!)).toEqual([]);
    expect(inputKey({ type: 'tick', time: 0 })).toBeNull();
  });

  it("finds by a device's number what it finds by its id, and the same list for devices alike", () => {
    const numbered = new RuleIndex(rules, (id) => devices[id]);
    const slot = numbered.slotOf('wl-2');
    expect(numbered.slotOf('wl-2')).toBe(slot);
    expect(numbered.slotOf('cam-1')).not.toBe(slot);
    expect(ids(numbered.candidatesAt(slot, 'water_level'))).toEqual(['everyone', 'level-kind', 'one-device']);
    expect(numbered.candidatesAt(slot, 'water_level')).toBe(numbered.candidates('wl-2', 'water_level'));
    expect(numbered.candidatesAt(slot, 'rainfall')).toEqual([]);
    const twin = new RuleIndex(rules, (id) => (id === 'wl-3' ? { ...devices['wl-1'] } : devices[id]));
    expect(twin.candidates('wl-3', 'water_level')).toBe(twin.candidates('wl-1', 'water_level'));
  });

  it('looks a device up once per key, and again after it is forgotten or the rules change', () => {
    lookups.length = 0;
    index.candidates('wl-1', 'water_level');
    expect(lookups).toEqual([]);
    index.forgetDevice('wl-1');
    devices['wl-1'] = { ...devices['wl-1'], lat: 10.5, lng: 106.5 };
    expect(ids(index.candidates('wl-1', 'water_level'))).toEqual(['everyone', 'level-kind', 'ward-1']);
    index.setRules([rules[0]]);
    expect(ids(index.candidatesAt(index.slotOf('wl-1'), 'water_level'))).toEqual(['everyone']);
    expect(lookups).toEqual(['wl-1', 'wl-1']);
  });
});
