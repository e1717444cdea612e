import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ApiErrorBody,
  AuditEntryDto,
  CreateWebhookInput,
  IncidentDto,
  Severity,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookWithSecretDto,
} from '@ioc/contracts';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api, eventually } from '../support/clients';
import { IN_WARD, QUIET_MS, Station, VAM_LANG, WARD, above, createRule, incidentsOf, onStations } from '../support/alerting';

jest.setTimeout(60_000);

/** Short retries, so that giving up and coming back fit in a test. */
const RETRY_ENV = {
  WEBHOOK_RETRY_FOR_S: '3',
  WEBHOOK_RETRY_BASE_MS: '100',
  WEBHOOK_RETRY_MAX_MS: '400',
  WEBHOOK_TIMEOUT_MS: '3000',
};

/** How a receiver checks a delivery (docs/webhooks.md): the signature over timestamp and raw body, in constant time, and a fresh timestamp. */
function verify(secret: string, headers: IncomingHttpHeaders, rawBody: string, nowS = Date.now() / 1000): boolean {
  const timestamp = Number(headers['x-ioc-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > 300) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`);
  const given = Buffer.from(String(headers['x-ioc-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** The status answered; null: never answered. */
  status: number | null;
  at: number;
}

/** What a receiver answers its n-th request (from 1): a status, after a delay, or nothing ever. */
type Answer = { status: number; delayMs?: number; retryAfterS?: number } | 'hang';

/** An HTTP endpoint of the test's own that records every request. */
class Receiver {
  readonly requests: Received[] = [];
  private readonly server: Server;
  url = '';

  private constructor(private readonly answer: (n: number) => Answer) {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        const received: Received = { headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown>, status: null, at: Date.now() };
        this.requests.push(received);
        const a = this.answer(this.requests.length);
        if (a === 'hang') return;
        setTimeout(() => {
          received.status = a.status;
          res.writeHead(a.status, a.retryAfterS === undefined ? {} : { 'retry-after': String(a.retryAfterS) }).end(a.status < 300 ? 'ok' : 'not yet');
        }, a.delayMs ?? 0);
      });
    });
  }

  static async start(answer: (n: number) => Answer = () => ({ status: 200 })): Promise<Receiver> {
    const receiver = new Receiver(answer);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/ioc`;
    return receiver;
  }

  /** The requests it took (2xx). */
  accepted(): Received[] {
    return this.requests.filter((r) => r.status !== null && r.status < 300);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** A port nobody listens on. */
async function refusedUrl(): Promise<string> {
  const r = await Receiver.start();
  await r.close();
  return r.url;
}

describe('webhooks: incident changes to PagerDuty and Alertmanager receivers through the outbox', () => {
  /** Kept, so that a second node can share it. */
  let database: ScratchDatabase;
  let server: TestServer;
  let admin: string;
  let operator: string;
  const stations: Station[] = [];
  const receivers: Receiver[] = [];
  let created: number[] = [];
  let stationCount = 0;

  const call = <T>(method: string, path: string, body?: unknown, token = admin) => api<T>(server.baseUrl, method, path, body, token);
  const receiver = async (answer?: (n: number) => Answer) => {
    const r = await Receiver.start(answer);
    receivers.push(r);
    return r;
  };
  const subscribe = async (body: CreateWebhookInput): Promise<WebhookWithSecretDto> => {
    const res = await call<WebhookWithSecretDto>('POST', '/api/webhooks', body);
    if (res.status !== 201) throw new Error(`subscription not created: ${res.status} ${JSON.stringify(res.body)}`);
    created.push(res.body.id);
    return res.body;
  };
  const log = async (id: number, query = '') => (await call<WebhookDeliveryPageDto>('GET', `/api/webhooks/${id}/deliveries${query}`)).body.items;
  /** A station of its own with a rule of its own: its first reading above 4 opens an incident. */
  const station = async (options: { severity?: Severity; place?: { lat: number; lng: number } } = {}) => {
    const s = await Station.provision(server, admin, `wh-sal-${++stationCount}`, { place: options.place ?? VAM_LANG });
    stations.push(s);
    await createRule(server, admin, onStations(`Độ mặn ${s.id}`, [s], [above(4)], { severity: options.severity ?? 'warning' }));
    return s;
  };
  const fire = async (s: Station): Promise<IncidentDto> => {
    await s.reading(5.2);
    return eventually(async () => (await incidentsOf(server, operator, s.id))[0]);
  };
  const act = async (id: number, action: 'acknowledge' | 'dispatch' | 'resolve' | 'close' | 'comment', body: unknown = {}) => {
    const res = await call<ApiErrorBody>('POST', `/api/incidents/${id}/${action}`, body, operator);
    if (res.status !== 200) throw new Error(`${action} of incident ${id}: ${res.status} ${res.body.message}`);
  };
  const received = (r: Receiver, count: number, timeoutMs = 10_000) => eventually(async () => (r.accepted().length >= count ? r.accepted() : undefined), timeoutMs);

  beforeAll(async () => {
    database = await createScratchDatabase();
    server = await startTestServer(RETRY_ENV, { database });
    admin = (await server.session('admin')).accessToken;
    operator = (await server.session('operator')).accessToken;
  });

  afterEach(async () => {
    for (const id of created) await call('DELETE', `/api/webhooks/${id}`);
    created = [];
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    await Promise.all(stations.map((s) => s.close()));
    await server?.close();
    await database?.drop();
  });

  it('signs every delivery so that a receiver can check it; a rotated secret replaces the old one at once', async () => {
    const r = await receiver();
    const sub = await subscribe({ name: 'PagerDuty Tiền Giang', url: r.url, format: 'pagerduty', routingKey: 'R0UT1NGKEY0123456789abcdef012345' });
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const shown = (await call<WebhookDto>('GET', `/api/webhooks/${sub.id}`)).body;
    expect(shown).not.toHaveProperty('secret');
    expect(JSON.stringify((await call<WebhookDto[]>('GET', '/api/webhooks')).body)).not.toContain('whsec_');

    const incident = await fire(await station());
    const [first] = await received(r, 1);
    expect(verify(sub.secret, first.headers, first.raw)).toBe(true);
    expect(first.body).toMatchObject({ routing_key: 'R0UT1NGKEY0123456789abcdef012345', event_action: 'trigger', dedup_key: `ioc-incident-${incident.id}` });
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-ioc-event']).toBe('trigger');
    const [delivery] = await log(sub.id);
    expect(first.headers['x-ioc-delivery']).toBe(String(delivery.id));
    expect(delivery).toMatchObject({ incidentId: incident.id, event: 'trigger', status: 'delivered', attempts: 1, lastStatusCode: 200 });

    // What a receiver must refuse: another body under the same signature, a replay after the tolerance, a wrong secret.
    expect(verify(sub.secret, first.headers, first.raw.replace('trigger', 'resolve'))).toBe(false);
    expect(verify(sub.secret, first.headers, first.raw, Number(first.headers['x-ioc-timestamp']) + 301)).toBe(false);
    expect(verify(`${sub.secret}x`, first.headers, first.raw)).toBe(false);

    const rotated = await call<WebhookWithSecretDto>('POST', `/api/webhooks/${sub.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(sub.secret);
    await act(incident.id, 'acknowledge');
    const [, second] = await received(r, 2);
    expect(second.body).toMatchObject({ event_action: 'acknowledge', dedup_key: `ioc-incident-${incident.id}` });
    expect(verify(rotated.body.secret, second.headers, second.raw)).toBe(true);
    expect(verify(sub.secret, second.headers, second.raw)).toBe(false);
  });

  it('sends trigger, acknowledge and resolve of an incident in order with one dedup_key, and no other step', async () => {
    // A slow receiver: the later events wait in the outbox behind the first.
    const pd = await receiver(() => ({ status: 200, delayMs: 300 }));
    const am = await receiver(() => ({ status: 200, delayMs: 150 }));
    const pdSub = await subscribe({ name: 'PagerDuty', url: pd.url, format: 'pagerduty' });
    await subscribe({ name: 'Alertmanager', url: am.url, format: 'alertmanager' });
    const teams = (await call<{ id: number }[]>('GET', '/api/teams')).body;

    const incident = await fire(await station());
    await act(incident.id, 'acknowledge');
    await act(incident.id, 'comment', { note: 'Đang theo dõi' });
    await act(incident.id, 'dispatch', { teamId: teams[0].id });
    await act(incident.id, 'resolve', { note: 'Đã đóng cống ngăn mặn' });
    await act(incident.id, 'close');

    const fromPd = await received(pd, 3);
    expect(fromPd.map((r) => r.body.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(new Set(fromPd.map((r) => r.body.dedup_key))).toEqual(new Set([`ioc-incident-${incident.id}`]));
    const fromAm = await received(am, 3);
    const alerts = fromAm.map((r) => (r.body.alerts as { status: string; annotations: Record<string, string>; fingerprint: string }[])[0]);
    expect(alerts.map((a) => [a.status, a.annotations.ioc_event])).toEqual([
      ['firing', 'trigger'],
      ['firing', 'acknowledge'],
      ['resolved', 'resolve'],
    ]);
    expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(1);
    expect(alerts[2].annotations).toMatchObject({ note: 'Đã đóng cống ngăn mặn', state: 'resolved' });

    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect(pd.requests).toHaveLength(3);
    expect(am.requests).toHaveLength(3);
    const entries = await log(pdSub.id);
    expect(entries.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ['resolve', 'delivered', 1],
      ['acknowledge', 'delivered', 1],
      ['trigger', 'delivered', 1],
    ]);
  });

  it('filters by severity, area and event; a disabled subscription gets nothing', async () => {
    const r = await receiver();
    const all = await subscribe({ name: 'Tất cả', url: r.url, format: 'alertmanager' });
    const critical = await subscribe({ name: 'Nghiêm trọng', url: r.url, format: 'alertmanager', severities: ['critical'] });
    const ward = await subscribe({ name: 'Phường 10', url: r.url, format: 'alertmanager', areaIds: [WARD] });
    const fromRules = await subscribe({ name: 'Từ quy tắc', url: r.url, format: 'alertmanager', sources: ['rule'], severities: ['warning'] });
    const citizens = await subscribe({ name: 'Người dân', url: r.url, format: 'alertmanager', sources: ['citizen'] });
    const resolvesOnly = await subscribe({ name: 'Chỉ khi xong', url: r.url, format: 'alertmanager', events: ['resolve'] });
    const disabled = await subscribe({ name: 'Tắt', url: r.url, format: 'alertmanager', enabled: false });

    const farWarning = await fire(await station({ severity: 'warning', place: VAM_LANG }));
    const wardCritical = await fire(await station({ severity: 'critical', place: IN_WARD }));
    // Each change is enqueued for every subscription at once: once one has both, the others have what they will get.
    await eventually(async () => ((await log(all.id)).length === 2 ? true : undefined));
    const incidentsIn = async (id: number) => (await log(id)).map((d) => d.incidentId).sort();
    expect(await incidentsIn(critical.id)).toEqual([wardCritical.id]);
    expect(await incidentsIn(ward.id)).toEqual([wardCritical.id]);
    expect(await incidentsIn(fromRules.id)).toEqual([farWarning.id]);
    expect(await incidentsIn(citizens.id)).toEqual([]);
    expect(await incidentsIn(resolvesOnly.id)).toEqual([]);
    expect(await incidentsIn(disabled.id)).toEqual([]);
  });

  it('retries a failing receiver with back-off until it takes the delivery, and the log shows the attempts', async () => {
    const r = await receiver((n) => (n === 1 ? { status: 503, retryAfterS: 1 } : n <= 3 ? { status: 500 } : { status: 204 }));
    const sub = await subscribe({ name: 'Đang khởi động', url: r.url, format: 'pagerduty' });
    const incident = await fire(await station());

    const waiting = await eventually(async () => (await log(sub.id)).find((d) => d.attempts === 1 && d.lastStatusCode === 503));
    expect(waiting).toMatchObject({ status: 'pending', lastError: 'HTTP 503: not yet', deliveredAt: null, incidentId: incident.id });
    expect(Date.parse(waiting.nextAttemptAt!) - Date.parse(waiting.lastAttemptAt!)).toBeGreaterThanOrEqual(900);

    await received(r, 1);
    expect(r.requests.map((q) => q.status)).toEqual([503, 500, 500, 204]);
    // The second attempt honoured Retry-After.
    expect(r.requests[1].at - r.requests[0].at).toBeGreaterThanOrEqual(900);
    expect(new Set(r.requests.map((q) => q.headers['x-ioc-delivery'])).size).toBe(1);
    expect(new Set(r.requests.map((q) => q.raw)).size).toBe(1);
    const [done] = await log(sub.id, '?status=delivered');
    expect(done).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
  });

  it('gives up on a receiver that refuses connections after WEBHOOK_RETRY_FOR_S, with its last error', async () => {
    const sub = await subscribe({ name: 'Máy chủ đã tắt', url: await refusedUrl(), format: 'alertmanager' });
    const incident = await fire(await station());
    const dead = await eventually(async () => (await log(sub.id, '?status=dead'))[0], 10_000);
    expect(dead).toMatchObject({ incidentId: incident.id, event: 'trigger', lastStatusCode: null, deliveredAt: null, nextAttemptAt: null });
    expect(dead.lastError).toMatch(/ECONNREFUSED/);
    expect(dead.attempts).toBeGreaterThanOrEqual(2);
    expect(Date.parse(dead.lastAttemptAt!) - Date.parse(dead.createdAt)).toBeGreaterThanOrEqual(2900);
    expect(await log(sub.id, '?status=pending')).toEqual([]);
  });

  it('a receiver that never answers holds up only its own subscription, not ingest nor the other receivers', async () => {
    const hanging = await receiver(() => 'hang');
    const fine = await receiver();
    const stuck = await subscribe({ name: 'Không trả lời', url: hanging.url, format: 'pagerduty' });
    await subscribe({ name: 'Bình thường', url: fine.url, format: 'pagerduty' });

    const next = await station();
    const first = await fire(await station());
    await received(fine, 1);
    await eventually(async () => (hanging.requests.length === 1 ? true : undefined));
    // While the first request hangs, another device's reading still opens its incident, and the other receiver hears of it.
    const started = Date.now();
    const second = await fire(next);
    const [, toFine] = await received(fine, 2);
    expect(toFine.body.dedup_key).toBe(`ioc-incident-${second.id}`);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(hanging.requests).toHaveLength(1);
    expect(hanging.requests[0].body.dedup_key).toBe(`ioc-incident-${first.id}`);

    const given = await eventually(async () => {
      const entries = await log(stuck.id);
      return entries.length === 2 && entries.every((d) => d.status === 'dead') ? entries : undefined;
    }, 15_000);
    expect(given.map((d) => d.lastError)).toEqual(['no answer within 3000 ms', 'no answer within 3000 ms']);
  });

  it('two nodes sending one outbox deliver each event once, in order per incident', async () => {
    const r = await receiver((n) => ({ status: n % 4 === 0 ? 503 : 200, delayMs: 50 }));
    const other = await startTestServer(RETRY_ENV, { database });
    try {
      await subscribe({ name: 'Hai máy chủ', url: r.url, format: 'pagerduty' });
      const devices = [await station(), await station(), await station()];
      await Promise.all(devices.map((d) => d.reading(5.2)));
      const incidents = await eventually(async () => {
        const found = (await Promise.all(devices.map((d) => incidentsOf(server, operator, d.id)))).flat();
        return found.length === devices.length ? found : undefined;
      });
      for (const action of ['acknowledge', 'resolve'] as const) {
        await Promise.all(incidents.map((i) => act(i.id, action, { note: 'Đã xử lý' })));
      }

      const taken = await received(r, 3 * incidents.length);
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      expect(r.accepted()).toHaveLength(3 * incidents.length);
      expect(new Set(taken.map((q) => q.headers['x-ioc-delivery'])).size).toBe(taken.length);
      for (const incident of incidents) {
        const events = taken.filter((q) => q.body.dedup_key === `ioc-incident-${incident.id}`).map((q) => q.body.event_action);
        expect([incident.id, events]).toEqual([incident.id, ['trigger', 'acknowledge', 'resolve']]);
      }
    } finally {
      await other.close();
    }
  });

  it('refuses bad subscriptions with 400 naming the field, other roles with 403, unknown ids with 404; changes are audited', async () => {
    const r = await receiver();
    const valid: CreateWebhookInput = { name: 'Kiểm tra', url: r.url, format: 'alertmanager' };
    const cases: [string, unknown, string][] = [
      ['a URL that is not http(s)', { ...valid, url: 'ftp://example.vn/hook' }, 'url'],
      ['no URL', { name: 'x', format: 'pagerduty' }, 'url'],
      ['an unknown format', { ...valid, format: 'slack' }, 'format'],
      ['a routing key without PagerDuty', { ...valid, routingKey: 'R0UT1NG' }, 'routingKey'],
      ['an unknown area', { ...valid, areaIds: ['phuong-khong-co'] }, 'areaIds'],
      ['an unknown severity', { ...valid, severities: ['minor'] }, 'severities'],
      ['no events', { ...valid, events: [] }, 'events'],
      ['an event twice', { ...valid, events: ['trigger', 'trigger'] }, 'events'],
      ['an unknown field', { ...valid, secret: 'mine' }, 'secret'],
    ];
    for (const [what, body, field] of cases) {
      const res = await call<ApiErrorBody>('POST', '/api/webhooks', body);
      expect([what, res.status]).toEqual([what, 400]);
      expect(res.body.message).toContain(field);
    }
    expect((await call<WebhookDto[]>('GET', '/api/webhooks')).body).toEqual([]);

    const sub = await subscribe({ ...valid, format: 'pagerduty', routingKey: 'R0UT1NG' });
    const patched = await call<WebhookDto>('PATCH', `/api/webhooks/${sub.id}`, { name: 'Kiểm tra 2', severities: ['critical'], enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Kiểm tra 2', severities: ['critical'], enabled: false, routingKey: 'R0UT1NG', updatedBy: 'admin' });
    expect((await call<ApiErrorBody>('PATCH', `/api/webhooks/${sub.id}`, { format: 'alertmanager' })).body.message).toContain('routingKey');
    expect((await call<ApiErrorBody>('PATCH', `/api/webhooks/${sub.id}`, {})).status).toBe(400);
    expect((await call<ApiErrorBody>('GET', `/api/webhooks/${sub.id}/deliveries?status=lost`)).status).toBe(400);
    for (const id of ['abc', '0', '99999999999999999999']) {
      const res = await call<ApiErrorBody>('GET', `/api/webhooks/${id}`);
      expect([id, res.status, res.body.message]).toEqual([id, 400, 'id: must be a positive whole number']);
    }

    for (const role of ['supervisor', 'operator', 'viewer'] as const) {
      const token = (await server.session(role)).accessToken;
      expect((await call('GET', '/api/webhooks', undefined, token)).status).toBe(403);
      expect((await call('POST', '/api/webhooks', valid, token)).status).toBe(403);
      expect((await call('GET', `/api/webhooks/${sub.id}/deliveries`, undefined, token)).status).toBe(403);
    }
    for (const [method, path] of [
      ['GET', '/api/webhooks/999999'],
      ['PATCH', '/api/webhooks/999999'],
      ['DELETE', '/api/webhooks/999999'],
      ['POST', '/api/webhooks/999999/rotate-secret'],
      ['GET', '/api/webhooks/999999/deliveries'],
    ]) {
      const res = await call<ApiErrorBody>(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
      expect([method, path, res.status, res.body.message]).toEqual([method, path, 404, 'webhook subscription 999999 does not exist']);
    }

    expect((await call('DELETE', `/api/webhooks/${sub.id}`)).status).toBe(204);
    expect((await call('GET', `/api/webhooks/${sub.id}`)).status).toBe(404);
    const audit = (await call<AuditEntryDto[]>('GET', '/api/audit?targetType=webhooks')).body;
    const actions = audit.filter((a) => a.targetId === String(sub.id) || a.status === 201).map((a) => [a.action, a.status]);
    expect(actions).toEqual(expect.arrayContaining([
      ['POST /api/webhooks', 201],
      ['PATCH /api/webhooks/:id', 200],
      ['DELETE /api/webhooks/:id', 204],
    ]));
    expect(audit.find((a) => a.action === 'POST /api/webhooks' && a.status === 201)?.details).toMatchObject({ name: 'Kiểm tra', format: 'pagerduty' });
  });
});

describe('webhooks across a restart', () => {
  const env = { WEBHOOK_RETRY_FOR_S: '60', WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_RETRY_MAX_MS: '500' };

  it('a delivery still being retried when the server stops arrives once, in order, from the next server', async () => {
    const database = await createScratchDatabase();
    let accepting = false;
    const r = await Receiver.start(() => ({ status: accepting ? 200 : 500 }));
    let first: TestServer | null = null;
    let second: TestServer | null = null;
    let s: Station | null = null;
    try {
      first = await startTestServer(env, { database });
      const admin = (await first.session('admin')).accessToken;
      const operator = (await first.session('operator')).accessToken;
      const sub = (await api<WebhookWithSecretDto>(first.baseUrl, 'POST', '/api/webhooks', { name: 'Sau khởi động lại', url: r.url, format: 'pagerduty' }, admin)).body;
      s = await Station.provision(first, admin, 'wh-restart-1');
      await createRule(first, admin, onStations('Độ mặn khởi động lại', [s], [above(4)]));
      await s.reading(5.2);
      const server = first;
      const incident = await eventually(async () => (await incidentsOf(server, operator, 'wh-restart-1'))[0]);
      expect((await api(first.baseUrl, 'POST', `/api/incidents/${incident.id}/acknowledge`, {}, operator)).status).toBe(200);

      // The trigger has failed at least twice; the acknowledgement waits behind it.
      const entries = async (on: TestServer, token: string) =>
        (await api<WebhookDeliveryPageDto>(on.baseUrl, 'GET', `/api/webhooks/${sub.id}/deliveries`, undefined, token)).body.items;
      const before = await eventually(async () => {
        const items = await entries(server, admin);
        return items.length === 2 && items[1].attempts >= 2 ? items : undefined;
      });
      expect(before.map((d) => [d.event, d.status])).toEqual([
        ['acknowledge', 'pending'],
        ['trigger', 'pending'],
      ]);
      expect(before[0].attempts).toBe(0);

      // Closed by the device first: a connection the server cuts would end in an unhandled client error.
      await s.close();
      await first.close();
      first = null;
      accepting = true;
      const refusedBefore = r.requests.length;
      expect(r.accepted()).toEqual([]);

      second = await startTestServer(env, { database });
      const next = second;
      const admin2 = (await next.session('admin')).accessToken;
      const after = await eventually(async () => {
        const items = await entries(next, admin2);
        return items.every((d) => d.status === 'delivered') ? items : undefined;
      });
      expect(after.map((d) => d.event)).toEqual(['acknowledge', 'trigger']);
      expect(after[1].attempts).toBeGreaterThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      const taken = r.accepted();
      expect(taken.map((q) => q.body.event_action)).toEqual(['trigger', 'acknowledge']);
      expect(taken.map((q) => q.headers['x-ioc-delivery'])).toEqual([String(after[1].id), String(after[0].id)]);
      expect(r.requests.length).toBe(refusedBefore + 2);
    } finally {
      await s?.close();
      await first?.close();
      await second?.close();
      await r.close();
      await database.drop();
    }
  });
});
