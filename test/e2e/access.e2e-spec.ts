import { createHmac } from 'node:crypto';
import { ROLES, type ApiErrorBody, type AuditEntryDto, type Role, type SessionDto, type UserDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, eventually, nextEvent } from '../support/clients';

jest.setTimeout(60_000);

const station = { kind: 'water_level', name: 'Trạm thử quyền', lat: 10.35, lng: 106.36 };
const EVERYONE: Role[] = [...ROLES];
const OPERATIONS_ROOM: Role[] = ['admin', 'supervisor', 'operator', 'viewer'];
const REFRESH_GRACE_S = 2;
const JWT_SECRET = 'access-spec-secret-long-enough-for-hs256-9876543210';

/** An access token signed with the server's own key, claims as given. */
function signAccessToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

/** Each route family, and the roles that may use it. */
const ROUTES: { method: string; path: string; body?: unknown; allowed: Role[] }[] = [
  { method: 'GET', path: '/api/devices', allowed: EVERYONE },
  { method: 'GET', path: '/api/areas', allowed: EVERYONE },
  { method: 'PUT', path: '/api/devices/acl-01', body: station, allowed: ['admin', 'supervisor'] },
  { method: 'PATCH', path: '/api/devices/acl-01', body: { name: 'x' }, allowed: ['admin', 'supervisor'] },
  { method: 'DELETE', path: '/api/devices/no-such-device', allowed: ['admin', 'supervisor'] },
  { method: 'GET', path: '/api/rules', allowed: OPERATIONS_ROOM },
  { method: 'POST', path: '/api/rules', body: {}, allowed: ['admin', 'supervisor'] },
  { method: 'GET', path: '/api/alerts', allowed: OPERATIONS_ROOM },
  { method: 'GET', path: '/api/incidents', allowed: EVERYONE },
  { method: 'POST', path: '/api/incidents/1/dispatch', body: { teamId: 1 }, allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'POST', path: '/api/incidents/1/resolve', body: { note: 'x' }, allowed: ['admin', 'supervisor', 'operator', 'field'] },
  { method: 'GET', path: '/api/dead-letters', allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'GET', path: '/api/users', allowed: ['admin'] },
  { method: 'POST', path: '/api/users', body: {}, allowed: ['admin'] },
  { method: 'PATCH', path: '/api/users/9999', body: { displayName: 'x' }, allowed: ['admin'] },
  { method: 'GET', path: '/api/teams', allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'POST', path: '/api/teams', body: {}, allowed: ['admin'] },
  { method: 'GET', path: '/api/audit', allowed: ['admin', 'supervisor'] },
  { method: 'GET', path: '/api/auth/me', allowed: EVERYONE },
  { method: 'POST', path: '/api/incidents', body: {}, allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'POST', path: '/api/incidents/1/reject', body: { reason: 'x' }, allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'POST', path: '/api/incidents/1/merge', body: { incidentId: 2 }, allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'GET', path: '/api/deadline-policies', allowed: OPERATIONS_ROOM },
  { method: 'PUT', path: '/api/deadline-policies/warning', body: {}, allowed: ['admin', 'supervisor'] },
  { method: 'GET', path: '/api/statistics/incidents?from=2026-12-01&to=2026-12-07', allowed: OPERATIONS_ROOM },
  { method: 'GET', path: '/api/webhooks', allowed: ['admin'] },
  { method: 'POST', path: '/api/webhooks', body: {}, allowed: ['admin'] },
  { method: 'GET', path: '/api/notification-routes', allowed: ['admin', 'supervisor'] },
  { method: 'POST', path: '/api/notification-routes', body: {}, allowed: ['admin', 'supervisor'] },
  { method: 'GET', path: '/api/warnings', allowed: ['admin', 'supervisor', 'operator'] },
  { method: 'POST', path: '/api/incidents/1/warnings', body: {}, allowed: ['admin', 'supervisor', 'operator'] },
];

