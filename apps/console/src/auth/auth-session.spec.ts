import type { SessionDto, UserDto } from '@ioc/contracts';
import { AuthError, AuthSession, SignedOutError, type AuthState } from './auth-session';
import { SESSION_STORAGE_KEY } from './stored-session';

const MINUTE = 60_000;
const START = Date.parse('2026-11-23T07:00:00.000Z');

const user: UserDto = {
  id: 3,
  username: 'canbotruc',
  displayName: 'Nguyễn Văn Trực',
  role: 'operator',
  teamId: null,
  disabled: false,
  createdAt: '2026-11-01T00:00:00.000Z',
};

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

interface Call {
  path: string;
  authorization: string | null;
  body: unknown;
}

/** A stand-in for the server: numbered tokens, 15-minute access tokens, single-use refresh tokens. */
class FakeServer {
  readonly calls: Call[] = [];
  private issued = 0;
  private validRefresh = new Set<string>();
  /** Answers for the next refreshes, instead of a new session. */
  readonly refreshAnswers: Array<() => Response | Promise<Response>> = [];
  /** Tokens the API accepts; the newest is added on every refresh. */
  readonly acceptedTokens = new Set<string>();
  /** The API refuses every token, new ones too. */
  refuseAll = false;

  readonly fetch = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    this.calls.push({ path, authorization: headers.get('authorization'), body });
    if (path === '/api/auth/login') {
      const { username, password } = body as { username: string; password: string };
      if (username === 'canbotruc' && password === 'canbotruc-demo-2026') return this.newSession();
      return json(401, { statusCode: 401, error: 'Unauthorized', message: 'wrong username or password' });
    }
    if (path === '/api/auth/refresh') {
      const next = this.refreshAnswers.shift();
      if (next) return next();
      const { refreshToken } = body as { refreshToken: string };
      if (!this.validRefresh.delete(refreshToken)) return json(401, { statusCode: 401, error: 'Unauthorized', message: 'revoked' });
      return this.newSession();
    }
    if (path === '/api/auth/logout') return new Response(null, { status: 204 });
    const token = headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
    return this.acceptedTokens.has(token) && !this.refuseAll ? json(200, []) : json(401, { statusCode: 401, error: 'Unauthorized', message: 'expired' });
  };

  storedRefreshToken(): string {
    const token = `refresh-token-number-${++this.issued}`.padEnd(43, '0');
    this.validRefresh.add(token);
    return token;
  }

  calledAt(path: string): Call[] {
    return this.calls.filter((c) => c.path === path);
  }

  private newSession(): Response {
    const accessToken = `access-${++this.issued}`;
    this.acceptedTokens.add(accessToken);
    const session: SessionDto = {
      accessToken,
      accessTokenExpiresAt: new Date(Date.now() + 15 * MINUTE).toISOString(),
      refreshToken: this.storedRefreshToken(),
      user,
    };
    return json(200, session, new Date(Date.now()).toUTCString());
  }
}

function json(status: number, body: unknown, date?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (date) headers.date = date;
  return new Response(JSON.stringify(body), { status, headers });
}

function setUp(stored?: string) {
  const server = new FakeServer();
  const storage = new MemoryStorage();
  if (stored !== undefined) storage.setItem(SESSION_STORAGE_KEY, stored);
  const session = new AuthSession(server.fetch, storage);
  const states: AuthState[] = [];
  session.subscribe(() => states.push(session.getState()));
  return { server, storage, session, states };
}

function restored() {
  const server = new FakeServer();
  const refreshToken = server.storedRefreshToken();
  const storage = new MemoryStorage();
  storage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ refreshToken, user }));
  return { server, storage, session: new AuthSession(server.fetch, storage), refreshToken };
}

/** Lets pending promise callbacks run while the clock is fake. */
const settle = () => jest.advanceTimersByTimeAsync(0);

