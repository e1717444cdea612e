import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { AppConfig } from '@ioc/config';

const LOGIN_ROUTE = 'ioc:login-route';

/** Marks the route that the stricter per-address login limit applies to. */
export const LoginRateLimit = () => SetMetadata(LOGIN_ROUTE, true);

const isLoginRoute = (context: ExecutionContext) => Reflect.getMetadata(LOGIN_ROUTE, context.getHandler()) === true;

/** Requests per minute per client address: one limit on the whole API, a tighter one on login. */
export function throttlers(config: AppConfig): ThrottlerOptions[] {
  return [
    { name: 'api', ttl: 60_000, limit: config.API_RATE_LIMIT },
    { name: 'login', ttl: 60_000, limit: config.LOGIN_RATE_LIMIT, skipIf: (context) => !isLoginRoute(context) },
  ];
}
