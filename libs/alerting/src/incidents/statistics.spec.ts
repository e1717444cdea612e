import { emptyRow, periodStarts, withEmptyPeriods } from './statistics';

describe('periodStarts', () => {
  it('starts weeks on Monday, the week holding `from` first', () => {
    // 2026-11-29 is a Sunday, 2026-12-14 a Monday.
    expect(periodStarts('week', '2026-11-29', '2026-12-14')).toEqual(['2026-11-23', '2026-11-30', '2026-12-07', '2026-12-14']);
    expect(periodStarts('week', '2026-11-30', '2026-11-30')).toEqual(['2026-11-30']);
  });

  it('walks months across a year end and a short February', () => {
    expect(periodStarts('month', '2026-11-15', '2027-03-01')).toEqual(['2026-11-01', '2026-12-01', '2027-01-01', '2027-02-01', '2027-03-01']);
  });
});

describe('withEmptyPeriods', () => {
  it('keeps what was found and fills the periods between with zeros', () => {
    const found = { ...emptyRow('2026-12-07'), incidents: 3 };
    expect(withEmptyPeriods('week', '2026-11-30', '2026-12-20', [found]).map((r) => [r.periodStart, r.incidents])).toEqual([
      ['2026-11-30', 0],
      ['2026-12-07', 3],
      ['2026-12-14', 0],
    ]);
  });
});
