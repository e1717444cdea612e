import { isMetricName, METRICS } from '@ioc/contracts';

export const LANGUAGES = ['vi', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

const NUMBER_LOCALES: Record<Language, string> = { vi: 'vi-VN', en: 'en-GB' };

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(language: Language, minDigits: number, maxDigits: number): Intl.NumberFormat {
  const key = `${language}:${minDigits}:${maxDigits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(NUMBER_LOCALES[language], {
      minimumFractionDigits: minDigits,
      maximumFractionDigits: maxDigits,
    });
    numberFormats.set(key, format);
  }
  return format;
}

/** A reading as the operator reads it: the catalogue's precision, the language's separators. */
export function formatMetricNumber(metric: string, value: number, language: Language): string {
  if (isMetricName(metric)) {
    const { precision } = METRICS[metric];
    return numberFormat(language, precision, precision).format(value);
  }
  // Metrics outside the catalogue have no declared precision.
  return numberFormat(language, 0, 2).format(value);
}

/** "850 m" under a kilometre, "1,2 km" (vi) or "1.2 km" (en) beyond. */
export function formatDistance(metres: number, language: Language): string {
  if (metres < 1000) return `${numberFormat(language, 0, 0).format(Math.round(metres))} m`;
  return `${numberFormat(language, 0, 1).format(metres / 1000)} km`;
}

export function metricUnit(metric: string): string {
  return isMetricName(metric) ? METRICS[metric].unit : '';
}

/** Percent and per-mille signs are written against the number; other units after a space. */
export function unitIsAttached(unit: string): boolean {
  return unit === '%' || unit === '‰';
}

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** dd/MM/yyyy HH:mm in Vietnam time, whatever the language and the browser's zone. */
export function formatDateTime(value: string | number | Date): string {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of dateTimeFormat.formatToParts(new Date(value))) parts[part.type] = part.value;
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}
