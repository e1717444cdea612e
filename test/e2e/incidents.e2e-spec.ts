import type { MqttClient } from 'mqtt';
import {
  INCIDENT_ACTION_ROLES,
  INCIDENT_ACTIONS,
  ROLES,
  topics,
  type ApiErrorBody,
  type AuditEntryDto,
  type DeadlinePolicyDto,
  type IncidentAction,
  type IncidentDetailDto,
  type IncidentDto,
  type IncidentEventDto,
  type IncidentPageDto,
  type Role,
  type SessionDto,
  type TeamDto,
  type UserDto,
} from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, eventually, nextEvent, provisionDevice, type ConsoleSocket } from '../support/clients';
import { IN_MY_THO, MY_THO_TEAM, SALINITY_RULE } from '../support/alerting';

jest.setTimeout(60_000);

const BODIES: Record<IncidentAction, (teamId: number) => unknown> = {
  acknowledge: () => ({}),
  dispatch: (teamId) => ({ teamId }),
  resolve: () => ({ note: 'Đã xả nước ngọt, độ mặn giảm' }),
  close: () => ({}),
  comment: () => ({ note: 'Đang theo dõi' }),
  reject: () => ({ reason: 'Không thuộc phạm vi xử lý' }),
  merge: () => ({ incidentId: 1 }),
};

type Seen = { event: string; id: number; step?: string };

/** Records the incident events a socket is sent. */
function record(socket: ConsoleSocket): Seen[] {
  const seen: Seen[] = [];
  const on = (event: 'incident:opened' | 'incident:updated') => (e: IncidentEventDto) => seen.push({ event, id: e.incident.id, step: e.entry.step });
  socket.on('incident:opened', on('incident:opened'));
  socket.on('incident:updated', on('incident:updated'));
  socket.on('incident:withdrawn', ({ id }) => seen.push({ event: 'incident:withdrawn', id }));
  return seen;
}

/** A salinity station on the server, connected over MQTT, that can push the rule over its threshold. */
class Station {
  private constructor(
    readonly id: string,
    private readonly client: MqttClient,
  ) {}

  static async create(server: TestServer, admin: string, id: string): Promise<Station> {
    return new Station(id, await provisionDevice(server, admin, { id, kind: 'salinity', name: `Trạm đo mặn ${id}`, ...IN_MY_THO }));
  }

