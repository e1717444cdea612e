import { formatDateTime, formatDistance, formatMetricNumber, isLanguage } from './format';

describe('formatMetricNumber', () => {
  it('uses a comma for decimals and a dot for thousands in Vietnamese', () => {
    expect(formatMetricNumber('water_level', 1.23, 'vi')).toBe('1,23');
    expect(formatMetricNumber('pm25', 1234.56, 'vi')).toBe('1.234,6');
    expect(formatMetricNumber('vehicle_count', 12345, 'vi')).toBe('12.345');
  });

  it('uses English separators in English', () => {
    expect(formatMetricNumber('pm25', 1234.56, 'en')).toBe('1,234.6');
  });

  it('shows exactly the precision the catalogue gives', () => {
    expect(formatMetricNumber('water_level', 2, 'vi')).toBe('2,00');
    expect(formatMetricNumber('humidity', 81.6, 'vi')).toBe('82');
  });

  it('shows up to two decimals for a metric outside the catalogue', () => {
    expect(formatMetricNumber('soil_moisture', 3.14159, 'vi')).toBe('3,14');
    expect(formatMetricNumber('soil_moisture', 3, 'vi')).toBe('3');
  });
});

describe('formatDateTime', () => {
  it('writes dd/MM/yyyy HH:mm in Vietnam time', () => {
    expect(formatDateTime('2026-11-23T07:05:00.000Z')).toBe('23/11/2026 14:05');
    expect(formatDateTime(Date.parse('2026-12-31T17:30:00.000Z'))).toBe('01/01/2027 00:30');
  });

  it('uses 00 for midnight, not 24', () => {
    expect(formatDateTime('2026-11-22T17:00:00.000Z')).toBe('23/11/2026 00:00');
  });
});

describe('isLanguage', () => {
  it('accepts only the languages the console has', () => {
    expect(isLanguage('vi')).toBe(true);
    expect(isLanguage('fr')).toBe(false);
    expect(isLanguage(null)).toBe(false);
  });
});

describe('formatDistance', () => {
  it('gives whole metres under a kilometre', () => {
    expect(formatDistance(11.4, 'vi')).toBe('11 m');
    expect(formatDistance(999.4, 'en')).toBe('999 m');
  });

  it('gives kilometres to one decimal beyond, with the language’s decimal mark', () => {
    expect(formatDistance(1234, 'vi')).toBe('1,2 km');
    expect(formatDistance(1234, 'en')).toBe('1.2 km');
    expect(formatDistance(12_000, 'vi')).toBe('12 km');
  });
});
