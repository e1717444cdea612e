import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, IocError } from './errors';

const BODY_ERROR = Symbol('bodyError');

interface WithBodyError {
  [BODY_ERROR]?: Error;
}

/** What the body parser says of a body it refused, in words for the client. */
function toClientError(err: Error & { type?: unknown; limit?: unknown }): Error {
  if (err.type === 'entity.too.large') {
    const limit = typeof err.limit === 'number' ? `the limit of ${Math.round(err.limit / 1024)} kB` : 'the limit';
    return new IocError(ErrorCode.TooLarge, `the request body is larger than ${limit}`);
  }
  if (err.type === 'entity.parse.failed') return new IocError(ErrorCode.Invalid, `the request body is not valid JSON: ${err.message}`);
  return err;
}

/**
 * Goes right after the body parser: a body it refused (too large, not JSON, an unknown
 * encoding) is kept on the request instead of skipping the rest of the chain, so the audit
 * hook still sees the request; `takeBodyError` then answers it. Other errors pass on.
 */
export function deferBodyError(err: unknown, request: Request, _response: Response, next: NextFunction): void {
  if (!(err instanceof Error) || typeof (err as { type?: unknown }).type !== 'string') return next(err);
  (request as WithBodyError)[BODY_ERROR] = toClientError(err);
  next();
}

/** The refusal `deferBodyError` kept, if any; the caller passes it to `next`. */
export function takeBodyError(request: Request): Error | undefined {
  return (request as WithBodyError)[BODY_ERROR];
}
