import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ApiErrorBody,
  AuditEntryDto,
  CreateIncident,
  CreateNotificationRouteInput,
  DeadlinePolicyDto,
  EmailDeliveryDto,
  EmailDeliveryPageDto,
  IncidentDetailDto,
  ManagedUserDto,
  NotificationRouteDto,
  TeamDto,
} from '@ioc/contracts';
import { createScratchDatabase, startTestServer, type TestServer } from '../support/test-server';
import { api, eventually } from '../support/clients';
import { IN_MY_THO, IN_WARD, MY_THO_TEAM, QUIET_MS, Station, VAM_LANG, WARD, above, createRule, incidentsOf, onStations } from '../support/alerting';
import { SmtpSink, type ReceivedMail, type SmtpAnswer } from '../support/smtp-sink';

jest.setTimeout(60_000);

const FROM = 'IOC Tiền Giang <ioc@tiengiang.gov.vn>';
/** Short retries, so that giving up and coming back fit in a test. */
const EMAIL_ENV = {
  SMTP_FROM: FROM,
  SMTP_TIMEOUT_MS: '1000',
  EMAIL_RETRY_FOR_S: '3',
  EMAIL_RETRY_BASE_MS: '100',
  EMAIL_RETRY_MAX_MS: '400',
  CONSOLE_URL: 'https://ioc.tiengiang.test',
  INCIDENT_DEADLINE_SWEEP_MS: '100',
};
const PASSWORD = 'mat-khau-thu-nghiem-2026';
const dmyHm = /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/;

