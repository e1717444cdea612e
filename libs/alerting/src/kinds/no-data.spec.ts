import type { NoDataCondition } from '@ioc/contracts';
import type { AlertInput } from '../input';
import { evaluate, initial } from './no-data';

const c: NoDataCondition = { kind: 'no_data', metric: 'salinity', afterS: 600 };
const sample = (time: number, metric = 'salinity'): AlertInput => ({ type: 'sample', metric, value: 1, time });
const tick = (time: number): AlertInput => ({ type: 'tick', time });

describe('no-data condition', () => {
  it('fires on time from the rule start when no message ever arrives', () => {
    const start = initial(1_000_000);
    const early = evaluate(c, start, tick(1_599_999));
    expect(early).toMatchObject({ active: false, wakeAt: 1_600_000 });
    expect(evaluate(c, early.state, tick(1_600_000))).toMatchObject({ active: true, changed: true, wakeAt: null });
  });

  it('a reading clears it and starts the wait again; other metrics do not', () => {
    const fired = evaluate(c, initial(0), tick(600_000));
    expect(evaluate(c, fired.state, sample(700_000, 'water_level')).active).toBe(true);
    const cleared = evaluate(c, fired.state, sample(700_000));
    expect(cleared).toMatchObject({ active: false, changed: true, wakeAt: 1_300_000 });
  });

  it('a duplicate or a late reading older than the newest does not put the deadline off', () => {
    const fresh = evaluate(c, initial(0), sample(100_000));
    expect(evaluate(c, fresh.state, sample(100_000)).wakeAt).toBe(700_000);
    expect(evaluate(c, fresh.state, sample(50_000)).wakeAt).toBe(700_000);
  });
});
