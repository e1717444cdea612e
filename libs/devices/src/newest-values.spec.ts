import { EventBus } from '@ioc/common';
import { NewestValues } from './newest-values';

const at = (iso: string) => Date.parse(iso);

describe('NewestValues', () => {
  it('adds a reading the database does not have yet to what it stored', () => {
    const newest = new NewestValues(new EventBus());
    newest.add([{ deviceId: 'wl-01', metric: 'water_level', ts: at('2026-11-25T10:00:05Z'), value: 2.02 }]);
    const stored = {
      water_level: { value: 1.5, ts: '2026-11-25T10:00:00.000Z' },
      battery: { value: 87, ts: '2026-11-25T09:00:00.000Z' },
    };
    expect(newest.merge('wl-01', stored)).toEqual({
      water_level: { value: 2.02, ts: '2026-11-25T10:00:05.000Z' },
      battery: { value: 87, ts: '2026-11-25T09:00:00.000Z' },
    });
    expect(newest.merge('wl-02', undefined)).toEqual({});
  });

  it('keeps the stored value when it is newer, and the newest of readings arriving out of order', () => {
    const newest = new NewestValues(new EventBus());
    newest.add([
      { deviceId: 'wl-01', metric: 'water_level', ts: at('2026-11-25T10:00:09Z'), value: 2.2 },
      { deviceId: 'wl-01', metric: 'water_level', ts: at('2026-11-25T10:00:07Z'), value: 2.1 },
      { deviceId: 'wl-01', metric: 'salinity', ts: at('2026-11-25T10:00:01Z'), value: 4 },
    ]);
    const stored = { salinity: { value: 4.5, ts: '2026-11-25T10:00:02.000Z' } };
    expect(newest.merge('wl-01', stored)).toEqual({
      water_level: { value: 2.2, ts: '2026-11-25T10:00:09.000Z' },
      salinity: { value: 4.5, ts: '2026-11-25T10:00:02.000Z' },
    });
  });

  it('forgets a removed device', () => {
    const newest = new NewestValues(new EventBus());
    newest.add([{ deviceId: 'wl-01', metric: 'water_level', ts: at('2026-11-25T10:00:00Z'), value: 1 }]);
    newest.forget('wl-01');
    expect(newest.merge('wl-01', undefined)).toEqual({});
  });

  describe('the changes the live stream drains', () => {
    const t0 = Date.parse('2026-11-23T07:00:00Z');
    const tracking = () => {
      const newest = new NewestValues(new EventBus());
      newest.trackChanges();
      return newest;
    };

    it('are one update per device with the newest value of each metric that changed', () => {
      const newest = tracking();
      newest.add([
        { deviceId: 'a', metric: 'pm25', ts: t0, value: 10 },
        { deviceId: 'a', metric: 'pm25', ts: t0 + 5000, value: 12 },
        { deviceId: 'a', metric: 'pm10', ts: t0, value: 30 },
        { deviceId: 'b', metric: 'salinity', ts: t0, value: 2.5 },
      ]);
      expect(newest.drainChanges()).toEqual([
        { deviceId: 'a', ts: new Date(t0 + 5000).toISOString(), metrics: { pm25: 12, pm10: 30 } },
        { deviceId: 'b', ts: new Date(t0).toISOString(), metrics: { salinity: 2.5 } },
      ]);
    });

    it('never carry a late, older reading over a newer one, even one pushed before', () => {
      const newest = tracking();
      newest.add([{ deviceId: 'a', metric: 'pm25', ts: t0 + 5000, value: 12 }]);
      newest.add([{ deviceId: 'a', metric: 'pm25', ts: t0, value: 99 }]);
      expect(newest.drainChanges()[0].metrics.pm25).toBe(12);
      newest.add([{ deviceId: 'a', metric: 'pm25', ts: t0 + 1000, value: 98 }]);
      expect(newest.drainChanges()).toEqual([]);
      expect(newest.merge('a', undefined).pm25.value).toBe(12);
    });

    it('are empty after a drain, and the values stay for the snapshot', () => {
      const newest = tracking();
      newest.add([{ deviceId: 'a', metric: 'pm25', ts: t0, value: 1 }]);
      newest.drainChanges();
      expect(newest.drainChanges()).toEqual([]);
      expect(newest.merge('a', undefined)).toEqual({ pm25: { value: 1, ts: new Date(t0).toISOString() } });
    });

    it('are not kept where nothing drains them', () => {
      const newest = new NewestValues(new EventBus());
      newest.add([{ deviceId: 'a', metric: 'pm25', ts: t0, value: 1 }]);
      newest.trackChanges();
      expect(newest.drainChanges()).toEqual([]);
    });
  });
});
