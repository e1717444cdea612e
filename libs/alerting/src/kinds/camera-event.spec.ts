import type { CameraEventCondition } from '@ioc/contracts';
import { evaluateAll } from '../../../../test/support/conditions';
import type { AlertInput } from '../input';
import { evaluate, initial } from './camera-event';

const c: CameraEventCondition = { kind: 'camera_event', eventType: 'accident', minConfidence: 0.7, count: 3, windowS: 60 };
const event = (time: number, confidence: number | null = 0.9, eventType = 'accident'): AlertInput => ({ type: 'event', eventType, confidence, time });
const tick = (time: number): AlertInput => ({ type: 'tick', time });

const run = (inputs: AlertInput[]) => evaluateAll(evaluate, c, initial(), inputs);

describe('camera event condition', () => {
  it('fires at the count-th confident event in the window', () => {
    const results = run([event(0), event(10_000, 0.5), event(20_000, null), event(30_000, 0.7), event(40_000, 0.9, 'crowd'), event(50_000)]);
    expect(results.map((r) => r.active)).toEqual([false, false, false, false, false, true]);
  });

  it('clears on time as the oldest event slides out of the window', () => {
    const results = run([event(0), event(10_000), event(20_000), tick(59_999), tick(60_000)]);
    expect(results.map((r) => r.active)).toEqual([false, false, true, true, false]);
    expect(results[2].wakeAt).toBe(60_000);
  });

  it('counts a duplicate once and places a late event in order', () => {
    const dup = run([event(0), event(0), event(10_000)]);
    expect(dup.at(-1)!.active).toBe(false);
    const late = run([event(30_000), event(50_000), event(40_000)]);
    expect(late.at(-1)).toMatchObject({ active: true, wakeAt: 90_000 });
  });

  it('a late event already out of the window does not count', () => {
    const results = run([event(100_000), event(110_000), event(40_000)]);
    expect(results.at(-1)!.active).toBe(false);
  });
});