  async publish(salinity: number): Promise<void> {
    await this.client.publishAsync(topics.telemetry(this.id), JSON.stringify({ ts: Date.now(), metrics: { salinity } }), { qos: 1 });
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

describe('incidents, from a device crossing a threshold to a field team and back', () => {
  let server: TestServer;
  const tokens = {} as Record<Role, string>;
  let otherField: string;
  let myThoTeam: TeamDto;
  let otherTeam: TeamDto;
  let operations: ConsoleSocket;
  let fieldSocket: ConsoleSocket;
  let otherFieldSocket: ConsoleSocket;
  let viewerSocket: ConsoleSocket;
  let fieldSeen: Seen[];
  let otherFieldSeen: Seen[];
  let viewerSeen: Seen[];
  const stations: Station[] = [];
  let stationCount = 0;

  const call = <T = IncidentDetailDto>(role: Role | string, method: string, path: string, body?: unknown) =>
    api<T>(server.baseUrl, method, path, body, role in tokens ? tokens[role as Role] : role);
  const act = (role: Role | string, id: number, action: IncidentAction, body: unknown = BODIES[action](myThoTeam.id)) =>
    call<IncidentDetailDto & Partial<ApiErrorBody>>(role, 'POST', `/api/incidents/${id}/${action}`, body);

  /** A fresh station whose first value over the threshold opens an incident; answers when the operations room is told. */
  async function openIncident(): Promise<{ incident: IncidentDto; station: Station }> {
    const station = await Station.create(server, tokens.admin, `mt-sal-inc-${++stationCount}`);
    stations.push(station);
    const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === station.id);
    await station.publish(5.2);
    return { incident: (await opened)[0].incident, station };
  }

  beforeAll(async () => {
    server = await startTestServer();
    for (const role of ROLES) tokens[role] = (await server.session(role)).accessToken;
    expect((await call('admin', 'POST', '/api/rules', SALINITY_RULE)).status).toBe(201);
    otherTeam = (await call<TeamDto>('admin', 'POST', '/api/teams', { name: 'Tổ xử lý hiện trường Gò Công Đông' })).body;
    myThoTeam = (await call<TeamDto[]>('admin', 'GET', '/api/teams')).body.find((t) => t.name === MY_THO_TEAM)!;
    const user = { username: 'hientruong.gcd', displayName: 'Võ Thị Em', password: 'go-cong-dong-2026', role: 'field', teamId: otherTeam.id };
    expect((await call('admin', 'POST', '/api/users', user)).status).toBe(201);
    otherField = (await call<SessionDto>('', 'POST', '/api/auth/login', { username: user.username, password: user.password })).body.accessToken;
    operations = await connectConsole(server.baseUrl, tokens.operator);
    fieldSocket = await connectConsole(server.baseUrl, tokens.field);
    otherFieldSocket = await connectConsole(server.baseUrl, otherField);
    viewerSocket = await connectConsole(server.baseUrl, tokens.viewer);
    fieldSeen = record(fieldSocket);
    otherFieldSeen = record(otherFieldSocket);
    viewerSeen = record(viewerSocket);
  });

  afterAll(async () => {
    for (const socket of [operations, fieldSocket, otherFieldSocket, viewerSocket]) socket?.close();
    await Promise.all(stations.map((s) => s.close()));
    await server?.close();
  });

  it('opens one incident when a real device crosses the threshold, for the operations room only', async () => {
    const { incident, station } = await openIncident();
    expect(incident).toMatchObject({
      ruleId: expect.any(Number),
      ruleVersion: 1,
      alertId: expect.any(Number),
      deviceId: station.id,
      deviceIds: [station.id],
      groupAreaId: null,
      severity: 'warning',
      title: `${SALINITY_RULE.name} · Trạm đo mặn ${station.id}`,
      state: 'open',
      alertActive: true,
      teamId: null,
      escalationLevel: 0,
    });
    expect(incident.areaIds).toContain('my-tho');
    const detail = await call('viewer', 'GET', `/api/incidents/${incident.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.timeline).toEqual([
      expect.objectContaining({ step: 'opened', actor: null, alertId: incident.alertId, deviceId: station.id, value: 5.2 }),
    ]);
    await eventually(async () => (viewerSeen.some((s) => s.id === incident.id && s.event === 'incident:opened') ? true : undefined));
    expect((await call<ApiErrorBody>('field', 'GET', `/api/incidents/${incident.id}`)).body.message).toBe(`incident ${incident.id} does not exist`);
    const fieldList = await call<IncidentPageDto>('field', 'GET', '/api/incidents');
    expect(fieldList.body.items.map((i) => i.id)).not.toContain(incident.id);
    expect(fieldSeen.concat(otherFieldSeen).map((s) => s.id)).not.toContain(incident.id);
  });

  it('opens an incident taken by phone in the areas of its place, with its deadlines, and runs it through the same lifecycle', async () => {
    const call110 = {
      title: 'Ngập sâu đường Ấp Bắc',
      severity: 'critical',
      category: 'flooding',
      description: 'Người dân gọi đường dây nóng: nước ngập 40 cm trước chợ',
      location: IN_MY_THO,
      reporterPhone: '0912 345 678',
    };
    const announced = nextEvent(operations, 'incident:opened', (e) => e.incident.title === call110.title);
    const opened = await call('operator', 'POST', '/api/incidents', call110);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      source: 'manual',
      category: 'flooding',
      severity: 'critical',
      description: call110.description,
      location: IN_MY_THO,
      reporterPhone: '0912345678',
      createdBy: 'canbotruc',
      deviceId: null,
      deviceIds: [],
      ruleId: null,
      state: 'open',
    });
    expect(opened.body.areaIds).toContain('my-tho');
    expect(Date.parse(opened.body.acknowledgeDueAt!) - Date.parse(opened.body.openedAt)).toBe(300_000);
    expect(opened.body.timeline).toEqual([expect.objectContaining({ step: 'opened', actor: expect.objectContaining({ username: 'canbotruc' }) })]);
    expect((await announced)[0]).toMatchObject({ incident: { id: opened.body.id }, notify: true });

    const id = opened.body.id;
    expect((await act('operator', id, 'acknowledge')).body.state).toBe('acknowledged');
    const toTeam = nextEvent(fieldSocket, 'incident:updated', (e) => e.incident.id === id && e.entry.step === 'dispatched');
    expect((await act('operator', id, 'dispatch')).body.state).toBe('dispatched');
    expect((await toTeam)[0].incident).toMatchObject({ source: 'manual', location: IN_MY_THO, reporterPhone: '0912345678' });
    const manual = await call<IncidentPageDto>('viewer', 'GET', '/api/incidents?source=manual&category=flooding,pollution');
    expect(manual.body.items.map((i) => i.id)).toEqual([id]);
    expect((await call<IncidentPageDto>('viewer', 'GET', '/api/incidents?source=citizen')).body.items).toEqual([]);
  });

  it('refuses an incident by hand from a field or viewer user, and bad fields with 400 naming them', async () => {
    const good = { title: 'Cây đổ', category: 'fallen_tree', location: IN_MY_THO };
    for (const role of ['field', 'viewer'] as const) expect((await call(role, 'POST', '/api/incidents', good)).status).toBe(403);
    const bad: [unknown, string][] = [
      [{ ...good, category: 'noise' }, 'category'],
      [{ ...good, location: { lat: 95, lng: 106.36 } }, 'location.lat'],
      [{ ...good, reporterPhone: '12345' }, 'reporterPhone: a Vietnamese phone number'],
      [{ ...good, deviceId: 'no-such-device' }, 'deviceId: there is no device no-such-device'],
      [{ ...good, title: ' ' }, 'title: must not be empty'],
      [{ title: 'Cây đổ', category: 'fallen_tree' }, 'location'],
    ];
    for (const [body, message] of bad) {
      const answer = await call<ApiErrorBody>('operator', 'POST', '/api/incidents', body);
      expect([answer.status, answer.body.message]).toEqual([400, expect.stringContaining(message)]);
    }
  });

  it('keeps one incident per rule and device: a clearing and a new breach land on its timeline', async () => {
    const { incident, station } = await openIncident();
    const cleared = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'alert_resolved');
    await station.publish(3.1);
    expect((await cleared)[0].incident).toMatchObject({ state: 'open', alertActive: false });
    const again = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'alert_opened');
    await station.publish(6.4);
    expect((await again)[0]).toMatchObject({ incident: { alertActive: true }, entry: { value: 6.4, actor: null } });
    const list = await call<IncidentPageDto>('operator', 'GET', `/api/incidents?deviceId=${station.id}`);
    expect(list.body.items.map((i) => i.id)).toEqual([incident.id]);
    const steps = (await call('operator', 'GET', `/api/incidents/${incident.id}`)).body.timeline.map((e) => e.step);
    expect(steps).toEqual(['opened', 'alert_resolved', 'alert_opened']);
  });

  it('goes open -> acknowledged -> dispatched -> on site -> resolved -> closed, each step with who and when', async () => {
    const { incident } = await openIncident();
    const id = incident.id;
    expect((await act('operator', id, 'acknowledge')).body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'canbotruc' });

    const toTeam = nextEvent(fieldSocket, 'incident:updated', (e) => e.incident.id === id && e.entry.step === 'dispatched');
    const dispatched = await act('operator', id, 'dispatch', { teamId: myThoTeam.id, note: 'Kiểm tra cống Bảo Định' });
    expect(dispatched.body).toMatchObject({ state: 'dispatched', teamId: myThoTeam.id, teamName: MY_THO_TEAM, dispatchedBy: 'canbotruc' });
    expect((await toTeam)[0].entry).toMatchObject({ teamId: myThoTeam.id, teamName: MY_THO_TEAM, note: 'Kiểm tra cống Bảo Định' });

    const fieldList = await call<IncidentPageDto>('field', 'GET', '/api/incidents');
    expect(fieldList.body.items.map((i) => i.id)).toContain(id);
    expect(fieldList.body.items.every((i) => i.teamId === myThoTeam.id)).toBe(true);

    expect((await act('field', id, 'acknowledge')).body).toMatchObject({ state: 'dispatched', onSiteBy: 'hientruong', onSiteAt: expect.any(String) });
    expect((await act('field', id, 'comment', { note: 'Đã đến cống, mực nước thấp' })).status).toBe(200);
    const resolved = await act('field', id, 'resolve', { note: 'Đã đóng cống ngăn mặn' });
    expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'hientruong' });
    const closed = await act('supervisor', id, 'close', { note: 'Xác nhận' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ state: 'closed', closedBy: 'truongca', closedAt: expect.any(String) });

    const timeline = closed.body.timeline.map((e) => [e.step, e.actor?.username ?? null, e.note]);
    expect(timeline).toEqual([
      ['opened', null, null],
      ['acknowledged', 'canbotruc', null],
      ['dispatched', 'canbotruc', 'Kiểm tra cống Bảo Định'],
      ['on_site', 'hientruong', null],
      ['comment', 'hientruong', 'Đã đến cống, mực nước thấp'],
      ['resolved', 'hientruong', 'Đã đóng cống ngăn mặn'],
      ['closed', 'truongca', 'Xác nhận'],
    ]);
    const times = closed.body.timeline.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(closed.body.timeline.every((e) => e.actor === null || typeof e.actor.id === 'number')).toBe(true);

    // The field team was told of every step after the dispatch, and nothing before it.
    await eventually(async () => (fieldSeen.some((s) => s.id === id && s.step === 'closed') ? true : undefined));
    expect(fieldSeen.filter((s) => s.id === id).map((s) => s.step)).toEqual(['dispatched', 'on_site', 'comment', 'resolved', 'closed']);
    expect(otherFieldSeen.map((s) => s.id)).not.toContain(id);
  });

  it('refuses a step the lifecycle does not allow with 409 and says why', async () => {
    const { incident } = await openIncident();
    const id = incident.id;
    expect((await act('operator', id, 'close')).body).toMatchObject({
      statusCode: 409,
      message: `incident ${id} is open: only an incident that is resolved can be closed`,
    });
    expect((await act('operator', id, 'dispatch')).body.message).toBe(
      `incident ${id} is open: only an incident that is acknowledged or dispatched can be dispatched`,
    );
    expect((await act('operator', id, 'acknowledge')).status).toBe(200);
    expect((await act('admin', id, 'acknowledge')).body).toMatchObject({
      statusCode: 409,
      message: `incident ${id} is acknowledged: only an incident that is open can be acknowledged`,
    });
    await act('operator', id, 'dispatch');
    expect((await act('operator', id, 'dispatch')).body.message).toBe(`incident ${id} is already dispatched to team ${myThoTeam.id}`);
    await act('field', id, 'acknowledge');
    expect((await act('field', id, 'acknowledge')).body).toMatchObject({ statusCode: 409, message: `incident ${id} is already acknowledged on site` });
    await act('field', id, 'resolve');
    await act('operator', id, 'close');
    expect((await act('operator', id, 'comment')).body).toMatchObject({ statusCode: 409, message: `incident ${id} is closed` });
    const steps = (await call('operator', 'GET', `/api/incidents/${id}`)).body.timeline.map((e) => e.step);
    expect(steps).toEqual(['opened', 'acknowledged', 'dispatched', 'on_site', 'resolved', 'closed']);
  });

  describe('who may do what', () => {
    let id: number;
    beforeAll(async () => {
      id = (await openIncident()).incident.id;
    });

    it.each(ROLES)('%s reads the list and one incident', async (role) => {
      const own = role === 'field' ? 404 : 200;
      expect((await call<IncidentPageDto>(role, 'GET', '/api/incidents')).status).toBe(200);
      expect((await call(role, 'GET', `/api/incidents/${id}`)).status).toBe(own);
    });

    // Dispatched to the other team, so the demo field user never finds this incident.
    const cases = INCIDENT_ACTIONS.flatMap((action) => ROLES.map((role) => ({ action, role, allowed: INCIDENT_ACTION_ROLES[action].includes(role) })));
    it.each(cases)('$role: $action is allowed: $allowed', async ({ action, role, allowed }) => {
      const res = await call<ApiErrorBody>(role, 'POST', `/api/incidents/${id}/${action}`, BODIES[action](otherTeam.id));
      if (!allowed) {
        expect(res.status).toBe(403);
        expect(res.body.message).toBe(`the role ${role} may not POST /api/incidents/:id/${action}`);
      } else if (role === 'field') {
        expect(res.body).toMatchObject({ statusCode: 404, message: `incident ${id} does not exist` });
      } else {
        expect([200, 409]).toContain(res.status);
      }
    });
  });

  it("keeps another team's incident from a field user over REST and over socket.io", async () => {
    const { incident } = await openIncident();
    const id = incident.id;
    await act('operator', id, 'acknowledge');
    const toOther = nextEvent(otherFieldSocket, 'incident:updated', (e) => e.incident.id === id);
    await act('operator', id, 'dispatch', { teamId: otherTeam.id });
    expect((await toOther)[0].incident.teamName).toBe('Tổ xử lý hiện trường Gò Công Đông');

    expect((await call<ApiErrorBody>('field', 'GET', `/api/incidents/${id}`)).body).toMatchObject({ statusCode: 404, message: `incident ${id} does not exist` });
    for (const action of ['acknowledge', 'resolve', 'comment'] as const) {
      expect((await act('field', id, action)).status).toBe(404);
    }
    const asked = await call<IncidentPageDto>('field', 'GET', `/api/incidents?teamId=${otherTeam.id}`);
    expect(asked).toMatchObject({ status: 200, body: { items: [] } });
    const otherList = (await call<IncidentPageDto>(otherField, 'GET', '/api/incidents')).body.items;
    expect(otherList.map((i) => i.id)).toContain(id);
    expect(otherList.every((i) => i.teamId === otherTeam.id)).toBe(true);
    expect((await act(otherField, id, 'acknowledge')).body.onSiteBy).toBe('hientruong.gcd');

    // Dispatched again to Mỹ Tho: the team that had it is told it is gone, and loses it.
    const withdrawn = nextEvent(otherFieldSocket, 'incident:withdrawn', (p) => p.id === id);
    const arrived = nextEvent(fieldSocket, 'incident:updated', (e) => e.incident.id === id);
    const redispatched = await act('operator', id, 'dispatch', { teamId: myThoTeam.id });
    expect(redispatched.body).toMatchObject({ teamId: myThoTeam.id, onSiteAt: null, onSiteBy: null });
    await withdrawn;
    await arrived;
    expect((await call(otherField, 'GET', `/api/incidents/${id}`)).status).toBe(404);
    expect((await call('field', 'GET', `/api/incidents/${id}`)).status).toBe(200);
    expect(otherFieldSeen.filter((s) => s.id === id).map((s) => s.event)).toEqual(['incident:updated', 'incident:updated', 'incident:withdrawn']);
    // Sockets of field teams never heard of an incident before it was dispatched to them, nor of alerts.
    expect(fieldSeen.concat(otherFieldSeen).some((s) => s.event === 'incident:opened')).toBe(false);
  });

  it('sends alerts to the operations room only', async () => {
    const alerts: number[] = [];
    fieldSocket.on('alert:opened', (a) => alerts.push(a.id));
    const toViewer = nextEvent(viewerSocket, 'alert:opened', () => true);
    await openIncident();
    await toViewer;
    await new Promise((r) => setTimeout(r, 200));
    expect(alerts).toEqual([]);
  });

  it('filters and pages the list, and lets a reconnecting console catch up with updatedSince', async () => {
    const all = await call<IncidentPageDto>('operator', 'GET', '/api/incidents?limit=500');
    expect(all.body.items.length).toBeGreaterThanOrEqual(6);
    const ids = all.body.items.map((i) => i.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const first = await call<IncidentPageDto>('operator', 'GET', '/api/incidents?limit=2');
    const second = await call<IncidentPageDto>('operator', 'GET', `/api/incidents?limit=2&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((i) => i.id)).toEqual(ids.slice(0, 4));

    const closed = await call<IncidentPageDto>('viewer', 'GET', '/api/incidents?state=closed');
    expect(closed.body.items.length).toBeGreaterThan(0);
    expect(closed.body.items.every((i) => i.state === 'closed')).toBe(true);
    const active = await call<IncidentPageDto>('viewer', 'GET', '/api/incidents?state=open,acknowledged,dispatched&severity=warning,critical&areaId=my-tho');
    expect(active.body.items.every((i) => ['open', 'acknowledged', 'dispatched'].includes(i.state) && i.areaIds.includes('my-tho'))).toBe(true);
    expect((await call<IncidentPageDto>('viewer', 'GET', '/api/incidents?areaId=go-cong-dong')).body.items).toEqual([]);
    expect((await call<IncidentPageDto>('viewer', 'GET', `/api/incidents?teamId=${myThoTeam.id}`)).body.items.every((i) => i.teamId === myThoTeam.id)).toBe(true);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await call<IncidentPageDto>('viewer', 'GET', `/api/incidents?from=${encodeURIComponent(future)}`)).body.items).toEqual([]);

    // While a console is away, one incident changes; asking for what changed since brings just that one back.
    const newest = all.body.items.reduce((max, i) => (i.updatedAt > max ? i.updatedAt : max), '');
    const since = new Date(Date.parse(newest) + 1).toISOString();
    const target = all.body.items.find((i) => i.state === 'open')!;
    await act('operator', target.id, 'comment', { note: 'Trong lúc mất kết nối' });
    const missed = await call<IncidentPageDto>('operator', 'GET', `/api/incidents?updatedSince=${encodeURIComponent(since)}`);
    expect(missed.body.items.map((i) => i.id)).toEqual([target.id]);
  });