beforeEach(() => {
  jest.useFakeTimers({ now: START });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('AuthSession', () => {
  it('starts signed out when nothing is stored, and drops what is stored but not a session', () => {
    expect(setUp().session.getState()).toEqual({ status: 'signed-out', ended: false });
    const { session, storage } = setUp('{"refreshToken":"short"}');
    expect(session.getState()).toEqual({ status: 'signed-out', ended: false });
    expect(storage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('logs in, keeps refresh token and user in storage, and sends the access token as a bearer', async () => {
    const { server, storage, session, states } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });

    expect(states).toEqual([{ status: 'signed-in', user }]);
    const kept = JSON.parse(storage.getItem(SESSION_STORAGE_KEY)!) as Record<string, unknown>;
    expect(Object.keys(kept).sort()).toEqual(['refreshToken', 'user']);

    await session.fetch('/api/devices');
    expect(server.calledAt('/api/devices')[0].authorization).toBe('Bearer access-1');
  });

  it('reports a refused login with its status and the server message', async () => {
    const { session, states } = setUp();
    const failure = session.login({ username: 'canbotruc', password: 'wrong' });
    await expect(failure).rejects.toEqual(new AuthError(401, 'wrong username or password'));
    expect(states).toEqual([]);
  });

  it('reports an unreachable server as status 0', async () => {
    const session = new AuthSession(() => Promise.reject(new TypeError('Failed to fetch')), new MemoryStorage());
    await expect(session.login({ username: 'a', password: 'b' })).rejects.toMatchObject({ status: 0 });
  });

  it('after a reload, is signed in at once and refreshes once for all the first requests', async () => {
    const { server, session, refreshToken, storage } = restored();
    expect(session.getState()).toEqual({ status: 'signed-in', user });

    await Promise.all([session.fetch('/api/devices'), session.fetch('/api/alerts'), session.accessToken()]);
    expect(server.calledAt('/api/auth/refresh')).toEqual([{ path: '/api/auth/refresh', authorization: null, body: { refreshToken } }]);
    expect(storage.getItem(SESSION_STORAGE_KEY)).not.toContain(refreshToken);
  });

  it('refreshes ahead of expiry, at 80% of the lifetime', async () => {
    const { server, session } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });

    await jest.advanceTimersByTimeAsync(11 * MINUTE);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1 * MINUTE);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(1);

    // And again on the new token's schedule.
    await jest.advanceTimersByTimeAsync(12 * MINUTE);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(2);
    await expect(session.accessToken()).resolves.toBe('access-5');
  });

  it('refreshes once when two requests come back 401 together, and sends both again with the new token', async () => {
    const { server, session } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });
    server.acceptedTokens.delete('access-1');

    const answers = await Promise.all([session.fetch('/api/devices'), session.fetch('/api/alerts?state=open')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(1);
    expect(server.calls.filter((c) => !c.path.startsWith('/api/auth/')).map((c) => c.authorization)).toEqual([
      'Bearer access-1',
      'Bearer access-1',
      'Bearer access-3',
      'Bearer access-3',
    ]);
  });

  it('does not refresh for a 401 on a token that has already been replaced', async () => {
    const { server, session } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });
    await session.refresh();

    await expect(session.renew('access-1')).resolves.toBe('access-3');
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(1);
  });

  it('gives up after one refresh: a second 401 is returned to the caller', async () => {
    const { server, session } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });
    server.refuseAll = true;

    const answer = await session.fetch('/api/devices');
    expect(answer.status).toBe(401);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(1);
    expect(server.calledAt('/api/devices')).toHaveLength(2);
  });

  it('ends the session when the refresh token is refused', async () => {
    const { server, session, storage } = restored();
    server.refreshAnswers.push(() => json(401, { statusCode: 401, error: 'Unauthorized', message: 'revoked' }));
    const states: AuthState[] = [];
    session.subscribe(() => states.push(session.getState()));

    await expect(session.fetch('/api/devices')).rejects.toBeInstanceOf(SignedOutError);
    expect(states).toEqual([{ status: 'signed-out', ended: true }]);
    expect(storage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(server.calledAt('/api/devices')).toHaveLength(0);
    await expect(session.accessToken()).rejects.toBeInstanceOf(SignedOutError);
  });

  it('keeps the session through a failed refresh ahead of expiry and tries again with backoff', async () => {
    const { server, session } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });
    server.refreshAnswers.push(
      () => Promise.reject(new TypeError('Failed to fetch')),
      () => json(503, { statusCode: 503, error: 'Service Unavailable', message: 'database down' }),
    );

    await jest.advanceTimersByTimeAsync(12 * MINUTE);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(3);
    expect(session.getState()).toEqual({ status: 'signed-in', user });
    await expect(session.accessToken()).resolves.toBe('access-3');
  });

  it('refreshes before a request when the token has run out (a timer held back in a sleeping tab)', async () => {
    const { server, session } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });
    jest.setSystemTime(START + 16 * MINUTE);

    await session.fetch('/api/devices');
    expect(server.calledAt('/api/devices').map((c) => c.authorization)).toEqual(['Bearer access-3']);
  });

  it('logs out: revokes the refresh token on the server and forgets the session', async () => {
    const { server, session, storage, states } = setUp();
    await session.login({ username: 'canbotruc', password: 'canbotruc-demo-2026' });
    const { refreshToken } = JSON.parse(storage.getItem(SESSION_STORAGE_KEY)!) as { refreshToken: string };

    await session.logout();
    expect(server.calledAt('/api/auth/logout')).toEqual([
      { path: '/api/auth/logout', authorization: 'Bearer access-1', body: { refreshToken } },
    ]);
    expect(states.at(-1)).toEqual({ status: 'signed-out', ended: false });
    expect(storage.getItem(SESSION_STORAGE_KEY)).toBeNull();

    // No refresh is left planned.
    await jest.advanceTimersByTimeAsync(20 * MINUTE);
    expect(server.calledAt('/api/auth/refresh')).toHaveLength(0);
  });

  it('logs out locally even when the server cannot be told', async () => {
    const { session } = restored();
    const offline = new AuthSession(() => Promise.reject(new TypeError('Failed to fetch')), new MemoryStorage());
    await offline.logout();
    expect(offline.getState()).toEqual({ status: 'signed-out', ended: false });
    await session.logout();
    expect(session.getState()).toEqual({ status: 'signed-out', ended: false });
  });

  it('ignores a refresh answer that arrives after logging out', async () => {
    const { server, session, storage } = restored();
    let answer!: (response: Response) => void;
    server.refreshAnswers.push(() => new Promise<Response>((resolve) => (answer = resolve)));

    const request = session.fetch('/api/devices');
    await settle();
    const loggingOut = session.logout();
    answer(json(200, { accessToken: 'late', accessTokenExpiresAt: new Date(START + 15 * MINUTE).toISOString(), refreshToken: 'x'.repeat(43), user }));
    await expect(request).rejects.toBeInstanceOf(SignedOutError);
    await loggingOut;
    expect(session.getState()).toEqual({ status: 'signed-out', ended: false });
    expect(storage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });
});
