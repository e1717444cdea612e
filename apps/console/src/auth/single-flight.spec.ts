import { singleFlight } from './single-flight';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('singleFlight', () => {
  it('runs once for callers that arrive while a call is under way, and gives them all its result', async () => {
    const pending = deferred<string>();
    const run = jest.fn(() => pending.promise);
    const refresh = singleFlight(run);

    const first = refresh();
    const second = refresh();
    expect(run).toHaveBeenCalledTimes(1);
    pending.resolve('token-2');
    await expect(Promise.all([first, second])).resolves.toEqual(['token-2', 'token-2']);
  });

  it('runs again once the previous call has settled', async () => {
    const results = [deferred<string>(), deferred<string>()];
    const run = jest.fn<Promise<string>, []>().mockReturnValueOnce(results[0].promise).mockReturnValueOnce(results[1].promise);
    const refresh = singleFlight(run);

    const first = refresh();
    results[0].resolve('a');
    await first;
    const second = refresh();
    results[1].resolve('b');
    await expect(second).resolves.toBe('b');
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('shares a failure with every waiting caller and lets the next call try afresh', async () => {
    const failing = deferred<string>();
    const run = jest.fn().mockReturnValueOnce(failing.promise).mockResolvedValueOnce('ok');
    const refresh = singleFlight<string>(run);

    const callers = [refresh(), refresh()];
    failing.reject(new Error('network down'));
    for (const caller of callers) await expect(caller).rejects.toThrow('network down');
    await expect(refresh()).resolves.toBe('ok');
    expect(run).toHaveBeenCalledTimes(2);
  });
});
