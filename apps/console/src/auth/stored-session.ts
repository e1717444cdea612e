import { ROLES, refreshSchema, type SessionDto, type UserDto } from '@ioc/contracts';
import { z } from 'zod';

/** What survives a page reload. The access token stays in memory only. */
export type StoredSession = Pick<SessionDto, 'refreshToken' | 'user'>;

export const SESSION_STORAGE_KEY = 'ioc.console.session';

const userSchema = z.object({
  id: z.number().int().positive(),
  username: z.string().min(1),
  displayName: z.string().min(1),
  role: z.enum(ROLES),
  teamId: z.number().int().positive().nullable(),
  disabled: z.boolean(),
  createdAt: z.string(),
}) satisfies z.ZodType<UserDto>;

const storedSessionSchema = z.object({
  refreshToken: refreshSchema.shape.refreshToken,
  user: userSchema,
}) satisfies z.ZodType<StoredSession>;

const sessionSchema = storedSessionSchema.extend({
  accessToken: z.string().min(1),
  accessTokenExpiresAt: z.iso.datetime({ offset: true }),
}) satisfies z.ZodType<SessionDto>;

export function serialiseSession(session: StoredSession): string {
  const { refreshToken, user } = session;
  return JSON.stringify({ refreshToken, user });
}

/** The session kept in storage, or null when there is none or it is not one (edited, older format). */
export function parseStoredSession(raw: string | null): StoredSession | null {
  if (raw === null) return null;
  const parsed = storedSessionSchema.safeParse(parseJson(raw));
  return parsed.success ? parsed.data : null;
}

/** The body of a login or refresh answer, or null when it is not a session. */
export function parseSession(body: unknown): SessionDto | null {
  const parsed = sessionSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
