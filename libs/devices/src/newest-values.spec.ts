import { NewestValues } from './newest-values';

const at = (iso: string) => Date.parse(iso);

describe('NewestValues', () => {
  it('adds a reading the database does not have yet to what it stored', () => {
    const newest = new NewestValues();
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
    const newest = new NewestValues();
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
    const newest = new NewestValues();
    newest.add([{ deviceId: 'wl-01', metric: 'water_level', ts: at('2026-11-25T10:00:00Z'), value: 1 }]);
    newest.forget('wl-01');
    expect(newest.merge('wl-01', undefined)).toEqual({});
  });
});
