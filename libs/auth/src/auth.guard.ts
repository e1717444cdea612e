import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ErrorCode, IocError } from '@ioc/common';
import { ACCESS_KEY, type Access } from './access.decorator';
import { AuthService } from './auth.service';
import type { Principal } from './principal';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** Every HTTP route: a valid access token and an allowed role, unless the route is public. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (access?.public) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const principal = this.auth.verify(token);
    request.principal = principal;
    if (!access || !access.roles.includes(principal.role)) {
      throw new IocError(ErrorCode.Forbidden, `the role ${principal.role} may not ${request.method} ${request.route?.path ?? request.path}`);
    }
    return true;
  }
}
