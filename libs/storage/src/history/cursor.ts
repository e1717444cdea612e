import { z } from 'zod';
import { ErrorCode, IocError } from '@ioc/common';

/**
 * Opaque page cursors: the keyset position of the last row of a page, as base64url JSON. Times
 * are kept as PostgreSQL's own microsecond text so that no row is skipped or repeated.
 */
export const cursorTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

export function encodeCursor(position: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new IocError(ErrorCode.Invalid, 'cursor: not a cursor this API gave out; pass nextCursor unchanged');
  return parsed.data;
}
