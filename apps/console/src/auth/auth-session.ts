import type { ApiErrorBody, LoginInput, SessionDto, UserDto } from '@ioc/contracts';
import { singleFlight } from './single-flight';
import { parseSession, parseStoredSession, serialiseSession, SESSION_STORAGE_KEY, type StoredSession } from './stored-session';
import { backoffMs, refreshDelayMs, tokenTiming, type TokenTiming } from './token-timing';

export type AuthState =
  /** `ended`: the server ended the session (expired, revoked), as opposed to the operator logging out. */
  | { status: 'signed-out'; ended: boolean }
  | { status: 'signed-in'; user: UserDto };

/** A login or refresh the server did not grant. `status` 0: no answer at all. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** There is no session (any more): the operator has to log in. */
export class SignedOutError extends Error {
  constructor() {
    super('signed out');
    this.name = 'SignedOutError';
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;
export type SessionStorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export const AUTH_ROUTES = {
  login: '/api/auth/login',
  refresh: '/api/auth/refresh',
  logout: '/api/auth/logout',
} as const;

/** Refresh answers after which the refresh token will never be accepted again. */
const SESSION_OVER = new Set([400, 401, 403]);

interface AccessToken {
  token: string;
  timing: TokenTiming;
}

/**
 * The operator's session: logs in and out, keeps the access token fresh (ahead of expiry, and once more
 * after a 401) and sends authenticated requests. Every refresh goes through one single-flight call.
 */
export class AuthSession {
  private stored: StoredSession | null;
  private access: AccessToken | null = null;
  private state: AuthState;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failedRefreshes = 0;

  /** Exchanges the refresh token for a new session; concurrent callers share one exchange. */
  readonly refresh = singleFlight(() => this.exchange());

  constructor(
    private readonly send: Fetch,
    private readonly storage: SessionStorageLike,
  ) {
    this.stored = parseStoredSession(this.storage.getItem(SESSION_STORAGE_KEY));
    if (!this.stored) this.storage.removeItem(SESSION_STORAGE_KEY);
    this.state = this.stored ? { status: 'signed-in', user: this.stored.user } : { status: 'signed-out', ended: false };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): AuthState => this.state;

  async login(input: LoginInput): Promise<void> {
    const response = await this.post(AUTH_ROUTES.login, input);
    if (!response.ok) throw new AuthError(response.status, await errorMessage(response));
    await this.accept(response);
  }

  /** Revokes the session on the server and forgets it here; the operator is signed out even if the server cannot be told. */
  async logout(): Promise<void> {
    const token = await this.accessToken().catch(() => null);
    const stored = this.stored;
    this.end(false);
    if (!stored || token === null) return;
    await this.post(AUTH_ROUTES.logout, { refreshToken: stored.refreshToken }, token).catch(() => undefined);
  }

  /** A current access token, refreshing first when there is none yet (after a reload) or it has run out. */
  async accessToken(): Promise<string> {
    if (!this.stored) throw new SignedOutError();
    if (this.access && Date.now() < this.access.timing.expiresAt) return this.access.token;
    return this.refresh();
  }

  /** The token to use after `rejected` was refused: one that has replaced it meanwhile, or a refreshed one. */
  async renew(rejected: string): Promise<string> {
    if (this.access && this.access.token !== rejected && Date.now() < this.access.timing.expiresAt) {
      return this.access.token;
    }
    return this.refresh();
  }

  /** fetch with the access token; after a 401 the session is renewed once and the request sent again. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const token = await this.accessToken();
    const response = await this.send(path, withToken(init, token));
    if (response.status !== 401) return response;
    return this.send(path, withToken(init, await this.renew(token)));
  }

  private async exchange(): Promise<string> {
    const stored = this.stored;
    if (!stored) throw new SignedOutError();
    const response = await this.post(AUTH_ROUTES.refresh, { refreshToken: stored.refreshToken });
    // Logged out (or in as someone else) while the answer was on its way.
    if (this.stored !== stored) throw new SignedOutError();
    if (SESSION_OVER.has(response.status)) {
      this.end(true);
      throw new SignedOutError();
    }
    if (!response.ok) throw new AuthError(response.status, await errorMessage(response));
    return (await this.accept(response)).accessToken;
  }

  private async accept(response: Response): Promise<SessionDto> {
    const session = parseSession(await response.json().catch(() => null));
    if (!session) throw new AuthError(response.status, 'the answer holds no valid session');
    const timing = tokenTiming(session.accessTokenExpiresAt, response.headers.get('date'), Date.now());
    this.stored = { refreshToken: session.refreshToken, user: session.user };
    this.access = { token: session.accessToken, timing };
    this.failedRefreshes = 0;
    this.save(this.stored);
    this.plan(refreshDelayMs(timing, Date.now()));
    if (this.state.status !== 'signed-in' || JSON.stringify(this.state.user) !== JSON.stringify(session.user)) {
      this.setState({ status: 'signed-in', user: session.user });
    }
    return session;
  }

  private plan(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refreshAhead(), delayMs);
  }

  private async refreshAhead(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      // Server or network trouble: the refresh token is still good, so try again a little later.
      if (error instanceof SignedOutError || !this.stored) return;
      this.failedRefreshes += 1;
      this.plan(backoffMs(this.failedRefreshes));
    }
  }

  private end(ended: boolean): void {
    clearTimeout(this.timer);
    this.stored = null;
    this.access = null;
    this.storage.removeItem(SESSION_STORAGE_KEY);
    this.setState({ status: 'signed-out', ended });
  }

  private save(session: StoredSession): void {
    try {
      this.storage.setItem(SESSION_STORAGE_KEY, serialiseSession(session));
    } catch {
      // Storage full or disabled: the session still works until the page is reloaded.
    }
  }

  private setState(state: AuthState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  private async post(path: string, body: unknown, token?: string): Promise<Response> {
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    };
    try {
      return await this.send(path, token === undefined ? init : withToken(init, token));
    } catch (error) {
      throw new AuthError(0, error instanceof Error ? error.message : String(error));
    }
  }
}

function withToken(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

async function errorMessage(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
  return typeof body?.message === 'string' ? body.message : response.statusText;
}
