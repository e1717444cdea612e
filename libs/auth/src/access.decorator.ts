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

/**
 * Who may read each kind of data. The route that shows it and the socket.io events that carry it
 * take the same list, so a socket never tells a role what its REST route refuses.
 */
export const READERS = {
  /** GET /api/devices(/:id), their status and newest values: device:status, device:upserted, device:removed, telemetry:batch. */
  devices: EVERYONE,
  /** GET /api/events: device:event. */
  deviceEvents: OPERATIONS_ROOM,
  /** GET /api/devices/:id/commands: command:updated. */
  commands: OPERATIONS_ROOM,
  /** GET /api/alerts: alert:opened, alert:resolved. */
  alerts: OPERATIONS_ROOM,
  /** GET /api/incidents(/:id), a field user only their team's: incident:*. */
  incidents: EVERYONE,
} as const satisfies Record<string, readonly Role[]>;
