import type { AlertRuleDefinitionInput, ApiErrorBody, AuditEntryDto, CreateSilenceInput, Role, SilenceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, eventually, nextEvent, type ConsoleSocket } from '../support/clients';
import { IN_WARD, QUIET_MS, Station, above, alertsOf, createRule, incidentsOf, nothing, onStations, registerDevice } from '../support/alerting';

jest.setTimeout(60_000);

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A district: a silence over it holds the devices of its wards. */
const MY_THO = 'my-tho';
/** Vị Thanh: an area no device of these tests stands in. */
const VI_THANH = 'vi-thanh';
/** Children behind a gateway report water levels; silent this long, they are taken for offline. */
const CHILD_HEARTBEAT_S = 2;
/** The shortest no_data rule allowed. */
const NO_DATA_S = 5;
/** How soon after a silence ends what it held opens its incidents. */
const RELEASE_MS = 2500;

const inFromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
const OFFLINE_MESSAGES = { vi: '{device} mất kết nối', en: '{device} offline' };
const NO_DATA_MESSAGES = { vi: '{device}: không có dữ liệu', en: '{device}: no data' };

describe('silences and inhibition, against a real server, broker and database', () => {
  let server: TestServer;
  let admin: string;
  let operator: string;
  let operatorName: string;
  let operations: ConsoleSocket;
  const stations: Station[] = [];

  const station = async (id: string, options?: Parameters<typeof Station.provision>[3]) => {
    const s = await Station.provision(server, admin, id, options);
    stations.push(s);
    return s;
  };
  const rule = (definition: AlertRuleDefinitionInput) => createRule(server, admin, definition);
  const get = async <T>(path: string) => (await api<T>(server.baseUrl, 'GET', path, undefined, operator)).body;
  const post = <T>(path: string, body?: unknown, token = operator) => api<T>(server.baseUrl, 'POST', path, body, token);
  const silence = async (body: CreateSilenceInput): Promise<SilenceDto> => {
    const res = await post<SilenceDto>('/api/silences', body);
    if (res.status !== 201) throw new Error(`silence not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const listed = async (state: SilenceDto['state']) => (await get<SilenceDto[]>(`/api/silences?state=${state}`)).map((s) => s.id);

  beforeAll(async () => {
    server = await startTestServer({ INGEST_HEARTBEAT_S: JSON.stringify({ water_level: CHILD_HEARTBEAT_S }), HEARTBEAT_SWEEP_MS: '250' });
    admin = (await server.session('admin')).accessToken;
    const session = await server.session('operator');
    operator = session.accessToken;
    operatorName = session.user.username;
    operations = await connectConsole(server.baseUrl, operator);
  });

  afterAll(async () => {
    operations?.close();
    await Promise.all(stations.map((s) => s.close()));
    await server?.close();
  });

  describe('maintenance windows through /api/silences', () => {
    const valid: CreateSilenceInput = { areaId: VI_THANH, endsAt: inFromNow(HOUR_MS), reason: 'Bảo trì trạm bơm Vị Thanh' };

    it.each<[string, (v: CreateSilenceInput) => CreateSilenceInput, string]>([
      ['nothing to silence', ({ reason, endsAt }) => ({ reason, endsAt }), 'ruleId'],
      ['endsAt in the past', (v) => ({ ...v, endsAt: inFromNow(-60_000) }), 'endsAt'],
      ['endsAt before startsAt', (v) => ({ ...v, startsAt: inFromNow(2 * HOUR_MS), endsAt: inFromNow(HOUR_MS) }), 'endsAt'],
      ['more than 90 days after startsAt', (v) => ({ ...v, startsAt: inFromNow(HOUR_MS), endsAt: inFromNow(HOUR_MS + 91 * DAY_MS) }), 'endsAt'],
      ['more than 90 days from now', (v) => ({ ...v, endsAt: inFromNow(91 * DAY_MS) }), 'endsAt'],
      ['an unknown rule', (v) => ({ ...v, ruleId: 999_999 }), 'ruleId'],
      ['an unknown device', (v) => ({ ...v, deviceId: 'tram-khong-co' }), 'deviceId'],
      ['an unknown area', (v) => ({ ...v, areaId: 'phuong-khong-co' }), 'areaId'],
      ['an empty reason', (v) => ({ ...v, reason: '   ' }), 'reason'],
    ])('refuses a silence with %s: 400 naming the field, and creates nothing', async (_, spoil, named) => {
      const before = await get<SilenceDto[]>('/api/silences');
      const res = await post<ApiErrorBody>('/api/silences', spoil(valid));
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(named);
      expect(await get<SilenceDto[]>('/api/silences')).toEqual(before);
    });

    it.each<Role>(['viewer', 'field'])('refuses a silence from a %s with 403', async (role) => {
      const before = await get<SilenceDto[]>('/api/silences');
      const { accessToken } = await server.session(role);
      expect((await post('/api/silences', valid, accessToken)).status).toBe(403);
      expect(await get<SilenceDto[]>('/api/silences')).toEqual(before);
    });

    it('lists a future silence as pending, ends it early once, and records both in the audit log', async () => {
      const startsAt = inFromNow(HOUR_MS);
      const endsAt = inFromNow(2 * HOUR_MS);
      const created = await silence({ ...valid, startsAt, endsAt });
      expect(created).toMatchObject({ state: 'pending', areaId: VI_THANH, ruleId: null, deviceId: null, startsAt, endsAt, createdBy: operatorName, endedBy: null });
      expect(await listed('pending')).toContain(created.id);
      expect(await listed('active')).not.toContain(created.id);
      expect(await get<SilenceDto>(`/api/silences/${created.id}`)).toEqual(created);

      const ended = await post<SilenceDto>(`/api/silences/${created.id}/end`);
      expect(ended).toMatchObject({ status: 200, body: { id: created.id, state: 'expired', endedBy: operatorName } });
      expect(Date.parse(ended.body.endsAt)).toBeLessThanOrEqual(Date.now());
      expect((await post<ApiErrorBody>(`/api/silences/${created.id}/end`)).status).toBe(409);
      expect(await listed('expired')).toContain(created.id);
      expect(await listed('pending')).not.toContain(created.id);

      expect((await api(server.baseUrl, 'GET', '/api/silences/999999', undefined, operator)).status).toBe(404);
      expect((await post('/api/silences/999999/end')).status).toBe(404);

      const ofSilence = (e: AuditEntryDto) => e.targetId === String(created.id) || (e.action === 'POST /api/silences' && e.details?.startsAt === startsAt);
      const audit = await eventually(async () => {
        const { body } = await api<AuditEntryDto[]>(server.baseUrl, 'GET', '/api/audit?targetType=silences&limit=1000', undefined, admin);
        const entries = body.filter(ofSilence);
        return entries.length === 3 ? entries : undefined;
      });
      // Each entry is written once its answer has gone out: their order is not the requests'.
      expect(audit.map((e) => [e.action, e.status, e.actor?.username]).sort()).toEqual([
        ['POST /api/silences', 201, operatorName],
        ['POST /api/silences/:id/end', 200, operatorName],
        ['POST /api/silences/:id/end', 409, operatorName],
      ]);
      expect(audit.find((e) => e.status === 201)?.details).toMatchObject({ areaId: VI_THANH, reason: valid.reason, endsAt });
    });
  });

  describe('what a silence holds back', () => {
    it('records the alerts of a silenced rule without incidents, keeps an incident opened before it, and opens what still fires when it is ended early', async () => {
      const [before, held, cleared] = await Promise.all(['sil-sal-before', 'sil-sal-held', 'sil-sal-cleared'].map((id) => station(id)));
      const silenced = await rule(onStations('Độ mặn vượt 4 ‰ (bảo trì)', [before, held, cleared], [above(4)]));

      const beforeOpened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === before.id);
      await before.reading(5);
      const [{ incident: beforeIncident }] = await beforeOpened;

      const maintenance = await silence({ ruleId: silenced.id, endsAt: inFromNow(HOUR_MS), reason: 'Bảo trì định kỳ các trạm đo mặn' });
      expect(maintenance).toMatchObject({ state: 'active', ruleId: silenced.id, createdBy: operatorName });
      expect(await listed('active')).toContain(maintenance.id);

      const quiet = nothing(operations, 'incident:opened', (e) => e.incident.deviceId === held.id || e.incident.deviceId === cleared.id);
      const heldOpened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === held.id);
      const clearedOpened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === cleared.id);
      await held.reading(5);
      await cleared.reading(5);
      const [heldAlert] = await heldOpened;
      const [clearedAlert] = await clearedOpened;
      for (const alert of [heldAlert, clearedAlert]) expect(alert).toMatchObject({ state: 'open', silenceId: maintenance.id, incidentId: null, inhibitedBy: null });
      await quiet;
      expect(await alertsOf(server, operator, before.id)).toEqual([
        expect.objectContaining({ state: 'open', incidentId: beforeIncident.id, silenceId: null }),
      ]);

      const clearedResolved = nextEvent(operations, 'alert:resolved', (a) => a.id === clearedAlert.id);
      await cleared.reading(3);
      await clearedResolved;

      const released = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === held.id, RELEASE_MS);
      const nothingForCleared = nothing(operations, 'incident:opened', (e) => e.incident.deviceId === cleared.id, RELEASE_MS);
      const ended = await post<SilenceDto>(`/api/silences/${maintenance.id}/end`);
      expect(ended).toMatchObject({ status: 200, body: { state: 'expired', endedBy: operatorName } });
      const [{ incident }] = await released;
      expect(incident).toMatchObject({ ruleId: silenced.id, state: 'open', alertActive: true });
      await nothingForCleared;

      expect(await alertsOf(server, operator, held.id)).toEqual([
        expect.objectContaining({ id: heldAlert.id, state: 'open', incidentId: incident.id, silenceId: null }),
      ]);
      expect(await alertsOf(server, operator, cleared.id)).toEqual([expect.objectContaining({ id: clearedAlert.id, state: 'resolved', incidentId: null })]);
      expect(await incidentsOf(server, operator, cleared.id)).toEqual([]);
    });

    it('holds the devices of a district until the silence runs out, then opens their incidents', async () => {
      const [inWard, outside] = await Promise.all([station('sil-sal-ward', { place: IN_WARD }), station('sil-sal-vam-lang')]);
      expect(inWard.areaIds).toContain(MY_THO);
      expect(outside.areaIds).not.toContain(MY_THO);
      await rule(onStations('Độ mặn vượt 4 ‰ (theo khu vực)', [inWard, outside], [above(4)]));
      const lastsMs = 3000;
      const endsAt = Date.now() + lastsMs;
      const maintenance = await silence({ areaId: MY_THO, endsAt: new Date(endsAt).toISOString(), reason: 'Nạo vét kênh Phường 10' });

      const released = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === inWard.id, lastsMs + RELEASE_MS);
      const heldOpened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === inWard.id);
      const outsideOpened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === outside.id);
      await inWard.reading(5);
      await outside.reading(5);
      expect((await heldOpened)[0]).toMatchObject({ silenceId: maintenance.id, incidentId: null });
      await outsideOpened;

      const [{ incident }] = await released;
      expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
      expect(await alertsOf(server, operator, inWard.id)).toEqual([expect.objectContaining({ state: 'open', incidentId: incident.id, silenceId: null })]);
      expect(await get<SilenceDto>(`/api/silences/${maintenance.id}`)).toMatchObject({ state: 'expired', endedBy: null });
    });

    it('holds only the alerts that match every field it names', async () => {
      const [both, other] = await Promise.all([station('sil-sal-both'), station('sil-sal-other')]);
      const silenced = await rule(onStations('Độ mặn vượt 4 ‰ (trạm và quy tắc)', [both, other], [above(4)]));
      const loud = await rule(onStations('Độ mặn vượt 6 ‰', [both], [above(6)]));
      const maintenance = await silence({ ruleId: silenced.id, deviceId: both.id, endsAt: inFromNow(HOUR_MS), reason: 'Hiệu chỉnh cảm biến' });

      const held = nextEvent(operations, 'alert:opened', (a) => a.deviceId === both.id && a.ruleId === silenced.id);
      const quiet = nothing(operations, 'incident:opened', (e) => e.incident.deviceId === both.id && e.incident.ruleId === silenced.id);
      const otherRule = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === both.id && e.incident.ruleId === loud.id);
      const otherDevice = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === other.id && e.incident.ruleId === silenced.id);
      await both.reading(7);
      await other.reading(7);
      expect((await held)[0]).toMatchObject({ silenceId: maintenance.id, incidentId: null });
      await Promise.all([otherRule, otherDevice, quiet]);
    });
  });

  describe('inhibition by an offline gateway or device', () => {
    let gateway: Station;
    const [childOffline, childSilent, childReported] = ['inh-wl-offline', 'inh-wl-silent', 'inh-wl-reported'];

    beforeAll(async () => {
      gateway = await station('inh-gw-01', { kind: 'gateway', will: true });
      for (const id of [childOffline, childSilent, childReported]) await registerDevice(server, admin, id, { kind: 'water_level', gatewayId: gateway.id });
      const online = nextEvent(operations, 'device:status', (u) => u.deviceId === gateway.id && u.status === 'online');
      await gateway.status('online');
      await online;
    });

    it('opens the incident of a child the online gateway reports offline', async () => {
      await rule(onStations('Trạm đo mực nước mất kết nối', [{ id: childReported }], [{ kind: 'offline', afterS: 0 }], { messages: OFFLINE_MESSAGES }));
      const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === childReported);
      const incidentOpened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === childReported);
      await gateway.status('online', childReported);
      await gateway.status('offline', childReported);
      const [alert] = await opened;
      const [{ incident }] = await incidentOpened;
      expect(alert).toMatchObject({ inhibitedBy: null, silenceId: null, incidentId: incident.id });
    });

    it('holds back the offline alert of a child that falls silent while its gateway is offline', async () => {
      await rule(onStations('Trạm đo mực nước sau gateway mất kết nối', [{ id: childOffline }], [{ kind: 'offline', afterS: 0 }], { messages: OFFLINE_MESSAGES }));
      const childOnline = nextEvent(operations, 'device:status', (u) => u.deviceId === childOffline && u.status === 'online');
      await gateway.relay(childOffline, { water_level: 1.2 });
      await childOnline;

      const gatewayOffline = nextEvent(operations, 'device:status', (u) => u.deviceId === gateway.id && u.status === 'offline');
      const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === childOffline, (CHILD_HEARTBEAT_S + 3) * 1000);
      gateway.drop();
      await gatewayOffline;
      const [alert] = await opened;
      expect(alert).toMatchObject({ state: 'open', inhibitedBy: gateway.id, silenceId: null, incidentId: null });
      await nothing(operations, 'incident:opened', (e) => e.incident.deviceId === childOffline);
      expect(await incidentsOf(server, operator, childOffline)).toEqual([]);
    });

    it('holds back the no_data alerts of a child of the offline gateway, and of a device itself offline', async () => {
      const lone = await station('inh-wl-lone', { kind: 'water_level', will: true });
      const online = nextEvent(operations, 'device:status', (u) => u.deviceId === lone.id && u.status === 'online');
      await lone.status('online');
      await online;
      const offline = nextEvent(operations, 'device:status', (u) => u.deviceId === lone.id && u.status === 'offline');
      lone.drop();
      await offline;

      const opened = (deviceId: string) => nextEvent(operations, 'alert:opened', (a) => a.deviceId === deviceId, (NO_DATA_S + 3) * 1000);
      const [childOpened, loneOpened] = [opened(childSilent), opened(lone.id)];
      const quiet = nothing(operations, 'incident:opened', (e) => e.incident.deviceId === childSilent || e.incident.deviceId === lone.id, (NO_DATA_S + 2) * 1000);
      await rule(
        onStations('Trạm đo mực nước không gửi dữ liệu', [{ id: childSilent }, lone], [{ kind: 'no_data', metric: 'water_level', afterS: NO_DATA_S }], {
          messages: NO_DATA_MESSAGES,
        }),
      );
      expect((await childOpened)[0]).toMatchObject({ state: 'open', inhibitedBy: gateway.id, silenceId: null, incidentId: null });
      expect((await loneOpened)[0]).toMatchObject({ state: 'open', inhibitedBy: lone.id, silenceId: null, incidentId: null });
      await quiet;
    });

    it('releases nothing at once when the gateway comes back online', async () => {
      const quiet = nothing(operations, 'incident:opened', (e) => e.incident.deviceId === childOffline || e.incident.deviceId === childSilent, 2 * QUIET_MS);
      const back = nextEvent(operations, 'device:status', (u) => u.deviceId === gateway.id && u.status === 'online');
      await gateway.reconnect(server);
      await gateway.status('online');
      await back;
      await quiet;
      for (const child of [childOffline, childSilent]) {
        expect(await alertsOf(server, operator, child)).toEqual([expect.objectContaining({ state: 'open', inhibitedBy: gateway.id, incidentId: null })]);
      }
    });
  });
});
