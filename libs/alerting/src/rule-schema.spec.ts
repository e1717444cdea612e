import { alertRuleSchema, updateAlertRuleSchema } from '@ioc/contracts';

const valid = {
  name: 'Mặn vượt ngưỡng',
  scope: { type: 'deviceKind', deviceKind: 'salinity' },
  conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: 4, clear: 3.5, forS: 300 }],
  messages: { vi: 'Độ mặn {value}{unit} tại {device}', en: 'Salinity {value}{unit} at {device}' },
};
const ring = [[106, 10], [106.1, 10], [106.1, 10.1], [106, 10]];

/** The dotted paths of the issues a body is refused for. */
function refused(body: unknown): string[] {
  const result = alertRuleSchema.safeParse(body);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => i.path.join('.'));
}

describe('alertRuleSchema', () => {
  it('fills the defaults of a valid rule', () => {
    expect(alertRuleSchema.parse(valid)).toMatchObject({
      severity: 'warning',
      combine: 'any',
      enabled: true,
      dampingS: 300,
      minNotifyIntervalS: 0,
      grouping: 'device',
    });
  });

  it.each([
    ['name', { ...valid, name: '  ' }],
    ['conditions.0.value', { ...valid, conditions: [{ ...valid.conditions[0], value: Number.NaN }] }],
    ['conditions.0.value', { ...valid, conditions: [{ ...valid.conditions[0], value: Infinity }] }],
    ['conditions.0.clear', { ...valid, conditions: [{ ...valid.conditions[0], clear: 4.5 }] }],
    ['conditions.0.high', { ...valid, conditions: [{ kind: 'threshold', metric: 'salinity', operator: 'outside', low: 2, high: 2 }] }],
    ['conditions.0.clearMargin', { ...valid, conditions: [{ kind: 'threshold', metric: 'salinity', operator: 'outside', low: 0, high: 2, clearMargin: 1.5 }] }],
    ['conditions.0.windowS', { ...valid, conditions: [{ kind: 'rate_of_change', metric: 'water_level', windowS: 30, change: 0.2, direction: 'rise' }] }],
    ['conditions.0.change', { ...valid, conditions: [{ kind: 'rate_of_change', metric: 'water_level', windowS: 60, change: 0, direction: 'rise' }] }],
    ['conditions.0.afterS', { ...valid, conditions: [{ kind: 'no_data', metric: 'salinity', afterS: 8 * 86_400 }] }],
    ['conditions.0.minConfidence', { ...valid, conditions: [{ kind: 'camera_event', eventType: 'accident', minConfidence: 1.2 }] }],
    ['conditions.0.metric', { ...valid, conditions: [{ ...valid.conditions[0], metric: '' }] }],
    ['conditions', { ...valid, conditions: [] }],
    ['conditions', { ...valid, conditions: Array.from({ length: 11 }, () => valid.conditions[0]) }],
    ['conditions', { ...valid, combine: 'any', conditions: [valid.conditions[0], { kind: 'offline' }] }],
    ['combine', { ...valid, conditions: [valid.conditions[0], valid.conditions[0]] }],
    ['grouping', { ...valid, grouping: 'area' }],
    ['messages.vi', { ...valid, messages: { ...valid.messages, vi: 'Độ mặn {gia_tri}' } }],
    ['messages.en', { ...valid, messages: { vi: valid.messages.vi, en: '' } }],
    ['scope.deviceIds', { ...valid, scope: { type: 'devices', deviceIds: [] } }],
    ['scope.deviceIds', { ...valid, scope: { type: 'devices', deviceIds: Array.from({ length: 1001 }, (_, i) => `d${i}`) } }],
    ['scope.polygon', { ...valid, scope: { type: 'polygon', polygon: ring.slice(0, 3) } }],
    ['scope.polygon', { ...valid, scope: { type: 'polygon', polygon: [...ring.slice(0, 3), [106, 10.2]] } }],
    ['scope.polygon.1.0', { ...valid, scope: { type: 'polygon', polygon: [ring[0], [181, 10], ...ring.slice(2)] } }],
    ['scope.areaId', { ...valid, scope: { type: 'area', areaId: 'Phường 1' } }],
  ])('refuses a bad %s', (path, body) => {
    expect(refused(body)).toContain(path);
  });

  it('names the placeholders a template may use', () => {
    const result = alertRuleSchema.safeParse({ ...valid, messages: { ...valid.messages, en: 'at {where}' } });
    expect(result.error?.issues[0].message).toBe('unknown placeholder {where}; use {device}, {metric}, {value}, {threshold}, {unit}, {place}');
  });

  it('takes a polygon scope, an area grouping of an area scope, and several conditions with combine', () => {
    expect(alertRuleSchema.safeParse({ ...valid, scope: { type: 'polygon', polygon: ring } }).success).toBe(true);
    expect(alertRuleSchema.safeParse({ ...valid, scope: { type: 'area', areaId: 'phuong-1' }, grouping: 'area' }).success).toBe(true);
    expect(alertRuleSchema.safeParse({ ...valid, combine: 'all', conditions: [valid.conditions[0], valid.conditions[0]] }).success).toBe(true);
  });
});

describe('updateAlertRuleSchema', () => {
  it('takes any field alone, and refuses nothing to update and unknown fields', () => {
    expect(updateAlertRuleSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(updateAlertRuleSchema.safeParse({}).success).toBe(false);
    expect(updateAlertRuleSchema.safeParse({ threshold: 3 }).success).toBe(false);
  });
});
