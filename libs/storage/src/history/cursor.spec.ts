import { z } from 'zod';
import { IocError } from '@ioc/common';
import { cursorTime, decodeCursor, encodeCursor } from './cursor';

const rawCursor = z.tuple([cursorTime, z.number().int()]);

describe('page cursors', () => {
  it('read back what they carry', () => {
    const position = ['2025-07-01T00:00:00.123456Z', 3] as const;
    const text = encodeCursor(position);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text, rawCursor)).toEqual(position);
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['another shape', encodeCursor(['2025-07-01', 3])],
    ['a tampered time', encodeCursor(['2025-07-01T00:00:00Z', 3])],
    ['an object', Buffer.from('{"t":1}').toString('base64url')],
  ])('refuses %s with a 400 message', (_, text) => {
    expect(() => decodeCursor(text, rawCursor)).toThrow(IocError);
    expect(() => decodeCursor(text, rawCursor)).toThrow(/cursor: not a cursor this API gave out/);
  });
});
