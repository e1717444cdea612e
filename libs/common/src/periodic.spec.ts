import { Periodic } from './periodic';

describe('Periodic', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs a round every period until stopped', async () => {
    let rounds = 0;
    const periodic = new Periodic(() => {
      rounds += 1;
    });
    periodic.start(100);
    jest.advanceTimersByTime(350);
    expect(rounds).toBe(3);
    await periodic.stop();
    jest.advanceTimersByTime(1000);
    expect(rounds).toBe(3);
    expect(periodic.started).toBe(false);
  });

  it('skips the ticks that come while a round is under way, and stop awaits that round', async () => {
    let started = 0;
    let finish: () => void = () => undefined;
    const periodic = new Periodic(() => {
      started += 1;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    periodic.start(100);
    jest.advanceTimersByTime(500);
    expect(started).toBe(1);
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('starts a new round once the one under way is over', async () => {
    let started = 0;
    const periodic = new Periodic(async () => {
      started += 1;
    });
    await periodic.runOnce();
    await periodic.runOnce();
    expect(started).toBe(2);
  });
});
