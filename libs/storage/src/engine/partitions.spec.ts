import { expired, missingRanges, partitionName, slotsAhead, slotStart } from './partitions';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('partition planning', () => {
  it('aligns slots on UTC midnight for days and on the hour for hours', () => {
    expect(slotStart(at('2025-07-01T16:59:59.999Z'), DAY)).toBe(at('2025-07-01T00:00:00Z'));
    expect(slotStart(at('2025-07-01T16:59:59.999Z'), 12 * HOUR)).toBe(at('2025-07-01T12:00:00Z'));
    expect(slotStart(at('1999-12-31T23:00:00Z'), DAY)).toBe(at('1999-12-31T00:00:00Z'));
  });

  it('plans the current slot and the ones ahead', () => {
    expect(slotsAhead(at('2025-07-01T10:00:00Z'), DAY, 2)).toEqual([
      { from: at('2025-07-01T00:00:00Z'), to: at('2025-07-02T00:00:00Z') },
      { from: at('2025-07-02T00:00:00Z'), to: at('2025-07-03T00:00:00Z') },
      { from: at('2025-07-03T00:00:00Z'), to: at('2025-07-04T00:00:00Z') },
    ]);
  });

  it('makes only what is missing, and only the uncovered part of a slot', () => {
    const wanted = slotsAhead(at('2025-07-01T10:00:00Z'), DAY, 2);
    const existing = [
      { from: at('2025-07-01T00:00:00Z'), to: at('2025-07-01T12:00:00Z') }, // an earlier 12-hour interval
      { from: at('2025-07-02T00:00:00Z'), to: at('2025-07-03T00:00:00Z') },
    ];
    expect(missingRanges(wanted, existing)).toEqual([
      { from: at('2025-07-01T12:00:00Z'), to: at('2025-07-02T00:00:00Z') },
      { from: at('2025-07-03T00:00:00Z'), to: at('2025-07-04T00:00:00Z') },
    ]);
    expect(missingRanges(wanted, [...existing, ...missingRanges(wanted, existing)])).toEqual([]);
  });

  it('fills holes between partitions inside one slot', () => {
    const slot = [{ from: 0, to: 100 }];
    expect(missingRanges(slot, [{ from: 20, to: 30 }, { from: 50, to: 60 }])).toEqual([
      { from: 0, to: 20 },
      { from: 30, to: 50 },
      { from: 60, to: 100 },
    ]);
  });

  it('expires only partitions entirely before the cutoff', () => {
    const parts = [
      { from: 0, to: 10 },
      { from: 10, to: 20 },
      { from: 20, to: 30 },
    ];
    expect(expired(parts, 20)).toEqual([{ from: 0, to: 10 }, { from: 10, to: 20 }]);
    expect(expired(parts, 19)).toEqual([{ from: 0, to: 10 }]);
  });

  it('names a partition after its table and start', () => {
    expect(partitionName('telemetry', { from: at('2025-07-01T12:00:00Z'), to: 0 })).toBe('telemetry_p20250701_1200');
  });
});
