import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, IocError, secretMatches, sha256Hex, takeBodyError } from '@ioc/common';

/**
 * Only the broker, holding MQTT_HOOK_TOKEN, may ask. A guard, so it runs before the body is
 * validated: a caller without the token gets 401 whatever it sent, and learns nothing about what
 * a valid question looks like.
 */
@Injectable()
export class BrokerHookGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.MQTT_HOOK_TOKEN;
    if (!expected) throw new IocError(ErrorCode.NotFound, 'broker hooks are off: set MQTT_HOOK_TOKEN');
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ') || !secretMatches(header.slice(7), sha256Hex(expected))) {
      throw new IocError(ErrorCode.Unauthenticated, 'broker hook token missing or wrong');
    }
    // A body the parser refused (not JSON, too large) waited for this check (see AuditMiddleware).
    const bodyError = takeBodyError(request);
    if (bodyError) throw bodyError;
    return true;
  }
}
