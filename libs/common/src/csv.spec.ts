import fc from 'fast-check';
import { parseCsv } from '../../../test/support/csv-reader';
import { csvField, replyFormat, toCsv } from './csv';

describe('CSV writer', () => {
  it('quotes fields with commas, quotes and line breaks, and doubles quotes', () => {
    expect(csvField('Mỹ Tho')).toBe('Mỹ Tho');
    expect(csvField('Phường 1, Mỹ Tho')).toBe('"Phường 1, Mỹ Tho"');
    expect(csvField('trạm "Cầu Quay"')).toBe('"trạm ""Cầu Quay"""');
    expect(csvField('dòng 1\ndòng 2')).toBe('"dòng 1\ndòng 2"');
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(-1.5)).toBe('-1.5');
  });

  it('ends every line with CRLF', () => {
    expect(toCsv(['t', 'value'], [['2025-07-01T00:00:00.000Z', 1], ['2025-07-01T00:01:00.000Z', null]])).toBe(
      't,value\r\n2025-07-01T00:00:00.000Z,1\r\n2025-07-01T00:01:00.000Z,\r\n',
    );
  });

  it('reads back exactly what it wrote, whatever the text', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 2, maxLength: 2 }), { maxLength: 5 }), (rows) => {
        expect(parseCsv(toCsv(['a', 'b'], rows))).toEqual([['a', 'b'], ...rows]);
      }),
    );
  });
});

describe('reply format', () => {
  it('takes format= first, then Accept, then JSON', () => {
    expect(replyFormat('json', 'text/csv', ['json', 'csv'])).toBe('json');
    expect(replyFormat(undefined, 'text/csv;q=0.9, application/json', ['json', 'csv'])).toBe('csv');
    expect(replyFormat(undefined, 'application/geo+json', ['json', 'csv', 'geojson'])).toBe('geojson');
    expect(replyFormat(undefined, 'application/geo+json', ['json', 'csv'])).toBe('json');
    expect(replyFormat(undefined, undefined, ['json', 'csv'])).toBe('json');
  });
});
