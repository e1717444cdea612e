export type CsvValue = string | number | null | undefined;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and the rows, each line ended by CRLF. */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** What a CSV answer is sent as. */
export const CSV_TYPE = 'text/csv; charset=utf-8; header=present';

export type ReplyFormat = 'json' | 'csv' | 'geojson' | 'columns';

/** `format=` wins; otherwise the Accept header; otherwise JSON. */
export function replyFormat<F extends ReplyFormat>(asked: F | undefined, accept: string | undefined, offered: readonly F[]): F | 'json' {
  if (asked) return asked;
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  if (offered.includes('csv' as F) && types.includes('text/csv')) return 'csv' as F;
  if (offered.includes('geojson' as F) && types.includes('application/geo+json')) return 'geojson' as F;
  return 'json';
}
