import { TelemetryCoalescer } from './telemetry-coalescer';

const t0 = Date.parse('2026-11-23T07:00:00Z');

describe('TelemetryCoalescer', () => {
  it('sends one update per device with the newest value of each metric', () => {
    const c = new TelemetryCoalescer();
    c.add([
      { deviceId: 'a', metric: 'pm25', ts: t0, value: 10 },
      { deviceId: 'a', metric: 'pm25', ts: t0 + 5000, value: 12 },
      { deviceId: 'a', metric: 'pm10', ts: t0, value: 30 },
      { deviceId: 'b', metric: 'salinity', ts: t0, value: 2.5 },
    ]);
    expect(c.drain()).toEqual([
      { deviceId: 'a', ts: new Date(t0 + 5000).toISOString(), metrics: { pm25: 12, pm10: 30 } },
      { deviceId: 'b', ts: new Date(t0).toISOString(), metrics: { salinity: 2.5 } },
    ]);
  });

  it('does not let a late, older reading overwrite a newer one', () => {
    const c = new TelemetryCoalescer();
    c.add([{ deviceId: 'a', metric: 'pm25', ts: t0 + 5000, value: 12 }]);
    c.add([{ deviceId: 'a', metric: 'pm25', ts: t0, value: 99 }]);
    expect(c.drain()[0].metrics.pm25).toBe(12);
  });

  it('is empty after a drain', () => {
    const c = new TelemetryCoalescer();
    c.add([{ deviceId: 'a', metric: 'pm25', ts: t0, value: 1 }]);
    c.drain();
    expect(c.drain()).toEqual([]);
  });
});
