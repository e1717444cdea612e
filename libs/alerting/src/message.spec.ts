import { formatNumber, renderMessage } from './message';

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
