import { request } from 'node:http';
import argon2 from 'argon2';
import type { ApiErrorBody, AuditEntryDto, SessionDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, eventually } from '../support/clients';

jest.setTimeout(60_000);

const MAX_FAILURES = 3;

interface Answer {
  status: number;
  body: SessionDto & ApiErrorBody;
  ms: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Status and message, with the time a lock ends left out (it differs by the milliseconds between two runs). */
const outcome = (a: Answer) => `${a.status} ${a.body.message?.replace(/after \d{4}-[\d-]+T[\d:.]+Z$/, 'after <time>')}`;
const lockEnd = (a: Answer) => Date.parse(/after (\S+)$/.exec(a.body.message)![1]);

/**
 * Logs in over a connection from `localAddress` (any of 127.0.0.0/8 reaches the server on 127.0.0.1),
 * saying it was forwarded for `forwardedFor` when given, as a reverse proxy does.
 */
function loginFrom(server: TestServer, localAddress: string, username: string, password: string, forwardedFor?: string): Promise<Answer> {
  const url = new URL('/api/auth/login', server.baseUrl);
  const payload = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()), ms: performance.now() - started }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function createUser(server: TestServer, admin: string, username: string, password: string): Promise<number> {
  const res = await api<{ id: number }>(server.baseUrl, 'POST', '/api/users', { username, displayName: username, password, role: 'viewer' }, admin);
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The per-address limit on login requests stays out of the way: these tests are about the per-pair one. */
const throttled = (env: Record<string, string> = {}) =>
  startTestServer({ LOGIN_MAX_FAILURES: String(MAX_FAILURES), LOGIN_RATE_LIMIT: '1000', ...env });

describe('login throttling per username and address', () => {
  let server: TestServer;
  let admin: string;
  const login = (localAddress: string, username: string, password: string) => loginFrom(server, localAddress, username, password);
  const newUser = (username: string, password: string) => createUser(server, admin, username, password);

  beforeAll(async () => {
    // Locks of a minute: none ends while a test looks at it, however slow the machine.
    server = await throttled({ LOGIN_LOCK_FIRST_S: '60' });
    admin = (await server.session('admin')).accessToken;
  });
  afterAll(() => server?.close());

  it("locks out only the stranger's address: the owner logs in from another while it is locked", async () => {
    await newUser('chu.tai.khoan', 'mat-khau-cua-chu');
    const tries: number[] = [];
    for (let i = 0; i <= MAX_FAILURES; i++) tries.push((await login('127.0.0.2', 'chu.tai.khoan', `doan-mo-${i}`)).status);
    expect(tries).toEqual([401, 401, 429, 429]);
    expect((await login('127.0.0.2', 'chu.tai.khoan', 'mat-khau-cua-chu')).status).toBe(429);

    const owner = await login('127.0.0.3', 'chu.tai.khoan', 'mat-khau-cua-chu');
    expect(owner.status).toBe(200);
    expect(owner.body.user.username).toBe('chu.tai.khoan');
    // The owner's login does not unlock the stranger.
    expect((await login('127.0.0.2', 'chu.tai.khoan', 'doan-mo-9')).status).toBe(429);
  });

  it('answers a real username and an unknown one alike: same statuses, same messages', async () => {
    await newUser('co.that', 'mat-khau-co-that');
    const known: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < MAX_FAILURES + 2; i++) {
      known.push(outcome(await login('127.0.0.4', 'co.that', `sai-${i}`)));
      unknown.push(outcome(await login('127.0.0.4', 'khong.co.that', `sai-${i}`)));
    }
    expect(unknown).toEqual(known);
    const locked = `429 account locked from this address after ${MAX_FAILURES} failed logins; try again after <time>`;
    expect(known).toEqual(['401 wrong username or password', '401 wrong username or password', locked, locked, locked]);
  });

  it('takes as long for an unknown username as for a real one, locked or not', async () => {
    await newUser('do.thoi.gian', 'mat-khau-do-thoi-gian');
    // Not ASCII: the password is checked in each of its Unicode forms, against the decoy too.
    const wrong = 'sai-mật-khẩu';
    const times = { known: [] as number[], unknown: [] as number[], knownLocked: [] as number[], unknownLocked: [] as number[] };
    // Interleaved, so a busy moment on the machine slows both alike; a fresh address each: none is locked.
    for (let i = 0; i < 5; i++) {
      times.known.push((await login(`127.0.1.${i + 1}`, 'do.thoi.gian', wrong)).ms);
      times.unknown.push((await login(`127.0.1.${i + 1}`, 'khong.ai.ca', wrong)).ms);
    }
    for (let i = 0; i < MAX_FAILURES; i++) {
      await login('127.0.0.5', 'do.thoi.gian', wrong);
      await login('127.0.0.5', 'khong.ai.ca', wrong);
    }
    for (let i = 0; i < 11; i++) {
      const knownLocked = await login('127.0.0.5', 'do.thoi.gian', wrong);
      const unknownLocked = await login('127.0.0.5', 'khong.ai.ca', wrong);
      expect([knownLocked.status, unknownLocked.status]).toEqual([429, 429]);
      times.knownLocked.push(knownLocked.ms);
      times.unknownLocked.push(unknownLocked.ms);
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<keyof typeof times, number>;
    const ratio = (a: number, b: number) => Math.max(a, b) / Math.min(a, b);
    expect(ratio(m.known, m.unknown)).toBeLessThan(2);
    // Both refusals are a few milliseconds: a generous ratio, for a busy machine.
    expect(ratio(m.knownLocked, m.unknownLocked)).toBeLessThan(5);
    // A refusal while locked checks no password at all, for either.
    expect(Math.max(m.knownLocked, m.unknownLocked)).toBeLessThan(m.known / 2);
    // Some forty argon2 verifies, on a machine that may be busy.
  }, 120_000);

  it('keeps failed logins and lockouts in the audit log, with the username and address, never the password', async () => {
    await newUser('kiem.tra.khoa', 'mat-khau-kiem-tra');
    for (let i = 0; i < MAX_FAILURES; i++) await login('127.0.0.7', 'kiem.tra.khoa', `bi-mat-doan-${i}`);
    const log = await eventually(async () => {
      const res = await api<AuditEntryDto[]>(server.baseUrl, 'GET', '/api/audit?targetType=auth&limit=1000', undefined, admin);
      const failed = res.body.filter((e) => e.action === 'POST /api/auth/login' && e.details?.username === 'kiem.tra.khoa');
      return failed.length === MAX_FAILURES ? res.body : undefined;
    });
    const failed = log.filter((e) => e.action === 'POST /api/auth/login' && e.details?.username === 'kiem.tra.khoa');
    expect(failed.map((e) => [e.status, e.ip, e.details?.password])).toEqual([
      [429, '127.0.0.7', '[redacted]'],
      [401, '127.0.0.7', '[redacted]'],
      [401, '127.0.0.7', '[redacted]'],
    ]);
    const lockout = log.find((e) => e.action === 'login locked' && e.targetId === 'kiem.tra.khoa');
    expect(lockout).toMatchObject({ actor: null, ip: '127.0.0.7', status: 429, details: { username: 'kiem.tra.khoa', failures: MAX_FAILURES } });
    expect(JSON.stringify(log)).not.toContain('bi-mat-doan');
  });

  describe('passwords in either Unicode form', () => {
    const nfc = 'Mật-khẩu-2026'.normalize('NFC');
    const nfd = 'Mật-khẩu-2026'.normalize('NFD');

    it('are the same password', async () => {
      expect(nfd).not.toBe(nfc);
      await newUser('dung.nfc', nfc);
      await newUser('dung.nfd', nfd);
      expect((await login('127.0.0.8', 'dung.nfc', nfd)).status).toBe(200);
      expect((await login('127.0.0.8', 'dung.nfc', nfc)).status).toBe(200);
      expect((await login('127.0.0.8', 'dung.nfd', nfc)).status).toBe(200);
      expect((await login('127.0.0.8', 'dung.nfd', nfd)).status).toBe(200);
    });

    it('log in with a hash made before passwords were normalized, and store it again normalized', async () => {
      const id = await newUser('hash.cu', 'tam-thoi-mot-lat');
      // As the server stored it before: the decomposed input, hashed as typed.
      await server.pool.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, await argon2.hash(nfd, { type: argon2.argon2id })]);
      expect((await login('127.0.0.9', 'hash.cu', nfc)).status).toBe(200);
      const { rows } = await server.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id]);
      expect(await argon2.verify(rows[0].password_hash, nfc)).toBe(true);
      expect((await login('127.0.0.9', 'hash.cu', nfd)).status).toBe(200);
      expect((await login('127.0.0.9', 'hash.cu', 'Mat-khau-2026')).status).toBe(401);
    });
  });
});

