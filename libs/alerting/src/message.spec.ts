import { firingFacts, formatNumber, renderMessage, renderMessages } from './message';

describe('renderMessage', () => {
  const values = { device: 'Cống Cái Côn', metric: 'salinity', value: 4.456, threshold: 4, place: 'Phường 1' };

  it('fills every placeholder at the metric precision, with a decimal comma in Vietnamese', () => {
    expect(renderMessage('{device}: độ mặn {value}{unit} vượt {threshold}{unit} tại {place}', 'vi', values)).toBe(
      'Cống Cái Côn: độ mặn 4,46‰ vượt 4,00‰ tại Phường 1',
    );
    expect(renderMessage('{metric} at {device} is {value} {unit}', 'en', values)).toBe('salinity at Cống Cái Côn is 4.46 ‰');
  });

  it('leaves a dash for what is missing and never throws', () => {
    expect(renderMessage('{device} {value} {threshold} {unit} {place}', 'en', { device: 'x', value: Number.NaN })).toBe('x — — — —');
  });

  it('formats a metric outside the catalogue to at most two decimals', () => {
    expect(formatNumber(1.23456, 'custom_metric', 'vi')).toBe('1,23');
    expect(formatNumber(3, 'custom_metric', 'en')).toBe('3');
    expect(formatNumber(81.6, 'humidity', 'en')).toBe('82');
  });
});

describe('firingFacts', () => {
  it('names the bound a range condition crossed, and no metric for offline', () => {
    const outside = { kind: 'threshold', metric: 'water_level', operator: 'outside', low: 0.5, high: 2, clearMargin: 0, forS: 0 } as const;
    expect(firingFacts(outside, 0.2)).toEqual({ metric: 'water_level', threshold: 0.5 });
    expect(firingFacts(outside, 2.4)).toEqual({ metric: 'water_level', threshold: 2 });
    expect(firingFacts({ kind: 'offline', afterS: 0 }, null)).toEqual({ metric: null, threshold: null });
  });

  it('fills a rule message in both languages', () => {
    const c = { kind: 'threshold', metric: 'salinity', operator: '>', value: 4, forS: 0 } as const;
    const facts = firingFacts(c, 4.5);
    expect(renderMessages({ vi: '{device}: {value} > {threshold}', en: '{device}: {value} > {threshold}' }, { device: 'A', value: 4.5, ...facts })).toEqual({
      vi: 'A: 4,50 > 4,00',
      en: 'A: 4.50 > 4.00',
    });
  });
});
