import { alertRuleSchema, type AlertRuleDefinitionInput } from '@ioc/contracts';
import type { AlertInput } from '../input';
import { groupFirings, replayDevice, type Firing } from './replay';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 10, 1);
const messages = { vi: '{device}: {value}', en: '{device}: {value}' };
const rule = (draft: Partial<AlertRuleDefinitionInput>) =>
  alertRuleSchema.parse({ name: 'r', scope: { type: 'all' }, messages, conditions: [], ...draft });
const samples = (metric: string, values: readonly number[], everyMs = MIN): AlertInput[] =>
  values.map((value, i) => ({ type: 'sample', metric, value, time: T0 + i * everyMs }));

describe('replayDevice', () => {
  const level = rule({ conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>', value: 1.5, clear: 1.4, forS: 120 }] });

  it('fires once the condition has held for its duration, on the clock, and clears past the clear level only', () => {
    // Above from minute 2, so due at minute 4 (with the newest value then, 1.7); 1.45 is inside the
    // hysteresis band; 1.3 clears at minute 8.
    const inputs = samples('water_level', [1.0, 1.2, 1.6, 1.7, 1.45, 1.6, 1.45, 1.5, 1.3, 1.2]);
    expect(replayDevice(level, 'a', inputs, T0, T0 + 60 * MIN)).toEqual([{ deviceId: 'a', from: T0 + 4 * MIN, to: T0 + 8 * MIN, value: 1.7 }]);
  });

  it('fires at the end of `for` when no further sample comes, and a run broken by one good value starts over', () => {
    const broken = samples('water_level', [1.6, 1.0, 1.6]);
    expect(replayDevice(level, 'a', broken, T0, T0 + 60 * MIN)).toEqual([{ deviceId: 'a', from: T0 + 4 * MIN, to: null, value: 1.6 }]);
    // The window ends before the two minutes are up: nothing.
    expect(replayDevice(level, 'a', broken, T0, T0 + 3 * MIN)).toEqual([]);
  });

  it('ignores a duplicate and an out-of-order sample', () => {
    const inputs: AlertInput[] = [...samples('water_level', [1.0, 1.0]), { type: 'sample', metric: 'water_level', value: 9, time: T0 }];
    expect(replayDevice(level, 'a', inputs, T0, T0 + 60 * MIN)).toEqual([]);
  });

  it('fires a no-data rule on the clock with no message at all, and clears at the next reading', () => {
    const stale = rule({ conditions: [{ kind: 'no_data', metric: 'salinity', afterS: 600 }] });
    expect(replayDevice(stale, 'a', [], T0, T0 + HOUR)).toEqual([{ deviceId: 'a', from: T0 + 10 * MIN, to: null, value: null }]);
    const late: AlertInput[] = [{ type: 'sample', metric: 'salinity', value: 2, time: T0 + 25 * MIN }];
    expect(replayDevice(stale, 'a', late, T0, T0 + 30 * MIN)).toEqual([{ deviceId: 'a', from: T0 + 10 * MIN, to: T0 + 25 * MIN, value: null }]);
  });
});

describe('groupFirings', () => {
  const f = (deviceId: string, from: number, to: number | null): Firing => ({ deviceId, from: T0 + from * MIN, to: to === null ? null : T0 + to * MIN, value: from });

  it('keeps a re-fire within the damping window on the same incident, and opens a new one after it', () => {
    const incidents = groupFirings([f('a', 0, 10), f('a', 14, 20), f('a', 40, 45)], 5 * MIN);
    expect(incidents).toEqual([
      { deviceIds: ['a'], from: T0, to: T0 + 20 * MIN, value: 0, fires: 2 },
      { deviceIds: ['a'], from: T0 + 40 * MIN, to: T0 + 45 * MIN, value: 40, fires: 1 },
    ]);
  });

  it('gathers the devices of an area into one incident while any of them fires', () => {
    const incidents = groupFirings([f('b', 5, 30), f('a', 0, 10), f('c', 29, null)], 0);
    expect(incidents).toEqual([{ deviceIds: ['a', 'b', 'c'], from: T0, to: null, value: 0, fires: 3 }]);
  });
});
