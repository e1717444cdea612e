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
import { isUnavailable } from './unavailable';

/** An error of express's body parser (http-errors) that is the client's to hear: an unsupported encoding, say. */
interface ClientHttpError extends Error {
  status: number;
  expose: true;
}

function isClientHttpError(err: unknown): err is ClientHttpError {
  const { status, expose } = (err ?? {}) as { status?: unknown; expose?: unknown };
  return err instanceof Error && expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

export function statusOf(code: ErrorCode): HttpStatus {
  switch (code) {
    case ErrorCode.NotFound:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.Conflict:
      return HttpStatus.CONFLICT;
    case ErrorCode.Invalid:
      return HttpStatus.BAD_REQUEST;
    case ErrorCode.TooLarge:
      return HttpStatus.PAYLOAD_TOO_LARGE;
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
    if (isClientHttpError(exception)) {
      return { statusCode: exception.status, error: HttpStatus[exception.status]?.toLowerCase() ?? 'error', message: exception.message };
    }
    if (isUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      const statusCode = statusOf(ErrorCode.Unavailable);
      return { statusCode, error: ErrorCode.Unavailable, message: 'the database is not answering; try again shortly' };
    }
    this.logger.error((exception as Error)?.stack ?? String(exception));
    return { statusCode: 500, error: 'internal', message: 'internal error' };
  }
}