describe('login lock growing with each failure', () => {
  const FIRST_LOCK_MS = 2000;
  let server: TestServer;
  beforeAll(async () => {
    server = await throttled({ LOGIN_LOCK_FIRST_S: String(FIRST_LOCK_MS / 1000) });
  });
  afterAll(() => server?.close());

  /** The lock an attempt ended in, bounded by when it was sent and when it was answered (the lock starts in between). */
  async function lockingAttempt(password: string): Promise<{ answer: Answer; fromSent: number; fromAnswered: number }> {
    const sent = Date.now();
    const answer = await loginFrom(server, '127.0.0.6', 'tang.dan', password);
    expect(answer.status).toBe(429);
    return { answer, fromSent: lockEnd(answer) - sent, fromAnswered: lockEnd(answer) - Date.now() };
  }

  it('doubles the lock with each further failure, and a right password afterwards starts the count again', async () => {
    await createUser(server, (await server.session('admin')).accessToken, 'tang.dan', 'mat-khau-tang-dan');
    for (let i = 1; i < MAX_FAILURES; i++) expect((await loginFrom(server, '127.0.0.6', 'tang.dan', `sai-${i}`)).status).toBe(401);
    const first = await lockingAttempt('sai-cuoi');
    // The database clock and this one are the same machine's; a few milliseconds of rounding allowed.
    expect(first.fromSent).toBeGreaterThan(FIRST_LOCK_MS - 20);
    expect(first.fromAnswered).toBeLessThanOrEqual(FIRST_LOCK_MS);
    // Refused attempts while locked are not counted and do not lengthen the lock.
    const refused = await loginFrom(server, '127.0.0.6', 'tang.dan', 'mat-khau-tang-dan');
    expect(refused.status).toBe(429);
    expect(lockEnd(refused)).toBe(lockEnd(first.answer));

    await sleep(first.fromAnswered + 100);
    const second = await lockingAttempt('sai-lan-nua');
    expect(second.answer.body.message).toMatch(`after ${MAX_FAILURES + 1} failed logins`);
    expect(second.fromSent).toBeGreaterThan(2 * FIRST_LOCK_MS - 20);
    expect(second.fromAnswered).toBeLessThanOrEqual(2 * FIRST_LOCK_MS);

    await sleep(second.fromAnswered + 100);
    expect((await loginFrom(server, '127.0.0.6', 'tang.dan', 'mat-khau-tang-dan')).status).toBe(200);
    expect(outcome(await loginFrom(server, '127.0.0.6', 'tang.dan', 'sai-lai'))).toBe('401 wrong username or password');
  });
});