describe('who may do what', () => {
  let server: TestServer;
  const sessions = {} as Record<Role, SessionDto>;

  beforeAll(async () => {
    // Some twenty logins from one address within the minute: above the default per-address limit.
    server = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_RATE_LIMIT: '50', REFRESH_TOKEN_GRACE_S: String(REFRESH_GRACE_S), JWT_SECRET });
    for (const role of ROLES) sessions[role] = await server.session(role);
  });
  afterAll(() => server?.close());

  const cases = ROUTES.flatMap((route) => ROLES.map((role) => ({ ...route, role, ok: route.allowed.includes(role) })));
  it.each(cases)('$role: $method $path is allowed: $ok', async ({ method, path, body, role, ok }) => {
    const res = await api<ApiErrorBody>(server.baseUrl, method, path, body, sessions[role].accessToken);
    if (ok) {
      expect([401, 403]).not.toContain(res.status);
    } else {
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(new RegExp(`the role ${role} may not ${method}`));
    }
  });

  it.each(ROUTES)('$method $path without a token: 401', async ({ method, path, body }) => {
    const res = await api<ApiErrorBody>(server.baseUrl, method, path, body);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('log in first: no access token');
  });

  it.each(['/api/health', '/api/console-config', '/api/public/warnings', '/api/public/warnings.atom'])('GET %s needs no token', async (path) => {
    expect((await fetch(`${server.baseUrl}${path}`)).status).toBe(200);
  });

  it('refuses a tampered token, a token signed with another key and an unsigned one', async () => {
    const token = sessions.viewer.accessToken;
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${promoted}.`;
    for (const forged of [`${header}.${promoted}.${signature}`, `${header}.${payload}.${signature.slice(0, -4)}AAAA`, unsigned, 'not-a-jwt']) {
      const res = await api<ApiErrorBody>(server.baseUrl, 'GET', '/api/users', undefined, forged);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('invalid access token');
    }
  });

  it('refuses a token that never expires, signed with the right key, on the API and the socket', async () => {
    const { exp, iat, ...claims } = JSON.parse(Buffer.from(sessions.viewer.accessToken.split('.')[1], 'base64url').toString());
    expect(typeof exp).toBe('number');
    // The same claims, signed the same way, pass while they carry an expiry.
    const expiring = signAccessToken({ ...claims, iat, exp });
    expect((await api(server.baseUrl, 'GET', '/api/auth/me', undefined, expiring)).status).toBe(200);
    (await connectConsole(server.baseUrl, expiring)).close();

    const forever = signAccessToken({ ...claims, iat });
    const res = await api<ApiErrorBody>(server.baseUrl, 'GET', '/api/auth/me', undefined, forever);
    expect(res).toMatchObject({ status: 401, body: { message: 'invalid access token' } });
    await expect(connectConsole(server.baseUrl, forever)).rejects.toThrow('unauthorized');
  });

  it('ends a session at logout: its access token, its refresh token and its socket stop working', async () => {
    const session = await server.session('operator');
    const socket = await connectConsole(server.baseUrl, session.accessToken);
    const ended = nextEvent(socket, 'session:ended', (p) => p.reason === 'revoked');
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    expect((await api(server.baseUrl, 'POST', '/api/auth/logout', { refreshToken: session.refreshToken }, session.accessToken)).status).toBe(204);
    await ended;
    await disconnected;
    const after = await api<ApiErrorBody>(server.baseUrl, 'GET', '/api/devices', undefined, session.accessToken);
    expect(after).toMatchObject({ status: 401, body: { message: 'session revoked: log in again' } });
    expect((await api(server.baseUrl, 'POST', '/api/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
  });

  const refresh = (refreshToken: string) => api<SessionDto & ApiErrorBody>(server.baseUrl, 'POST', '/api/auth/refresh', { refreshToken });
  const SESSION_GONE = { status: 401, body: { message: 'session expired or revoked: log in again' } };

  it('rotates refresh tokens: each is good once, or once more for a retry while its grace lasts', async () => {
    const session = await server.session('viewer');
    const lost = await refresh(session.refreshToken);
    expect(lost.status).toBe(200);
    expect(lost.body.refreshToken).not.toBe(session.refreshToken);

    // The first answer never arrived: the client retries with the token it still holds.
    const retried = await refresh(session.refreshToken);
    expect(retried.status).toBe(200);
    expect((await api(server.baseUrl, 'GET', '/api/devices', undefined, retried.body.accessToken)).status).toBe(200);
    // The newest answer carries the session on.
    const carriedOn = await refresh(retried.body.refreshToken);
    expect(carriedOn.status).toBe(200);
    expect((await refresh(carriedOn.body.refreshToken)).status).toBe(200);
  });

  it('keeps the session of a page reloaded while its refresh was on the way, whichever request the server takes first', async () => {
    const session = await server.session('viewer');
    // The new page's refresh is taken first and answered; the old page's copy of the same request comes after, unanswered.
    const newPage = await refresh(session.refreshToken);
    expect(newPage.status).toBe(200);
    const lateCopy = await refresh(session.refreshToken);
    expect(lateCopy.status).toBe(200);
    // The new page carries on with the token it holds; the answer nobody received is then dead.
    const carriedOn = await refresh(newPage.body.refreshToken);
    expect(carriedOn.status).toBe(200);
    expect((await refresh(carriedOn.body.refreshToken)).status).toBe(200);
    expect(await refresh(lateCopy.body.refreshToken)).toMatchObject(SESSION_GONE);
  });

  it('ends the whole session when a replaced refresh token is presented past its grace', async () => {
    const session = await server.session('viewer');
    const next = await refresh(session.refreshToken);
    await new Promise((resolve) => setTimeout(resolve, REFRESH_GRACE_S * 1000 + 200));
    expect(await refresh(session.refreshToken)).toMatchObject(SESSION_GONE);
    expect(await refresh(next.body.refreshToken)).toMatchObject(SESSION_GONE);
  });

  it('ends the whole session, and its socket, when a replaced refresh token is replayed twice within its grace', async () => {
    const session = await server.session('operator');
    const lost = await refresh(session.refreshToken);
    const retried = await refresh(session.refreshToken);
    expect(retried.status).toBe(200);
    const socket = await connectConsole(server.baseUrl, retried.body.accessToken);
    const ended = nextEvent(socket, 'session:ended', (p) => p.reason === 'revoked');

    expect(await refresh(session.refreshToken)).toMatchObject(SESSION_GONE);
    await ended;
    socket.close();
    expect(await refresh(retried.body.refreshToken)).toMatchObject(SESSION_GONE);
    expect(await refresh(lost.body.refreshToken)).toMatchObject(SESSION_GONE);
    const after = await api<ApiErrorBody>(server.baseUrl, 'GET', '/api/devices', undefined, retried.body.accessToken);
    expect(after).toMatchObject({ status: 401, body: { message: 'session revoked: log in again' } });
  });

  it('ends the whole session when a refresh token is replayed after its successor was used, and audits it', async () => {
    const session = await server.session('field');
    const stolen = session.refreshToken;
    const next = await refresh(stolen);
    const nextAgain = await refresh(next.body.refreshToken);
    expect(nextAgain.status).toBe(200);
    // Within the grace, but the successor was used: the answer was not lost, the token was copied.
    expect(await refresh(stolen)).toMatchObject(SESSION_GONE);
    expect(await refresh(nextAgain.body.refreshToken)).toMatchObject(SESSION_GONE);

    const entry = await eventually(async () => {
      const res = await api<AuditEntryDto[]>(server.baseUrl, 'GET', '/api/audit?targetType=users', undefined, sessions.admin.accessToken);
      return res.body.find((e) => e.action === 'refresh token reuse' && e.details?.username === session.user.username);
    });
    expect(entry).toMatchObject({ targetType: 'users', targetId: String(session.user.id), status: 401, ip: expect.stringMatching(/127\.0\.0\.1/) });
    expect(JSON.stringify(entry)).not.toContain(stolen);
  });

  it('logs out with a refresh token whose answer was lost, while its grace lasts', async () => {
    const session = await server.session('viewer');
    const next = await api<SessionDto>(server.baseUrl, 'POST', '/api/auth/refresh', { refreshToken: session.refreshToken });
    expect((await api(server.baseUrl, 'POST', '/api/auth/logout', { refreshToken: session.refreshToken }, next.body.accessToken)).status).toBe(204);
    const after = await api<ApiErrorBody>(server.baseUrl, 'GET', '/api/devices', undefined, next.body.accessToken);
    expect(after).toMatchObject({ status: 401, body: { message: 'session revoked: log in again' } });
  });

  it('refuses a socket with no token or a bad one', async () => {
    await expect(connectConsole(server.baseUrl, '')).rejects.toThrow('unauthorized');
    await expect(connectConsole(server.baseUrl, 'forged.token.value')).rejects.toThrow('unauthorized');
  });

  it('locks an account from an address after repeated failures, with a message saying until when', async () => {
    const admin = sessions.admin.accessToken;
    await api(server.baseUrl, 'POST', '/api/users', { username: 'khoa.thu', displayName: 'Thử khoá', password: 'correct-horse-battery', role: 'viewer' }, admin);
    const attempt = (password: string) => api<ApiErrorBody>(server.baseUrl, 'POST', '/api/auth/login', { username: 'khoa.thu', password });
    expect(await attempt('wrong-1')).toMatchObject({ status: 401, body: { message: 'wrong username or password' } });
    expect((await attempt('wrong-2')).status).toBe(401);
    const locked = await attempt('wrong-3');
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/^account locked from this address after 3 failed logins; try again after \d{4}-\d\d-\d\dT/);
    expect((await attempt('correct-horse-battery')).status).toBe(429);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const res = await api<ApiErrorBody>(server.baseUrl, 'POST', '/api/auth/login', { username: 'nobody', password: 'whatever-it-is' });
    expect(res).toMatchObject({ status: 401, body: { message: 'wrong username or password' } });
  });

  it('ends the sessions of a user whose role changes, and refuses a disabled one', async () => {
    const admin = sessions.admin.accessToken;
    const created = await api<UserDto>(server.baseUrl, 'POST', '/api/users', { username: 'doi.vai.tro', displayName: 'Đổi vai trò', password: 'long-enough-pass', role: 'operator' }, admin);
    const login = () => api<SessionDto>(server.baseUrl, 'POST', '/api/auth/login', { username: 'doi.vai.tro', password: 'long-enough-pass' });
    const first = await login();
    await api(server.baseUrl, 'PATCH', `/api/users/${created.body.id}`, { role: 'viewer' }, admin);
    expect((await api(server.baseUrl, 'GET', '/api/devices', undefined, first.body.accessToken)).status).toBe(401);
    expect((await login()).body.user.role).toBe('viewer');
    await api(server.baseUrl, 'PATCH', `/api/users/${created.body.id}`, { disabled: true }, admin);
    expect(await login()).toMatchObject({ status: 401, body: { message: 'this account is disabled' } });
  });

  it('needs a team for a field user', async () => {
    const res = await api<ApiErrorBody>(server.baseUrl, 'POST', '/api/users', { username: 'to.moi', displayName: 'Tổ mới', password: 'long-enough-pass', role: 'field' }, sessions.admin.accessToken);
    expect(res).toMatchObject({ status: 400, body: { message: 'teamId: a field user must belong to a team' } });
  });

  it('keeps an audit log of changes, with who, what, where from, and no secrets', async () => {
    const admin = sessions.admin.accessToken;
    await api(server.baseUrl, 'PUT', '/api/devices/audit-01', station, admin);
    await api(server.baseUrl, 'POST', '/api/users', { username: 'kiem.toan', displayName: 'Kiểm toán', password: 'secret-password-1', role: 'viewer' }, admin);
    await api(server.baseUrl, 'DELETE', '/api/devices/audit-01', undefined, sessions.viewer.accessToken);
    // Entries are written once each answer has gone out: wait for the last one.
    const log = await eventually(async () => {
      const res = await api<AuditEntryDto[]>(server.baseUrl, 'GET', '/api/audit?limit=1000', undefined, sessions.supervisor.accessToken);
      return res.body.some((e) => e.action === 'DELETE /api/devices/:id' && e.targetId === 'audit-01') ? res : undefined;
    });
    const put = log.body.find((e) => e.action === 'PUT /api/devices/:id' && e.targetId === 'audit-01');
    expect(put).toMatchObject({ actor: { username: 'admin' }, targetType: 'devices', status: 200, details: { name: station.name } });
    expect(put?.ip).toMatch(/127\.0\.0\.1/);
    const user = log.body.find((e) => e.action === 'POST /api/users' && e.details?.username === 'kiem.toan');
    expect(user?.details?.password).toBe('[redacted]');
    expect(JSON.stringify(log.body)).not.toContain('secret-password-1');
    const refused = log.body.find((e) => e.action === 'DELETE /api/devices/:id' && e.targetId === 'audit-01');
    expect(refused).toMatchObject({ actor: { username: 'nguoixem' }, status: 403 });
    const logins = log.body.filter((e) => e.action === 'POST /api/auth/login');
    expect(logins.some((e) => e.status === 429 && e.details?.username === 'khoa.thu')).toBe(true);
  });

  it('documents every route with the roles it needs at /api/docs', async () => {
    type Operation = { description?: string; requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> } };
    const { status, body } = await api<{ paths: Record<string, Record<string, Operation>> }>(server.baseUrl, 'GET', '/api/docs-json');
    expect(status).toBe(200);
    expect(body.paths['/api/users'].get.description).toBe('Roles: admin.');
    expect(body.paths['/api/devices/{id}'].put.description).toBe('Roles: admin, supervisor.');
    expect(body.paths['/api/health'].get.description).toBe('Public: no token needed.');
    const create = body.paths['/api/devices'].post.requestBody!.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['id', 'kind', 'name', 'lat', 'lng']));
    expect(Object.keys(create.properties ?? {})).toEqual(expect.arrayContaining(['metadata', 'gatewayId']));
  });
});

describe('short-lived access tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Two seconds: a token's expiry is a whole second, so one issued late in a second could live only a few milliseconds of a one-second lifetime.
    server = await startTestServer({ ACCESS_TOKEN_TTL_S: '2', LOGIN_RATE_LIMIT: '3' });
  });
  afterAll(() => server?.close());

  it('refuses an expired token and closes its socket', async () => {
    const session = await server.session('operator');
    const socket = await connectConsole(server.baseUrl, session.accessToken);
    await nextEvent(socket, 'session:ended', (p) => p.reason === 'expired', 5000);
    await new Promise((r) => setTimeout(r, 200));
    const res = await api<ApiErrorBody>(server.baseUrl, 'GET', '/api/devices', undefined, session.accessToken);
    expect(res).toMatchObject({ status: 401, body: { message: 'access token expired: refresh it' } });
    socket.close();
  });

  it('limits login attempts per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api(server.baseUrl, 'POST', '/api/auth/login', { username: 'nobody', password: 'x' })).status);
    }
    expect(statuses.slice(0, 2)).toEqual([401, 401]);
    expect(statuses[3]).toBe(429);
  });
});
