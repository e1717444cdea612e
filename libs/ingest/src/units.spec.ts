import { conversion } from './units';

describe('unit conversion', () => {
  it.each([
    ['K', '°C', 296.25, 23.1],
    ['Cel', '°C', 23.1, 23.1],
    ['K', 'Cel', 0, -273.15],
    ['°C', 'K', 100, 373.15],
    ['/', '%', 0.82, 82],
    ['/100', '%', 55, 55],
    ['%', '‰', 3.5, 35],
    ['ppt', '‰', 4.2, 4.2],
    ['mm', 'm', 1420, 1.42],
    ['cm', 'm', 142, 1.42],
    ['m', 'mm', 0.0125, 12.5],
    ['km/h', 'm/s', 36, 10],
    ['kW', 'W', 1.5, 1500],
    ['mV', 'V', 3300, 3.3],
    ['ug/m3', 'µg/m³', 12, 12],
    ['mg/m3', 'µg/m³', 0.035, 35],
    ['1/min', 'xe/phút', 14, 14],
    ['1/s', 'xe/phút', 0.5, 30],
    ['Mbit/s', 'kbit/s', 2.5, 2500],
    ['V', 'V', 1e-7, 1e-7],
    ['custom', 'custom', 3, 3],
  ])('%s -> %s: %d is %d', (from, to, value, expected) => {
    expect(conversion(from, to)?.(value)).toBe(expected);
  });

  it.each([
    ['Cel', 'm'],
    ['%RH', '%'],
    ['%EL', '%'],
    ['Bspl', 'dBA'],
    ['dB', 'dBA'],
    ['A', 'V'],
    ['W', 'J'],
    ['m', 'm/s'],
    ['kg/m3', '/'],
    ['celsius', '°C'],
    ['', 'm'],
    ['m', ''],
    ['toString', 'm'],
  ])('%s and %s do not convert', (from, to) => {
    expect(conversion(from, to)).toBeNull();
  });
});