describe('login throttling behind a reverse proxy', () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it('ignores X-Forwarded-For unless TRUST_PROXY says so: a stranger cannot dodge the lock with the header', async () => {
    server = await throttled();
    await createUser(server, (await server.session('admin')).accessToken, 'gia.mao', 'mat-khau-gia-mao');
    for (let i = 0; i < MAX_FAILURES; i++) await loginFrom(server, '127.0.0.7', 'gia.mao', `sai-${i}`, `203.0.113.${i}`);
    expect((await loginFrom(server, '127.0.0.7', 'gia.mao', 'mat-khau-gia-mao', '198.51.100.7')).status).toBe(429);
  });

  it('counts per forwarded address when the proxy is trusted, and audits that address', async () => {
    server = await throttled({ TRUST_PROXY: 'loopback' });
    const admin = (await server.session('admin')).accessToken;
    await createUser(server, admin, 'sau.proxy', 'mat-khau-sau-proxy');
    const tries: number[] = [];
    for (let i = 0; i < MAX_FAILURES; i++) tries.push((await loginFrom(server, '127.0.0.8', 'sau.proxy', `sai-${i}`, '203.0.113.9')).status);
    expect(tries).toEqual([401, 401, 429]);
    // The owner comes through the same proxy from elsewhere.
    expect((await loginFrom(server, '127.0.0.8', 'sau.proxy', 'mat-khau-sau-proxy', '198.51.100.7')).status).toBe(200);
    const locked = await eventually(async () => {
      const { body } = await api<AuditEntryDto[]>(server.baseUrl, 'GET', '/api/audit?targetType=auth', undefined, admin);
      return body.find((e) => e.action === 'login locked' && e.targetId === 'sau.proxy');
    });
    expect(locked.ip).toBe('203.0.113.9');
  });
});
