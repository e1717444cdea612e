import { AuthError } from './auth-session';

export type LoginFailureReason = 'wrong-credentials' | 'locked' | 'unreachable' | 'server';

/** What the login form shows: a line of its own by reason, and the server's message as it came. */
export interface LoginFailure {
  reason: LoginFailureReason;
  serverMessage: string | null;
}

export function loginFailure(error: unknown): LoginFailure {
  if (!(error instanceof AuthError)) return { reason: 'server', serverMessage: null };
  if (error.status === 0) return { reason: 'unreachable', serverMessage: null };
  const serverMessage = error.message || null;
  if (error.status === 401) return { reason: 'wrong-credentials', serverMessage };
  if (error.status === 429) return { reason: 'locked', serverMessage };
  return { reason: 'server', serverMessage };
}
