import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { storableCopy, storableText, takeBodyError } from '@ioc/common';
import type { AuthenticatedRequest } from './auth.guard';
import { IdentityRepository } from './identity.repository';

/** Credentials (a webhook's routing key included), and phone numbers: personal data the log has no use for. */
const SECRET_KEY = /password|token|secret|routingkey|apikey|phone/i;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The broker's own questions (one per device connection and topic) change nothing. */
const BROKER_HOOKS = '/api/mqtt/';
/**
 * Citizens' reports and ratings (public): their own row is the record, and the log would keep the
 * sender's address and words, which the service promises not to keep.
 */
const CITIZEN_ROUTES = '/api/reports';

/**
 * A request body as the audit log keeps it: secrets dropped at any depth, and cut to what the
 * log can store (no NUL, bounded size and depth), so a refused body is recorded too.
 */
export function redact(body: unknown): Record<string, unknown> | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  return storableCopy(body, (key) => SECRET_KEY.test(key)) as Record<string, unknown>;
}

/**
 * Every attempted change through the API (any method but GET), allowed or refused, with who,
 * what, when, from where and how it ended. Written once the answer has gone out.
 */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repository: IdentityRepository) {}

  use(request: AuthenticatedRequest, response: Response, next: NextFunction): void {
    const audited = !READS.has(request.method) && !request.originalUrl.startsWith(BROKER_HOOKS) && !request.originalUrl.startsWith(CITIZEN_ROUTES);
    if (audited) response.once('finish', () => this.record(request, response.statusCode));
    // A body the parser refused (too large, not JSON) is answered only now, once it will be audited;
    // on the broker hooks only after the caller proved it is the broker (their guard answers it).
    next(request.originalUrl.startsWith(BROKER_HOOKS) ? undefined : takeBodyError(request));
  }

  private record(request: AuthenticatedRequest, status: number): void {
    const principal = request.principal;
    const path: string = request.route?.path ?? request.originalUrl.split('?')[0];
    this.repository
      .insertAudit({
        actorId: principal?.userId ?? null,
        actorName: principal?.username ?? null,
        action: `${request.method} ${path}`,
        targetType: path.split('/')[2] ?? 'api',
        targetId: typeof request.params?.id === 'string' ? storableText(request.params.id, 200) : null,
        ip: request.ip ?? null,
        status,
        details: redact(request.body),
      })
      .catch((err: Error) => this.logger.error(`audit entry not saved: ${err.message}`));
  }
}
