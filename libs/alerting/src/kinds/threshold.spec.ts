import { alertConditionSchema, type AlertConditionInput, type ThresholdCondition } from '@ioc/contracts';
import { evaluateAll } from '../../../../test/support/conditions';
import type { AlertInput } from '../input';
import { evaluate, initial } from './threshold';

const condition = (over: Partial<Record<string, unknown>>) =>
  alertConditionSchema.parse({ kind: 'threshold', metric: 'water_level', ...(over.low === undefined ? { operator: '>', value: 2 } : {}), ...over } as AlertConditionInput) as ThresholdCondition;
const sample = (value: number, time: number): AlertInput => ({ type: 'sample', metric: 'water_level', value, time });
const tick = (time: number): AlertInput => ({ type: 'tick', time });

/** The `active` answer after each input. */
const run = (c: ThresholdCondition, inputs: AlertInput[]): boolean[] => evaluateAll(evaluate, c, initial(), inputs).map((r) => r.active);

describe('threshold condition', () => {
  it.each([
    ['>', 2, false],
    ['>=', 2, true],
    ['<', 2, false],
    ['<=', 2, true],
  ] as const)('a value exactly at the threshold with %s is active: %s', (operator, value, expected) => {
    expect(evaluate(condition({ operator, value }), initial(), sample(value, 1000)).active).toBe(expected);
  });

  it('fires once inside the hysteresis band and clears only once past the clear level', () => {
    const c = condition({ value: 2, clear: 1.8 });
    const values = [2.1, 1.9, 2.05, 1.85, 1.8, 1.9, 2.01];
    expect(run(c, values.map((v, i) => sample(v, i * 1000)))).toEqual([true, true, true, true, false, false, true]);
  });

  it('clears a range with a margin only well back inside it', () => {
    const c = condition({ operator: 'outside', low: 0, high: 10, clearMargin: 1 });
    const values = [10.5, 9.5, 9, 11, -0.1, 0.9, 1];
    expect(run(c, values.map((v, i) => sample(v, i * 1000)))).toEqual([true, true, false, true, true, true, false]);
  });

  it('an inside range fires at its bounds', () => {
    const c = condition({ operator: 'inside', low: 0, high: 10 });
    expect(run(c, [-1, 0, 10, 10.01].map((v, i) => sample(v, i * 1000)))).toEqual([false, true, true, false]);
  });

  it('waits forS of breaching values, and one good value starts the wait again', () => {
    const c = condition({ forS: 60 });
    const inputs = [sample(3, 0), sample(3, 30_000), sample(1, 40_000), sample(3, 50_000), sample(3, 100_000), sample(3, 110_000)];
    expect(run(c, inputs)).toEqual([false, false, false, false, false, true]);
  });

  it('fires forS on a tick when no further sample comes, and asks for that tick', () => {
    const c = condition({ forS: 60 });
    const first = evaluate(c, initial(), sample(3, 1000));
    expect(first.wakeAt).toBe(61_000);
    expect(evaluate(c, first.state, tick(60_999)).active).toBe(false);
    const fired = evaluate(c, first.state, tick(61_000));
    expect(fired).toMatchObject({ active: true, changed: true, wakeAt: null, value: 3 });
  });

  it('ignores a duplicate and an out-of-order sample', () => {
    const c = condition({});
    const inputs = [sample(3, 2000), sample(1, 2000), sample(1, 1000)];
    expect(run(c, inputs)).toEqual([true, true, true]);
  });

  it('ignores other metrics and other inputs', () => {
    const c = condition({});
    const other: AlertInput[] = [
      { type: 'sample', metric: 'salinity', value: 9, time: 1 },
      { type: 'event', eventType: 'flooding', confidence: 1, time: 2 },
      { type: 'status', online: false, time: 3 },
    ];
    expect(run(c, other)).toEqual([false, false, false]);
  });
});
