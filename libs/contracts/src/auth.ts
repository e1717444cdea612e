import { z } from 'zod';
import { updateSchema } from './update-schema';

/** Who a person is to the IOC. Field users belong to a team and see only what is dispatched to it. */
export const ROLES = ['admin', 'supervisor', 'operator', 'field', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** POST /api/auth/login */
export const loginSchema = z.strictObject({
  username: z.string().trim().toLowerCase().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type LoginInput = z.input<typeof loginSchema>;

/** POST /api/auth/refresh and POST /api/auth/logout */
export const refreshSchema = z.strictObject({
  refreshToken: z.string().min(20).max(256),
});
export type RefreshInput = z.input<typeof refreshSchema>;

export interface UserDto {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  teamId: number | null;
  disabled: boolean;
  createdAt: string;
}

/** A user as administrators see them (/api/users): with where incident notifications are emailed (null: never). */
export interface ManagedUserDto extends UserDto {
  email: string | null;
}

/** What login and refresh answer. The access token goes in `Authorization: Bearer …` and the socket.io handshake `auth.token`. */
export interface SessionDto {
  accessToken: string;
  /** ISO-8601 */
  accessTokenExpiresAt: string;
  /**
   * Single use: each refresh returns a new one and retires the old, which works once more only to
   * retry a refresh whose answer was lost; any other reuse ends the session.
   */
  refreshToken: string;
  user: UserDto;
}

const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{3,64}$/, '3 to 64 lower-case letters, digits, ".", "_" or "-"');
const password = z.string().min(10, 'at least 10 characters').max(256);
const email = z.string().trim().max(254).pipe(z.email({ error: 'must be an email address like ten@example.vn' }));

/** POST /api/users (admin) */
export const createUserSchema = z.strictObject({
  username,
  displayName: z.string().trim().min(1).max(200),
  password,
  role: z.enum(ROLES),
  teamId: z.number().int().positive().nullable().default(null),
  email: email.nullable().default(null),
});
export type CreateUserInput = z.input<typeof createUserSchema>;
export type CreateUser = z.output<typeof createUserSchema>;

/** PATCH /api/users/:id (admin) */
export const updateUserSchema = updateSchema({
  displayName: z.string().trim().min(1).max(200),
  password,
  role: z.enum(ROLES),
  teamId: z.number().int().positive().nullable(),
  email: email.nullable(),
  disabled: z.boolean(),
});
export type UpdateUserInput = z.input<typeof updateUserSchema>;
export type UpdateUser = z.output<typeof updateUserSchema>;

export interface TeamDto {
  id: number;
  name: string;
}
/** POST /api/teams (admin) */
export const createTeamSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });
export type CreateTeam = z.output<typeof createTeamSchema>;

export interface AuditEntryDto {
  id: number;
  /** ISO-8601 */
  at: string;
  actor: { id: number; username: string } | null;
  /** e.g. "POST /api/devices" */
  action: string;
  /** e.g. "devices", "rules", "users", "auth" */
  targetType: string;
  targetId: string | null;
  ip: string | null;
  /** HTTP status of the answer. */
  status: number;
  /** The request body with secrets removed. */
  details: Record<string, unknown> | null;
}

export const listAuditQuerySchema = z.strictObject({
  actor: z.string().optional(),
  targetType: z.string().regex(/^[a-z-]{1,40}$/).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type ListAuditQuery = z.output<typeof listAuditQuerySchema>;
