import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import type { ApiErrorBody } from '@ioc/contracts';
import { ErrorCode, IocError } from './errors';

export function statusOf(code: ErrorCode): HttpStatus {
  switch (code) {
    case ErrorCode.NotFound:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.Conflict:
      return HttpStatus.CONFLICT;
    case ErrorCode.Invalid:
      return HttpStatus.BAD_REQUEST;
    case ErrorCode.Unauthenticated:
      return HttpStatus.UNAUTHORIZED;
    case ErrorCode.Forbidden:
      return HttpStatus.FORBIDDEN;
    case ErrorCode.Locked:
      return HttpStatus.TOO_MANY_REQUESTS;
    case ErrorCode.Unavailable:
      return HttpStatus.SERVICE_UNAVAILABLE;
  }
}

/** The one place that turns errors into HTTP answers, always as ApiErrorBody. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    if (exception instanceof IocError) {
      const statusCode = statusOf(exception.code);
      return { statusCode, error: exception.code, message: exception.message, issues: exception.issues };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const raw = exception.getResponse();
      const message =
        typeof raw === 'string' ? raw : String((raw as { message?: unknown }).message ?? exception.message);
      return { statusCode, error: HttpStatus[statusCode]?.toLowerCase() ?? 'error', message };
    }
    this.logger.error((exception as Error)?.stack ?? String(exception));
    return { statusCode: 500, error: 'internal', message: 'internal error' };
  }
}
