import type { OfflineCondition } from '@ioc/contracts';
import { evaluateAll } from '../../../../test/support/conditions';
import type { AlertInput } from '../input';
import { evaluate, initial } from './offline';

const status = (online: boolean, time: number): AlertInput => ({ type: 'status', online, time });
const tick = (time: number): AlertInput => ({ type: 'tick', time });

const run = (c: OfflineCondition, inputs: AlertInput[]) => evaluateAll(evaluate, c, initial(), inputs);

describe('offline condition', () => {
  it('without grace fires with the offline status', () => {
    expect(run({ kind: 'offline', afterS: 0 }, [status(false, 1000)])[0]).toMatchObject({ active: true, changed: true });
  });

  it('fires when the grace has passed on a tick, and not when the device came back within it', () => {
    const c: OfflineCondition = { kind: 'offline', afterS: 60 };
    const gone = run(c, [status(false, 0), tick(59_999), tick(60_000)]);
    expect(gone.map((r) => r.active)).toEqual([false, false, true]);
    expect(gone[0].wakeAt).toBe(60_000);
    const back = run(c, [status(false, 0), status(true, 30_000), tick(60_000)]);
    expect(back.map((r) => r.active)).toEqual([false, false, false]);
  });

  it('a repeated offline keeps the first time; a status older than the newest is ignored', () => {
    const c: OfflineCondition = { kind: 'offline', afterS: 60 };
    const results = run(c, [status(false, 0), status(false, 30_000), status(true, 20_000), tick(60_000)]);
    expect(results.map((r) => r.active)).toEqual([false, false, false, true]);
  });

  it('does not look at readings: silence is no_data', () => {
    const c: OfflineCondition = { kind: 'offline', afterS: 0 };
    const results = run(c, [status(false, 0), { type: 'sample', metric: 'battery', value: 80, time: 1000 }]);
    expect(results.map((r) => r.active)).toEqual([true, true]);
  });
});
