/** A unit as a multiple of its dimension's base unit: base = value * scale + offset. */
interface UnitScale {
  base: string;
  scale: number;
  offset: number;
}

const unit = (base: string, scale = 1, offset = 0): UnitScale => ({ base, scale, offset });

/**
 * Units a reading may be converted between: the SenML symbols of RFC 8428 section 12.1, the
 * secondary units of RFC 8798 (with their scale and offset), and the catalogue's own spellings.
 * Units of one base convert into each other; any other pair does not.
 */
const UNITS: Readonly<Record<string, UnitScale>> = {
  K: unit('K'),
  Cel: unit('K', 1, 273.15),
  '°C': unit('K', 1, 273.15),

  m: unit('m'),
  mm: unit('m', 1e-3),
  cm: unit('m', 1e-2),
  km: unit('m', 1e3),

  'm/s': unit('m/s'),
  'km/h': unit('m/s', 1 / 3.6),
  'm/h': unit('m/s', 1 / 3600),
  'mm/h': unit('m/s', 1 / 3_600_000),

  W: unit('W'),
  mW: unit('W', 1e-3),
  kW: unit('W', 1e3),
  V: unit('V'),
  mV: unit('V', 1e-3),
  kV: unit('V', 1e3),
  A: unit('A'),
  mA: unit('A', 1e-3),
  J: unit('J'),
  Wh: unit('J', 3600),
  kWh: unit('J', 3_600_000),
  Pa: unit('Pa'),
  hPa: unit('Pa', 100),
  kPa: unit('Pa', 1e3),
  s: unit('s'),
  ms: unit('s', 1e-3),
  min: unit('s', 60),
  h: unit('s', 3600),

  // Ratios: SenML's `/` is a plain fraction (0..1).
  '/': unit('/'),
  '%': unit('/', 1e-2),
  '/100': unit('/', 1e-2),
  '‰': unit('/', 1e-3),
  '/1000': unit('/', 1e-3),
  ppt: unit('/', 1e-3),
  'g/kg': unit('/', 1e-3),
  ppm: unit('/', 1e-6),

  'kg/m3': unit('kg/m3'),
  'g/m3': unit('kg/m3', 1e-3),
  'mg/m3': unit('kg/m3', 1e-6),
  'ug/m3': unit('kg/m3', 1e-9),
  'µg/m³': unit('kg/m3', 1e-9),

  '1/s': unit('1/s'),
  Hz: unit('1/s'),
  fps: unit('1/s'),
  '1/min': unit('1/s', 1 / 60),
  'xe/phút': unit('1/s', 1 / 60),
  '1/h': unit('1/s', 1 / 3600),

  'bit/s': unit('bit/s'),
  'kbit/s': unit('bit/s', 1e3),
  'Mbit/s': unit('bit/s', 1e6),
  'B/s': unit('bit/s', 8),
};

/** Significant digits a converted value keeps: enough for any sensor, and no 23.100000000000023. */
const SIGNIFICANT_DIGITS = 12;

export type Conversion = (value: number) => number;

const identity: Conversion = (value) => value;

/** How to turn a value in `from` into `to`, or null when the units measure different things. */
export function conversion(from: string, to: string): Conversion | null {
  if (from === to) return identity;
  const a = Object.hasOwn(UNITS, from) ? UNITS[from] : undefined;
  const b = Object.hasOwn(UNITS, to) ? UNITS[to] : undefined;
  if (!a || !b || a.base !== b.base) return null;
  return (value) => Number((((value * a.scale + a.offset) - b.offset) / b.scale).toPrecision(SIGNIFICANT_DIGITS));
}

