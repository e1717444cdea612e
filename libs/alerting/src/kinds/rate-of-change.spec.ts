import type { RateOfChangeCondition } from '@ioc/contracts';
import { evaluateAll } from '../../../../test/support/conditions';
import type { AlertInput } from '../input';
import { evaluate, initial, MAX_CANDIDATES } from './rate-of-change';

const MIN = 60_000;
const condition = (over: Partial<RateOfChangeCondition> = {}): RateOfChangeCondition => ({
  kind: 'rate_of_change',
  metric: 'water_level',
  windowS: 1800,
  change: 0.2,
  direction: 'rise',
  ...over,
});
const sample = (value: number, time: number): AlertInput => ({ type: 'sample', metric: 'water_level', value, time });

const run = (c: RateOfChangeCondition, inputs: AlertInput[]) => evaluateAll(evaluate, c, initial(), inputs);
/** Candidates are kept as `[time, value, time, value, ...]`. */
const points = (list: readonly number[]) => list.length / 2;

describe('rate of change condition', () => {
  it('fires on a rise of exactly the change within the window, floating point notwithstanding', () => {
    const results = run(condition(), [sample(0.1, 0), sample(0.2, 10 * MIN), sample(0.3, 20 * MIN)]);
    expect(results.map((r) => r.active)).toEqual([false, false, true]);
    expect(results[2].value).toBeCloseTo(0.2);
  });

  it('does not fire when the low point has left the window', () => {
    const results = run(condition(), [sample(0.1, 0), sample(0.2, 20 * MIN), sample(0.31, 30 * MIN + 1)]);
    expect(results.map((r) => r.active)).toEqual([false, false, false]);
  });

  it('clears once the rise within the window is under the change', () => {
    const results = run(condition(), [sample(1, 0), sample(1.3, 10 * MIN), sample(1.3, 25 * MIN), sample(1.3, 30 * MIN + 1)]);
    expect(results.map((r) => r.active)).toEqual([false, true, true, false]);
  });

  it('places an out-of-order sample in the window: a late low reading makes the rise', () => {
    const results = run(condition(), [sample(1.0, 10 * MIN), sample(1.1, 20 * MIN), sample(0.85, 5 * MIN)]);
    expect(results.map((r) => r.active)).toEqual([false, false, true]);
    expect(results[2].value).toBeCloseTo(0.25);
  });

  it('ignores a sample older than the window and a duplicate of the newest', () => {
    const results = run(condition(), [sample(1.0, 40 * MIN), sample(0.5, 5 * MIN), sample(0.5, 40 * MIN)]);
    expect(results.map((r) => r.active)).toEqual([false, false, false]);
    expect(results[2].state).toBe(results[0].state);
  });

  it('watches a fall, and either way', () => {
    const falling = [sample(2, 0), sample(1.7, 10 * MIN)];
    expect(run(condition({ direction: 'fall' }), falling).map((r) => r.active)).toEqual([false, true]);
    expect(run(condition({ direction: 'rise' }), falling).map((r) => r.active)).toEqual([false, false]);
    const either = run(condition({ direction: 'either' }), falling);
    expect(either[1]).toMatchObject({ active: true });
    expect(either[1].value).toBeCloseTo(-0.3);
  });

  it('keeps only the samples that can still matter, and never more than its bound', () => {
    const c = condition({ windowS: 86_400 });
    const falling = run(c, Array.from({ length: 500 }, (_, i) => sample(10 - i * 0.001, i * 1000)));
    expect(points(falling.at(-1)!.state.lows)).toBe(1);
    const climbing = run(c, Array.from({ length: 1000 }, (_, i) => sample(i * 0.0001, i * 1000)));
    expect(points(climbing.at(-1)!.state.lows)).toBeLessThanOrEqual(MAX_CANDIDATES);
    expect(climbing.at(-1)!.active).toBe(false);
  });
});
