import { NewestTracker } from './write-batch';

const sample = (deviceKey: number, metricId: number, ts: number, receivedAt = ts) => ({
  deviceKey,
  metricId,
  ts,
  value: ts / 10,
  receivedAt,
});

describe('NewestTracker', () => {
  it('keeps the newest sample per device and metric, whatever the order they come in', () => {
    const tracker = new NewestTracker();
    tracker.add([sample(2, 1, 300), sample(1, 2, 100), sample(1, 1, 500)]);
    tracker.add([sample(1, 1, 200), sample(2, 1, 400), sample(1, 1, 500)]);
    expect(tracker.snapshot().values.map((s) => [s.deviceKey, s.metricId, s.ts, s.value])).toEqual([
      [1, 1, 500, 50],
      [1, 2, 100, 10],
      [2, 1, 400, 40],
    ]);
  });

  it('keeps the latest reception per device, which a late sample does not move back', () => {
    const tracker = new NewestTracker();
    tracker.add([sample(1, 1, 100, 9_000), sample(1, 2, 50, 8_000), sample(2, 1, 10, 7_000)]);
    expect([...tracker.snapshot().seen]).toEqual([
      [1, 9_000],
      [2, 7_000],
    ]);
  });

  it('is empty again once cleared', () => {
    const tracker = new NewestTracker();
    expect(tracker.empty).toBe(true);
    tracker.add([sample(1, 1, 1)]);
    expect(tracker.empty).toBe(false);
    tracker.clear();
    expect(tracker.empty).toBe(true);
    expect(tracker.snapshot()).toEqual({ values: [], seen: new Map() });
  });
});
