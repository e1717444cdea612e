import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ErrorCode, HttpExceptionFilter, IocError } from '@ioc/common';

/** 429 with the seconds to wait, which the answer carries in Retry-After. */
export class RateLimited extends IocError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(ErrorCode.Locked, message);
  }
}

/** Adds Retry-After to a rate limit's refusal; the answer itself is the one every error gets. */
@Catch(RateLimited)
export class RateLimitedFilter implements ExceptionFilter {
  private readonly errors = new HttpExceptionFilter();

  catch(exception: RateLimited, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(exception.retryAfterS));
    this.errors.catch(exception, host);
  }
}

/** "in 42 minutes", "in 3 hours": how long a citizen has to wait, in words. */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}
