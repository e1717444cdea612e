import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOperation, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from '@ioc/contracts';

export const ACCESS_KEY = 'ioc:access';

export type Access = { public: true } | { public: false; roles: readonly Role[] };

/** Anyone, without a token. */
export const Public = () =>
  applyDecorators(SetMetadata(ACCESS_KEY, { public: true } satisfies Access), ApiOperation({ description: 'Public: no token needed.' }));

/** Only these roles. A route without Public or Allow is refused to everyone. */
export const Allow = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { public: false, roles } satisfies Access),
    ApiBearerAuth(),
    ApiOperation({ description: `Roles: ${roles.join(', ')}.` }),
    ApiUnauthorizedResponse({ description: 'no, expired, forged or revoked access token' }),
    ApiForbiddenResponse({ description: `the caller's role is not one of: ${roles.join(', ')}` }),
  );

/** Every role, field teams included. */
export const EVERYONE: Role[] = ['admin', 'supervisor', 'operator', 'field', 'viewer'];
/** The operations room: everyone but field teams. */
export const OPERATIONS_ROOM: Role[] = ['admin', 'supervisor', 'operator', 'viewer'];
