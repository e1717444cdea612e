import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { attemptSignal } from './attempt-signal';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('attemptSignal', () => {
  it('times out with a TimeoutError, garbage collections in between', async () => {
    const { signal } = attemptSignal(100, new AbortController().signal);
    const reason = aborted(signal);
    for (let i = 0; i < 5; i++) {
      collectGarbage();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('ends at once when the server stops, or was stopping already', async () => {
    const stop = new AbortController();
    const { signal } = attemptSignal(60_000, stop.signal);
    stop.abort(new Error('stopping'));
    expect(signal.aborted).toBe(true);
    expect(attemptSignal(60_000, stop.signal).signal.aborted).toBe(true);
  });

  it('lets an attempt that is over go: no abort afterwards', async () => {
    const attempt = attemptSignal(20, new AbortController().signal);
    attempt.end();
    await new Promise((r) => setTimeout(r, 60));
    expect(attempt.signal.aborted).toBe(false);
  });
});