  it('answers 400 to bad bodies, queries and ids, naming the field', async () => {
    const { incident } = await openIncident();
    const id = incident.id;
    await act('operator', id, 'acknowledge');
    const cases: [string, unknown, RegExp][] = [
      ['dispatch', {}, /^teamId: /],
      ['dispatch', { teamId: 'Mỹ Tho' }, /^teamId: /],
      ['dispatch', { teamId: 99_999 }, /^teamId: team 99999 does not exist$/],
      ['resolve', {}, /^note: /],
      ['resolve', { note: '   ' }, /^note: must not be empty$/],
      ['comment', { note: 'x'.repeat(2001) }, /^note: /],
      ['acknowledge', { note: 'ok', state: 'closed' }, /state/],
      ['close', '[1, 2]', /expected object/],
    ];
    for (const [action, body, message] of cases) {
      const res = await act('operator', id, action as IncidentAction, body);
      expect({ action, body, status: res.status }).toEqual({ action, body, status: 400 });
      expect(res.body.message).toMatch(message);
    }
    for (const query of ['state=bogus', 'severity=high', 'limit=0', 'limit=501', 'cursor=abc', 'from=yesterday', 'updatedSince=2026-11-23', 'colour=red']) {
      const res = await call<ApiErrorBody>('operator', 'GET', `/api/incidents?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
    expect((await call<ApiErrorBody>('operator', 'GET', '/api/incidents/abc')).body).toMatchObject({ statusCode: 400, message: 'id: must be a positive whole number' });
    expect((await act('operator', 99_999_999, 'comment')).body).toMatchObject({ statusCode: 404, message: 'incident 99999999 does not exist' });
    expect((await call('operator', 'GET', `/api/incidents/${id}`)).body.state).toBe('acknowledged');
  });

  it('audits every attempted step: who, which incident, how it ended', async () => {
    const { incident } = await openIncident();
    const id = String(incident.id);
    await act('operator', incident.id, 'acknowledge');
    await act('operator', incident.id, 'acknowledge');
    await act('viewer', incident.id, 'close');
    const log = await eventually(async () => {
      const res = await call<AuditEntryDto[]>('supervisor', 'GET', '/api/audit?targetType=incidents&limit=1000');
      const mine = res.body.filter((e) => e.targetId === id);
      return mine.length === 3 ? mine : undefined;
    });
    expect(log.map((e) => [e.action, e.actor?.username, e.status]).reverse()).toEqual([
      ['POST /api/incidents/:id/acknowledge', 'canbotruc', 200],
      ['POST /api/incidents/:id/acknowledge', 'canbotruc', 409],
      ['POST /api/incidents/:id/close', 'nguoixem', 403],
    ]);
  });

  it("ends a user's sessions when their team changes, so a token never carries an old team", async () => {
    const user = { username: 'doi.to', displayName: 'Đổi tổ', password: 'doi-to-2026-pass', role: 'field', teamId: myThoTeam.id };
    const created = await call<UserDto>('admin', 'POST', '/api/users', user);
    const login = () => call<SessionDto>('', 'POST', '/api/auth/login', { username: user.username, password: user.password });
    const before = (await login()).body.accessToken;
    expect((await call<IncidentPageDto>(before, 'GET', '/api/incidents')).status).toBe(200);
    await call('admin', 'PATCH', `/api/users/${created.body.id}`, { teamId: otherTeam.id });
    expect((await call<ApiErrorBody>(before, 'GET', '/api/incidents')).body).toMatchObject({ statusCode: 401, message: 'session revoked: log in again' });
    expect((await login()).body.user.teamId).toBe(otherTeam.id);
  });
});

describe('deadlines and escalation', () => {
  let server: TestServer;
  let admin: string;
  let supervisor: string;
  let operator: string;
  let operations: ConsoleSocket;
  let field: ConsoleSocket;
  let station: Station;

  /** Warning incidents: acknowledge within 1 s, resolve within 4 s; the supervisor told at the deadline, the admin a second later. */
  const FAST = {
    acknowledgeS: 1,
    resolveS: 4,
    escalation: [
      { afterS: 0, notifyRoles: ['supervisor'] },
      { afterS: 1, notifyRoles: ['admin'] },
    ],
  };

  beforeAll(async () => {
    server = await startTestServer({ INCIDENT_DEADLINE_SWEEP_MS: '100' });
    admin = (await server.session('admin')).accessToken;
    supervisor = (await server.session('supervisor')).accessToken;
    operator = (await server.session('operator')).accessToken;
    station = await Station.create(server, admin, 'mt-sal-esc-01');
    operations = await connectConsole(server.baseUrl, operator);
    field = await connectConsole(server.baseUrl, (await server.session('field')).accessToken);
  });

  afterAll(async () => {
    operations?.close();
    field?.close();
    await station?.close();
    await server?.close();
  });

  it('has the default deadlines per severity, which only supervisors and admins change, with a clear 400 for a bad policy', async () => {
    const defaults = await api<DeadlinePolicyDto[]>(server.baseUrl, 'GET', '/api/deadline-policies', undefined, operator);
    expect(defaults.body.map(({ severity, acknowledgeS, resolveS }) => ({ severity, acknowledgeS, resolveS }))).toEqual([
      { severity: 'critical', acknowledgeS: 300, resolveS: 14_400 },
      { severity: 'warning', acknowledgeS: 1800, resolveS: 86_400 },
      { severity: 'info', acknowledgeS: null, resolveS: null },
    ]);
    expect((await api(server.baseUrl, 'PUT', '/api/deadline-policies/warning', FAST, operator)).status).toBe(403);
    const bad = [
      [{ ...FAST, acknowledgeS: null }, 'escalation: escalation counts from the acknowledge deadline: set acknowledgeS'],
      [{ ...FAST, escalation: [FAST.escalation[1], FAST.escalation[0]] }, 'escalation.1.afterS: each step must come after the one before'],
      [{ ...FAST, escalation: [{ afterS: 0, notifyRoles: ['mayor'] }] }, 'escalation.0.notifyRoles.0'],
    ] as const;
    for (const [body, message] of bad) {
      const answer = await api<ApiErrorBody>(server.baseUrl, 'PUT', '/api/deadline-policies/warning', body, supervisor);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain(message);
    }
    expect((await api<ApiErrorBody>(server.baseUrl, 'PUT', '/api/deadline-policies/urgent', FAST, supervisor)).body.message).toContain(
      'severity: must be one of critical, warning, info',
    );
    const set = await api<DeadlinePolicyDto>(server.baseUrl, 'PUT', '/api/deadline-policies/warning', FAST, supervisor);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ severity: 'warning', ...FAST, updatedBy: 'truongca' });
  });

  it('breaches the acknowledge deadline, tells the supervisor then the admin, stops once acknowledged, then breaches the resolve deadline', async () => {
    expect((await api(server.baseUrl, 'POST', '/api/rules', SALINITY_RULE, admin)).status).toBe(201);
    const fieldSeen = record(field);
    const seen: IncidentEventDto[] = [];
    operations.on('incident:updated', (e: IncidentEventDto) => seen.push(e));
    const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === station.id);
    await station.publish(7);
    const { incident } = (await opened)[0];
    const created = Date.parse(incident.updatedAt);
    expect(Date.parse(incident.acknowledgeDueAt!) - created).toBeGreaterThanOrEqual(990);
    expect(Date.parse(incident.resolveDueAt!) - Date.parse(incident.acknowledgeDueAt!)).toBe(3000);
    expect(incident).toMatchObject({ acknowledgeBreachedAt: null, resolveBreachedAt: null });

    const second = await nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.level === 2, 5000);
    expect(second[0]).toMatchObject({ incident: { escalationLevel: 2, state: 'open' }, entry: { step: 'escalated', notifyRoles: ['admin'] }, notify: true });
    const mine = seen.filter((e) => e.incident.id === incident.id).map((e) => e.entry);
    expect(mine.map((e) => [e.step, e.deadline ?? e.notifyRoles])).toEqual([
      ['deadline_breached', 'acknowledge'],
      ['escalated', ['supervisor']],
      ['escalated', ['admin']],
    ]);
    expect(Date.parse(mine[0].at)).toBeGreaterThanOrEqual(Date.parse(incident.acknowledgeDueAt!));
    expect(Date.parse(mine[2].at) - Date.parse(mine[1].at)).toBeGreaterThanOrEqual(900);

    const acknowledged = await api<IncidentDetailDto>(server.baseUrl, 'POST', `/api/incidents/${incident.id}/acknowledge`, {}, operator);
    expect(acknowledged.body).toMatchObject({ state: 'acknowledged', acknowledgeBreachedAt: incident.acknowledgeDueAt });
    const resolveBreach = await nextEvent(
      operations,
      'incident:updated',
      (e) => e.incident.id === incident.id && e.entry.step === 'deadline_breached' && e.entry.deadline === 'resolve',
      6000,
    );
    expect(resolveBreach[0].incident).toMatchObject({ state: 'acknowledged', escalationLevel: 2, resolveBreachedAt: incident.resolveDueAt });
    const timeline = (await api<IncidentDetailDto>(server.baseUrl, 'GET', `/api/incidents/${incident.id}`, undefined, operator)).body.timeline;
    expect(timeline.map((e) => e.step)).toEqual(['opened', 'deadline_breached', 'escalated', 'escalated', 'acknowledged', 'deadline_breached']);
    expect(fieldSeen).toEqual([]);
  });

  it("holds a rule's incidents to its own deadlines: none to acknowledge means no breach and no escalation", async () => {
    const patient = { ...SALINITY_RULE, name: 'Độ mặn (theo dõi)', deadlines: { acknowledgeS: null, resolveS: 600 } };
    expect((await api(server.baseUrl, 'POST', '/api/rules', patient, admin)).status).toBe(201);
    const other = await Station.create(server, admin, 'mt-sal-esc-02');
    try {
      const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === other.id && e.incident.title.startsWith(patient.name));
      await other.publish(7);
      const { incident } = (await opened)[0];
      expect(incident.acknowledgeDueAt).toBeNull();
      expect(Date.parse(incident.resolveDueAt!) - Date.parse(incident.updatedAt)).toBeGreaterThanOrEqual(599_000);
      await new Promise((r) => setTimeout(r, 2500));
      const after = await api<IncidentDetailDto>(server.baseUrl, 'GET', `/api/incidents/${incident.id}`, undefined, operator);
      expect(after.body).toMatchObject({ escalationLevel: 0, acknowledgeBreachedAt: null, resolveBreachedAt: null });
      expect(after.body.timeline.map((e) => e.step)).toEqual(['opened']);
    } finally {
      await other.close();
    }
  });
});
