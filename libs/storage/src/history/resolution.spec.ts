import { IocError } from '@ioc/common';
import { bucketCount, checkDayZone, checkPointBudget, chooseResolution, utcOffsetMinutes } from './resolution';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

describe('resolution', () => {
  it('picks raw, 1m, 1h or 1d from the span when asked for auto', () => {
    expect(chooseResolution('auto', 2 * HOUR)).toBe('raw');
    expect(chooseResolution('auto', 2 * HOUR + 1)).toBe('1m');
    expect(chooseResolution('auto', 2 * DAY)).toBe('1m');
    expect(chooseResolution('auto', 30 * DAY)).toBe('1h');
    expect(chooseResolution('auto', 181 * DAY)).toBe('1d');
  });

  it('keeps what was asked for', () => {
    expect(chooseResolution('raw', 365 * DAY)).toBe('raw');
    expect(chooseResolution('1h', HOUR)).toBe('1h');
  });

  it('counts the buckets a range touches, partial ones included', () => {
    expect(bucketCount('1m', at('2025-07-01T00:00:00Z'), at('2025-07-02T00:00:00Z'))).toBe(1440);
    expect(bucketCount('1h', at('2025-07-01T00:30:00Z'), at('2025-07-01T02:00:00Z'))).toBe(2);
    expect(bucketCount('1h', at('2025-07-01T00:30:00Z'), at('2025-07-01T02:00:00.001Z'))).toBe(3);
  });

  it('refuses more points than one answer may hold', () => {
    expect(() => checkPointBudget('1m', 0, 30 * DAY, 2)).toThrow(/points \(buckets x metrics\)/);
    expect(() => checkPointBudget('1h', 0, 30 * DAY, 10)).not.toThrow();
  });

  it('knows Asia/Ho_Chi_Minh is UTC+7 and refuses zones off the hour for days', () => {
    expect(utcOffsetMinutes('Asia/Ho_Chi_Minh', at('2025-07-01T12:00:00Z'))).toBe(420);
    expect(utcOffsetMinutes('UTC', at('2025-07-01T12:00:00Z'))).toBe(0);
    expect(utcOffsetMinutes('Asia/Kolkata', at('2025-07-01T12:00:00Z'))).toBe(330);
    expect(utcOffsetMinutes('America/New_York', at('2025-01-15T12:00:00Z'))).toBe(-300);
    expect(() => checkDayZone('Asia/Ho_Chi_Minh', at('2025-07-01T00:00:00Z'), at('2025-08-01T00:00:00Z'))).not.toThrow();
    expect(() => checkDayZone('Asia/Kolkata', at('2025-07-01T00:00:00Z'), at('2025-08-01T00:00:00Z'))).toThrow(IocError);
  });
});