/** dd/MM/yyyy HH:mm in Asia/Ho_Chi_Minh (UTC+7 all year), computed apart from the server's formatter. */
const vietnamTime = (iso: string) => {
  const d = new Date(Date.parse(iso) + 7 * 3_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
};

describe('email: who is told of what, over a real SMTP server', () => {
  let server: TestServer;
  let sink: SmtpSink;
  /** What the sink answers next, in order; then it takes every message. */
  const plan: SmtpAnswer[] = [];
  let admin: string;
  let supervisor: string;
  let operator: string;
  let myTho: TeamDto;
  let goCong: TeamDto;
  let routes: number[] = [];
  const stations: Station[] = [];

  const call = <T>(method: string, path: string, body?: unknown, token = admin) => api<T>(server.baseUrl, method, path, body, token);
  const route = async (body: CreateNotificationRouteInput): Promise<NotificationRouteDto> => {
    const res = await call<NotificationRouteDto>('POST', '/api/notification-routes', body, supervisor);
    if (res.status !== 201) throw new Error(`route not created: ${res.status} ${JSON.stringify(res.body)}`);
    routes.push(res.body.id);
    return res.body;
  };
  const open = async (body: Partial<CreateIncident> & { title: string }): Promise<IncidentDetailDto> => {
    const res = await call<IncidentDetailDto>('POST', '/api/incidents', { category: 'flooding', location: IN_MY_THO, ...body }, operator);
    if (res.status !== 201) throw new Error(`incident not opened: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const act = async (id: number, action: string, body: unknown = {}) => {
    const res = await call<ApiErrorBody>('POST', `/api/incidents/${id}/${action}`, body, operator);
    if (res.status !== 200) throw new Error(`${action} of incident ${id}: ${res.status} ${res.body.message}`);
  };
  const log = async (query: string) => {
    const res = await call<EmailDeliveryPageDto>('GET', `/api/notification-routes/deliveries?${query}`, undefined, supervisor);
    if (res.status !== 200) throw new Error(`log: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.items;
  };
  /** The log once none of that incident's emails waits any more. */
  const settled = (incidentId: number, timeoutMs = 10_000) =>
    eventually(async () => {
      const items = await log(`incidentId=${incidentId}`);
      return items.length > 0 && items.every((d) => d.status !== 'pending') ? items : undefined;
    }, timeoutMs);
  const mailsAbout = (incidentId: number): ReceivedMail[] => sink.messages.filter((m) => m.headers['x-ioc-incident'] === String(incidentId));
  const recipients = (items: EmailDeliveryDto[]) => items.map((d) => d.to).sort();

  beforeAll(async () => {
    sink = await SmtpSink.start(() => plan.shift() ?? 'accept');
    server = await startTestServer({ ...EMAIL_ENV, SMTP_URL: sink.url });
    admin = (await server.session('admin')).accessToken;
    supervisor = (await server.session('supervisor')).accessToken;
    operator = (await server.session('operator')).accessToken;
    const teams = (await call<TeamDto[]>('GET', '/api/teams')).body;
    myTho = teams.find((t) => t.name === MY_THO_TEAM)!;
    goCong = (await call<TeamDto>('POST', '/api/teams', { name: 'Tổ xử lý hiện trường Gò Công' })).body;

    const users = (await call<ManagedUserDto[]>('GET', '/api/users')).body;
    for (const [username, email] of [
      ['admin', 'admin@ioc.test'],
      ['truongca', 'truongca@ioc.test'],
      ['canbotruc', 'canbotruc@ioc.test'],
      ['hientruong', 'hientruong@ioc.test'],
    ]) {
      const id = users.find((u) => u.username === username)!.id;
      expect((await call('PATCH', `/api/users/${id}`, { email })).status).toBe(200);
    }
    const more = [
      { username: 'photruongca', displayName: 'Phó trưởng ca', role: 'supervisor', email: 'photruongca@ioc.test' },
      { username: 'khongthu', displayName: 'Trưởng ca không có thư', role: 'supervisor' },
      { username: 'nghiviec', displayName: 'Trưởng ca đã nghỉ', role: 'supervisor', email: 'nghiviec@ioc.test' },
      { username: 'hientruong2', displayName: 'Tổ Mỹ Tho 2', role: 'field', teamId: myTho.id, email: 'hientruong2@ioc.test' },
      { username: 'gocong', displayName: 'Tổ Gò Công', role: 'field', teamId: goCong.id, email: 'gocong@ioc.test' },
    ];
    for (const user of more) {
      const created = await call<ManagedUserDto>('POST', '/api/users', { ...user, password: PASSWORD });
      expect(created.status).toBe(201);
      if (user.username === 'nghiviec') expect((await call('PATCH', `/api/users/${created.body.id}`, { disabled: true })).status).toBe(200);
    }
  });

  afterEach(async () => {
    for (const id of routes) await call('DELETE', `/api/notification-routes/${id}`, undefined, supervisor);
    routes = [];
    plan.length = 0;
  });

  afterAll(async () => {
    await Promise.all(stations.map((s) => s.close()));
    await server?.close();
    await sink?.close();
  });

  it('keeps an address per user, which administrators set and see', async () => {
    const created = await call<ManagedUserDto>('POST', '/api/users', {
      username: 'thuky',
      displayName: 'Thư ký',
      role: 'viewer',
      password: PASSWORD,
      email: '  thuky@ioc.test ',
    });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe('thuky@ioc.test');
    const cleared = await call<ManagedUserDto>('PATCH', `/api/users/${created.body.id}`, { email: null });
    expect(cleared.body.email).toBeNull();
    const listed = (await call<ManagedUserDto[]>('GET', '/api/users')).body;
    expect(listed.find((u) => u.username === 'truongca')?.email).toBe('truongca@ioc.test');
    for (const body of [{ email: 'khong-phai-thu' }, { email: 'a@b@c' }, { email: 42 }]) {
      const refused = await call<ApiErrorBody>('PATCH', `/api/users/${created.body.id}`, body);
      expect([refused.status, refused.body.message]).toEqual([400, expect.stringContaining('email')]);
    }
    expect((await call('GET', '/api/users', undefined, supervisor)).status).toBe(403);
  });

  it('emails the supervisors in Vietnamese when a rule opens a critical incident, as their route says', async () => {
    const r = await route({ name: 'Trưởng ca: sự cố nghiêm trọng', steps: ['opened', 'reopened'], severities: ['critical'], roles: ['supervisor'] });
    const station = await Station.provision(server, admin, 'em-sal-01', { place: IN_WARD });
    stations.push(station);
    await createRule(server, admin, onStations('Độ mặn vượt ngưỡng', [station], [above(4)], { severity: 'critical' }));
    await station.reading(5.25);
    const incident = await eventually(async () => (await incidentsOf(server, operator, station.id))[0]);

    const items = await settled(incident.id);
    // Not the disabled supervisor, nor the one without an address, nor anybody of another role.
    expect(recipients(items)).toEqual(['photruongca@ioc.test', 'truongca@ioc.test']);
    expect(items.every((d) => d.status === 'delivered' && d.attempts === 1 && d.lastStatusCode === 250)).toBe(true);
    expect(items[0]).toMatchObject({ incidentId: incident.id, step: 'opened', routeIds: [r.id], rules: [], lastError: null });

    const [mail] = mailsAbout(incident.id).filter((m) => m.to.includes('truongca@ioc.test'));
    expect(mail.subject).toBe(`[IOC] Nghiêm trọng · Sự cố mới: ${incident.title}`);
    expect(mail.headers.from).toBe(FROM);
    expect(mail.text).toContain('Mức độ: Nghiêm trọng');
    expect(mail.text).toContain('Giá trị đo: 5,25');
    expect(mail.text).toContain('Thiết bị: em-sal-01');
    expect(mail.text).toMatch(/Khu vực: .*Phường 10/);
    expect(mail.text).toContain(`Thời hạn tiếp nhận: ${vietnamTime(incident.acknowledgeDueAt!)}`);
    expect(mail.text).toContain(`Xem trên hệ thống: https://ioc.tiengiang.test/?incident=${incident.id}`);
    expect(mail.html).toContain('Sự cố mới');
    expect(mailsAbout(incident.id)).toHaveLength(2);
  });

  it('emails what an operator opened by hand, never with the reporter\'s phone number', async () => {
    await route({ name: 'Trưởng ca', steps: ['opened'], severities: ['critical'], roles: ['supervisor'] });
    const incident = await open({
      title: 'Ngập sâu đường Ấp Bắc',
      severity: 'critical',
      description: 'Người dân gọi: nước ngập 40 cm trước chợ',
      reporterPhone: '0912 345 678',
    });
    await settled(incident.id);
    const mails = mailsAbout(incident.id);
    expect(mails.flatMap((m) => m.to).sort()).toEqual(['photruongca@ioc.test', 'truongca@ioc.test']);
    const [mail] = mails;
    expect(mail.subject).toBe('[IOC] Nghiêm trọng · Sự cố mới: Ngập sâu đường Ấp Bắc');
    expect(mail.text).toContain('Nguồn: Cán bộ trực ghi nhận');
    expect(mail.text).toContain('Loại: Ngập úng');
    expect(mail.text).toContain('Mô tả: Người dân gọi: nước ngập 40 cm trước chợ');
    expect(mail.text).toContain('Người thực hiện: canbotruc');
    expect(mail.text.split('\r\n').find((l) => l.startsWith('Thời hạn xử lý: '))?.slice(16)).toMatch(dmyHm);
    for (const part of [mail.raw, mail.text, mail.html]) expect(part.replace(/\s/g, '')).not.toContain('0912345678');
  });

  it('emails the field users of the team an incident is dispatched to, and nobody else', async () => {
    const incident = await open({ title: 'Cây đổ chắn đường Hùng Vương', category: 'fallen_tree' });
    expect(await log(`incidentId=${incident.id}`)).toEqual([]);
    await act(incident.id, 'acknowledge');
    await act(incident.id, 'dispatch', { teamId: myTho.id, note: 'Mang cưa máy' });
    const items = await settled(incident.id);
    expect(recipients(items)).toEqual(['hientruong2@ioc.test', 'hientruong@ioc.test']);
    expect(items.map((d) => [d.step, d.rules, d.routeIds])).toEqual([
      ['dispatched', ['dispatched_team'], []],
      ['dispatched', ['dispatched_team'], []],
    ]);
    const [mail] = mailsAbout(incident.id);
    expect(mail.subject).toBe('[IOC] Cảnh báo · Giao xử lý: Cây đổ chắn đường Hùng Vương');
    expect(mail.text).toContain(`Giao cho: ${MY_THO_TEAM}`);
    expect(mail.text).toContain('Ghi chú: Mang cưa máy');

    // Sent on to Gò Công: its team is told, Mỹ Tho's is not told again.
    await act(incident.id, 'dispatch', { teamId: goCong.id });
    const again = await settled(incident.id);
    expect(recipients(again.filter((d) => d.id > items[0].id))).toEqual(['gocong@ioc.test']);
  });

  it('emails the users of the roles an escalation names, without a route', async () => {
    const before = (await call<DeadlinePolicyDto[]>('GET', '/api/deadline-policies', undefined, supervisor)).body.find((p) => p.severity === 'warning')!;
    const fast = { acknowledgeS: 1, resolveS: null, escalation: [{ afterS: 0, notifyRoles: ['supervisor'] }] };
    expect((await call('PUT', '/api/deadline-policies/warning', fast, supervisor)).status).toBe(200);
    try {
      const incident = await open({ title: 'Đèn chiếu sáng hỏng đoạn Ấp Bắc', category: 'broken_street_light' });
      const items = await eventually(async () => {
        const all = await log(`incidentId=${incident.id}`);
        return all.length === 2 && all.every((d) => d.status === 'delivered') ? all : undefined;
      });
      expect(recipients(items)).toEqual(['photruongca@ioc.test', 'truongca@ioc.test']);
      expect(items.every((d) => d.step === 'escalated' && d.rules.join() === 'escalation')).toBe(true);
      const [mail] = mailsAbout(incident.id);
      expect(mail.subject).toBe('[IOC] Cảnh báo · Đã chuyển cấp: Đèn chiếu sáng hỏng đoạn Ấp Bắc');
      expect(mail.text).toContain('Cấp chuyển: 1');
      expect(mail.text).toContain('Thông báo: Trưởng ca');
    } finally {
      const { acknowledgeS, resolveS, escalation } = before;
      await call('PUT', '/api/deadline-policies/warning', { acknowledgeS, resolveS, escalation }, supervisor);
    }
  });

  it('emails an address once however many routes choose it, and filters by severity, area, source and category', async () => {
    const all = await route({ name: 'Quản trị: mọi sự cố mới', steps: ['opened'], roles: ['admin'] });
    const critical = await route({ name: 'Nghiêm trọng', steps: ['opened'], severities: ['critical'], roles: ['admin'] });
    const ward = await route({ name: 'Phường 10', steps: ['opened'], areaIds: [WARD], roles: ['admin'] });
    const citizens = await route({ name: 'Phản ánh', steps: ['opened'], sources: ['citizen'], roles: ['admin'] });
    const trees = await route({ name: 'Cây đổ', steps: ['opened'], categories: ['fallen_tree'], roles: ['admin'] });
    const flooding = await route({ name: 'Ngập', steps: ['opened'], categories: ['flooding'], sources: ['manual'], roles: ['admin'] });
    const resolvedOnly = await route({ name: 'Khi xong', steps: ['resolved'], roles: ['admin'] });
    await route({ name: 'Tắt', steps: ['opened'], roles: ['operator'], enabled: false });

    const inWard = await open({ title: 'Ngập trong phường 10', location: IN_WARD });
    const far = await open({ title: 'Cây đổ ở Vàm Láng', category: 'fallen_tree', location: VAM_LANG });
    // Written with the change: the log already says who is emailed.
    const [toWard] = await log(`incidentId=${inWard.id}`);
    const [toFar] = await log(`incidentId=${far.id}`);
    expect(toWard).toMatchObject({ to: 'admin@ioc.test', routeIds: [all.id, ward.id, flooding.id] });
    expect(toFar).toMatchObject({ to: 'admin@ioc.test', routeIds: [all.id, trees.id] });
    expect((await log(`incidentId=${inWard.id}`)).length + (await log(`incidentId=${far.id}`)).length).toBe(2);
    for (const unused of [critical, citizens, resolvedOnly]) expect(await log(`routeId=${unused.id}`)).toEqual([]);
    expect((await log(`routeId=${ward.id}`)).map((d) => d.incidentId)).toEqual([inWard.id]);
    await settled(inWard.id);
    await settled(far.id);
    expect(mailsAbout(inWard.id)).toHaveLength(1);

    // The operator acknowledging is told nothing, however the route reads.
    await route({ name: 'Cán bộ trực: tiếp nhận', steps: ['acknowledged'], roles: ['operator', 'admin'] });
    await act(far.id, 'acknowledge');
    expect(recipients((await log(`incidentId=${far.id}`)).filter((d) => d.step === 'acknowledged'))).toEqual(['admin@ioc.test']);
    await settled(far.id);
  });

  it('tries a refusing SMTP server again with back-off until it takes the email, and the log shows the attempts', async () => {
    await route({ name: 'Quản trị', steps: ['opened'], roles: ['admin'] });
    plan.push({ code: 451, message: 'Hộp thư tạm thời bận' }, { code: 421, message: 'Đang bảo trì' });
    const incident = await open({ title: 'Ùn tắc cầu Rạch Miễu', category: 'other' });
    const refused = await eventually(async () => (await log(`incidentId=${incident.id}`)).find((d) => d.status === 'pending' && d.lastStatusCode === 451));
    expect(refused.lastError).toContain('451 Hộp thư tạm thời bận');
    expect(refused.nextAttemptAt).not.toBeNull();
    const [done] = await settled(incident.id);
    expect(done).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 250, lastError: null });
    expect(mailsAbout(incident.id)).toHaveLength(1);
    const delivered = await log('status=delivered&limit=500');
    expect(delivered.map((d) => d.id)).toContain(done.id);
    expect((await log('status=dead')).map((d) => d.id)).not.toContain(done.id);
  });

  it('gives an email up as dead with the last error once the SMTP server stays down past the retry window, and never holds up the incident', async () => {
    await route({ name: 'Quản trị', steps: ['opened'], roles: ['admin'] });
    await sink.close();
    try {
      const started = Date.now();
      const incident = await open({ title: 'Ngập đường 30/4', severity: 'critical' });
      expect(Date.now() - started).toBeLessThan(1000);
      const [dead] = await settled(incident.id, 15_000);
      expect(dead).toMatchObject({ status: 'dead', lastStatusCode: null, nextAttemptAt: null, deliveredAt: null });
      expect(dead.attempts).toBeGreaterThanOrEqual(2);
      expect(dead.lastError).toMatch(/ECONNECTION|ECONNREFUSED/);
      expect(Date.parse(dead.lastAttemptAt!) - Date.parse(dead.createdAt)).toBeGreaterThanOrEqual(2900);
      expect((await log('status=dead')).map((d) => d.id)).toContain(dead.id);
    } finally {
      await sink.restart();
    }
  });

  it('lets a hanging SMTP server hold up one email only: the others and the webhooks go', async () => {
    const hooks: unknown[] = [];
    const receiver: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hooks.push(req.headers['x-ioc-event']);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const webhook = (await call<{ id: number }>('POST', '/api/webhooks', { name: 'PagerDuty', url, format: 'pagerduty' })).body;
    try {
      await route({ name: 'Trưởng ca', steps: ['opened'], roles: ['supervisor'] });
      plan.push('hang');
      const incident = await open({ title: 'Cháy khói bãi rác', category: 'illegal_dumping' });
      // One of the two supervisors' emails hangs; the other arrives, and so does the webhook.
      await eventually(async () => (mailsAbout(incident.id).length === 1 && hooks.length === 1 ? true : undefined), 1500);
      const items = await settled(incident.id);
      expect(items.every((d) => d.status === 'delivered')).toBe(true);
      expect(items.map((d) => d.attempts).sort()).toEqual([1, 2]);
      expect(items.find((d) => d.attempts === 2)).toMatchObject({ lastStatusCode: 250 });
      expect(recipients(items)).toEqual(['photruongca@ioc.test', 'truongca@ioc.test']);
    } finally {
      await call('DELETE', `/api/webhooks/${webhook.id}`);
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('lets supervisors and admins manage routes, audited, and refuses bad ones with 400 naming the field', async () => {
    const good: CreateNotificationRouteInput = { name: 'Tổ Gò Công: sự cố được xử lý', steps: ['resolved'], teamIds: [goCong.id] };
    const created = await route(good);
    expect(created).toMatchObject({ ...good, severities: [], areaIds: [], sources: [], categories: [], roles: [], enabled: true, createdBy: 'truongca' });
    const patched = await call<NotificationRouteDto>('PATCH', `/api/notification-routes/${created.id}`, { severities: ['critical'], enabled: false });
    expect(patched.body).toMatchObject({ severities: ['critical'], enabled: false, teamIds: [goCong.id], updatedBy: 'admin' });
    expect((await call<NotificationRouteDto[]>('GET', '/api/notification-routes', undefined, supervisor)).body.map((r) => r.id)).toContain(created.id);
    expect((await call<NotificationRouteDto>('GET', `/api/notification-routes/${created.id}`, undefined, supervisor)).body.name).toBe(good.name);

    const audit = (await call<AuditEntryDto[]>('GET', '/api/audit?targetType=notification-routes')).body;
    expect(audit.map((a) => [a.action, a.status])).toEqual(
      expect.arrayContaining([
        ['POST /api/notification-routes', 201],
        ['PATCH /api/notification-routes/:id', 200],
      ]),
    );

    const bad: [unknown, string][] = [
      [{ ...good, steps: [] }, 'steps: name at least one of opened'],
      [{ ...good, steps: ['opened', 'opened'] }, 'steps: each value once'],
      [{ ...good, steps: ['photo_added'] }, 'steps.0'],
      [{ name: 'Thiếu', teamIds: [goCong.id] }, 'steps'],
      [{ ...good, teamIds: [] }, 'roles: name at least one role or team to tell'],
      [{ ...good, roles: ['mayor'] }, 'roles.0'],
      [{ ...good, severities: ['urgent'] }, 'severities.0'],
      [{ ...good, categories: ['noise'] }, 'categories.0'],
      [{ ...good, sources: ['sensor'] }, 'sources.0'],
      [{ ...good, areaIds: ['hanoi'] }, 'areaIds: there is no area hanoi'],
      [{ ...good, teamIds: [goCong.id, 999_999] }, 'teamIds: there is no team 999999'],
      [{ ...good, teamIds: [1.5] }, 'teamIds.0'],
      [{ ...good, name: '  ' }, 'name: must not be empty'],
      [{ ...good, recipients: ['a@b.vn'] }, 'recipients'],
    ];
    for (const [body, message] of bad) {
      const answer = await call<ApiErrorBody>('POST', '/api/notification-routes', body, supervisor);
      expect([answer.status, answer.body.message]).toEqual([400, expect.stringContaining(message)]);
    }
    const nobody = await call<ApiErrorBody>('PATCH', `/api/notification-routes/${created.id}`, { teamIds: [] }, supervisor);
    expect([nobody.status, nobody.body.message]).toEqual([400, 'roles: name at least one role or team to tell']);
    expect((await call<ApiErrorBody>('PATCH', `/api/notification-routes/${created.id}`, {}, supervisor)).status).toBe(400);
    expect((await call<ApiErrorBody>('GET', '/api/notification-routes/abc', undefined, supervisor)).status).toBe(400);
    expect((await call<ApiErrorBody>('GET', '/api/notification-routes/deliveries?status=lost', undefined, supervisor)).status).toBe(400);
    expect((await call<ApiErrorBody>('GET', '/api/notification-routes/999999', undefined, supervisor)).body.message).toBe(
      'notification route 999999 does not exist',
    );
    for (const token of [operator, (await server.session('field')).accessToken, (await server.session('viewer')).accessToken]) {
      expect((await call('GET', '/api/notification-routes', undefined, token)).status).toBe(403);
      expect((await call('POST', '/api/notification-routes', good, token)).status).toBe(403);
      expect((await call('GET', '/api/notification-routes/deliveries', undefined, token)).status).toBe(403);
    }
    expect((await call('DELETE', `/api/notification-routes/${created.id}`, undefined, supervisor)).status).toBe(204);
    expect((await call('DELETE', `/api/notification-routes/${created.id}`, undefined, supervisor)).status).toBe(404);
    routes = routes.filter((id) => id !== created.id);
  });
});

describe('email across a restart, and without SMTP', () => {
  it('an email still being retried when the server stops is delivered once by the next server', async () => {
    const database = await createScratchDatabase();
    const sink = await SmtpSink.start();
    await sink.close();
    const env = { ...EMAIL_ENV, SMTP_URL: sink.url, EMAIL_RETRY_FOR_S: '60', EMAIL_RETRY_BASE_MS: '200', EMAIL_RETRY_MAX_MS: '500' };
    let first: TestServer | null = null;
    let second: TestServer | null = null;
    try {
      first = await startTestServer(env, { database });
      const on = first;
      const admin = (await on.session('admin')).accessToken;
      const users = (await api<ManagedUserDto[]>(on.baseUrl, 'GET', '/api/users', undefined, admin)).body;
      await api(on.baseUrl, 'PATCH', `/api/users/${users.find((u) => u.username === 'truongca')!.id}`, { email: 'truongca@ioc.test' }, admin);
      expect((await api(on.baseUrl, 'POST', '/api/notification-routes', { name: 'Trưởng ca', steps: ['opened'], roles: ['supervisor'] }, admin)).status).toBe(201);
      const opened = await api<IncidentDetailDto>(
        on.baseUrl,
        'POST',
        '/api/incidents',
        { title: 'Ngập cầu Quay', category: 'flooding', location: IN_MY_THO },
        (await on.session('operator')).accessToken,
      );
      const entries = async (server: TestServer, token: string) =>
        (await api<EmailDeliveryPageDto>(server.baseUrl, 'GET', `/api/notification-routes/deliveries?incidentId=${opened.body.id}`, undefined, token)).body.items;
      await eventually(async () => ((await entries(on, admin))[0]?.attempts >= 2 ? true : undefined));
      await first.close();
      first = null;

      await sink.restart();
      second = await startTestServer(env, { database });
      const next = second;
      const admin2 = (await next.session('admin')).accessToken;
      const [done] = await eventually(async () => {
        const items = await entries(next, admin2);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      expect(done.attempts).toBeGreaterThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      expect(sink.to('truongca@ioc.test')).toHaveLength(1);
    } finally {
      await first?.close();
      await second?.close();
      await sink.close();
      await database.drop();
    }
  });

  it('writes no email without SMTP_URL, while routes can still be kept', async () => {
    const server = await startTestServer({});
    try {
      const admin = (await server.session('admin')).accessToken;
      const users = (await api<ManagedUserDto[]>(server.baseUrl, 'GET', '/api/users', undefined, admin)).body;
      await api(server.baseUrl, 'PATCH', `/api/users/${users.find((u) => u.username === 'truongca')!.id}`, { email: 'truongca@ioc.test' }, admin);
      expect((await api(server.baseUrl, 'POST', '/api/notification-routes', { name: 'Trưởng ca', steps: ['opened'], roles: ['supervisor'] }, admin)).status).toBe(201);
      const opened = await api<IncidentDetailDto>(
        server.baseUrl,
        'POST',
        '/api/incidents',
        { title: 'Ngập cầu Quay', category: 'flooding', location: IN_MY_THO },
        (await server.session('operator')).accessToken,
      );
      expect(opened.status).toBe(201);
      const log = await api<EmailDeliveryPageDto>(server.baseUrl, 'GET', '/api/notification-routes/deliveries', undefined, admin);
      expect(log.body.items).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
