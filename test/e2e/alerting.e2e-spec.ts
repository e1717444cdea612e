import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AlertDto,
  AlertRuleDefinitionInput,
  ApiErrorBody,
  DeviceDto,
  DeviceHealth,
  IncidentDetailDto,
  IncidentDto,
  IncidentEventDto,
  RuleDto,
  RuleVersionDto,
  SilenceDto,
  TeamDto,
} from '@ioc/contracts';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api, connectConsole, eventually, nextEvent, type ConsoleSocket } from '../support/clients';
import {
  IN_VI_THANH,
  IN_WARD,
  QUIET_MS,
  SALINITY_MESSAGES,
  Station,
  VI_THANH,
  WARD,
  above,
  alertsOf,
  createRule,
  incidentsOf,
  nothing,
  onStations,
} from '../support/alerting';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('live alerting on the stream, against a real server, broker and database', () => {
  let server: TestServer;
  let admin: string;
  let operator: string;
  let operations: ConsoleSocket;
  const stations: Station[] = [];

  const station = async (id: string, options?: Parameters<typeof Station.provision>[3]) => {
    const s = await Station.provision(server, admin, id, options);
    stations.push(s);
    return s;
  };
  const rule = (definition: AlertRuleDefinitionInput) => createRule(server, admin, definition);
  const get = async <T>(path: string) => (await api<T>(server.baseUrl, 'GET', path, undefined, operator)).body;
  const act = async (id: number, action: 'acknowledge' | 'dispatch' | 'resolve', body: unknown) => {
    const res = await api<IncidentDetailDto>(server.baseUrl, 'POST', `/api/incidents/${id}/${action}`, body, operator);
    expect(res.status).toBe(200);
    return res.body;
  };
  /** What people do once the alert has cleared: take the incident in, then mark it handled. */
  const resolveByPeople = async (id: number) => {
    await act(id, 'acknowledge', {});
    expect((await act(id, 'resolve', { note: 'Đã kiểm tra, độ mặn đã giảm' })).state).toBe('resolved');
  };

  beforeAll(async () => {
    server = await startTestServer();
    admin = (await server.session('admin')).accessToken;
    operator = (await server.session('operator')).accessToken;
    operations = await connectConsole(server.baseUrl, operator);
  });

  afterAll(async () => {
    operations?.close();
    await Promise.all(stations.map((s) => s.close()));
    await server?.close();
  });

  describe('threshold held for 2 s', () => {
    let s: Station;

    beforeAll(async () => {
      s = await station('for-sal-01');
      await rule(onStations('Độ mặn cao kéo dài', [s], [above(4, { forS: 2 })]));
    });

    it('fires on the clock 2 s after one breaching reading, with nothing else sent', async () => {
      const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id, 6000);
      const ts = await s.reading(5);
      const [alert] = await opened;
      expect(Date.now() - ts).toBeGreaterThanOrEqual(2000);
      expect(Date.parse(alert.openedAt) - ts).toBeGreaterThanOrEqual(2000);
      expect(Date.parse(alert.openedAt) - ts).toBeLessThan(3000);
      expect(alert).toMatchObject({ state: 'open', metric: 'salinity', value: 5, ruleVersion: 1 });

      const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === alert.id);
      await s.reading(3);
      await resolved;
    });

    it('does not fire when one good reading interrupts the 2 s', async () => {
      // Stamped in the past, the run would be due 1 s from now: the quiet wait covers it with a second to spare.
      const start = Date.now() - 1000;
      const quiet = nothing(operations, 'alert:opened', (a) => a.deviceId === s.id, 2000);
      await s.reading(5, { ts: start });
      await s.reading(3.9, { ts: start + 500 });
      await quiet;
      expect((await alertsOf(server, operator, s.id)).filter((a) => a.state === 'open')).toEqual([]);
    });
  });

  it('fires above the threshold, stays open inside the hysteresis band and clears below the clear level', async () => {
    const s = await station('hys-sal-01');
    await rule(onStations('Độ mặn vượt 4 ‰', [s], [above(4, { clear: 3.5 })]));

    const atThreshold = nothing(operations, 'alert:opened', (a) => a.deviceId === s.id);
    await s.reading(4);
    await atThreshold;

    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id);
    const incidentOpened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
    await s.reading(4.2);
    const [alert] = await opened;
    const [{ incident }] = await incidentOpened;
    expect(alert).toMatchObject({
      state: 'open',
      value: 4.2,
      metric: 'salinity',
      incidentId: incident.id,
      message: { vi: `${s.name}: độ mặn 4,20 ‰ vượt ngưỡng 4,00`, en: `${s.name}: salinity 4.20 ‰ above 4.00` },
    });
    expect(incident).toMatchObject({ state: 'open', alertActive: true, deviceIds: [s.id], groupAreaId: null });

    const inBand = nothing(operations, 'alert:resolved', (a) => a.id === alert.id);
    await s.reading(3.8);
    await inBand;

    const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === alert.id);
    const updated = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'alert_resolved');
    await s.reading(3.4);
    expect((await resolved)[0]).toMatchObject({ state: 'resolved', resolvedAt: expect.any(String) });
    const [event] = await updated;
    expect(event.incident).toMatchObject({ alertActive: false, state: 'open' });
    expect(event.entry).toMatchObject({ alertId: alert.id, deviceId: s.id, actor: null });
    const detail = await get<IncidentDetailDto>(`/api/incidents/${incident.id}`);
    expect(detail.timeline.map((e) => e.step)).toEqual(['opened', 'alert_resolved']);
  });

  it('opens nothing for a redelivered reading, nor for an older breaching reading after a newer good one', async () => {
    const s = await station('dup-sal-01');
    await rule(onStations('Độ mặn vượt 4 ‰ (trùng lặp)', [s], [above(4)]));
    const start = Date.now() - 3000;

    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id);
    await s.reading(5, { ts: start });
    await s.reading(5, { ts: start, dup: true });
    const [alert] = await opened;
    const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === alert.id);
    await s.reading(2, { ts: start + 2000 });
    await resolved;

    const quiet = nothing(operations, 'alert:opened', (a) => a.deviceId === s.id);
    await s.reading(5, { ts: start, dup: true });
    await s.reading(5.5, { ts: start + 1000 });
    await quiet;
    const alerts = await alertsOf(server, operator, s.id);
    expect(alerts.map((a) => [a.id, a.state])).toEqual([[alert.id, 'resolved']]);
    expect((await incidentsOf(server, operator, s.id)).map((i) => i.id)).toEqual([alert.incidentId]);
  });

  it('fires no_data 5 s after the rule starts when the device never sends the metric, and a reading clears it', async () => {
    const s = await station('nodata-sal-01');
    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id, 10_000);
    const created = await rule(
      onStations('Trạm đo mặn không gửi dữ liệu', [s], [{ kind: 'no_data', metric: 'salinity', afterS: 5 }], {
        messages: { vi: '{device}: không có dữ liệu độ mặn', en: '{device}: no salinity data' },
      }),
    );
    const [alert] = await opened;
    const silentFor = Date.parse(alert.openedAt) - Date.parse(created.createdAt);
    expect(silentFor).toBeGreaterThanOrEqual(5000);
    expect(silentFor).toBeLessThan(7000);
    expect(alert).toMatchObject({ ruleId: created.id, state: 'open', metric: 'salinity', value: null, message: { en: `${s.name}: no salinity data` } });

    const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === alert.id);
    await s.reading(1.2);
    await resolved;
    // Otherwise it fires again 5 s after that reading.
    expect((await api(server.baseUrl, 'DELETE', `/api/rules/${created.id}`, undefined, admin)).status).toBe(204);
  });

  it('fires offline when the device drops and the broker sends its last will, and clears when it is back online', async () => {
    const s = await station('off-sal-01', { will: true });
    const online = nextEvent(operations, 'device:status', (u) => u.deviceId === s.id && u.status === 'online');
    await s.status('online');
    await online;
    await rule(onStations('Trạm đo mặn mất kết nối', [s], [{ kind: 'offline', afterS: 0 }], { messages: { vi: '{device} mất kết nối', en: '{device} offline' } }));

    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id);
    s.drop();
    const [alert] = await opened;
    expect(alert).toMatchObject({ state: 'open', metric: null, value: null, message: { vi: `${s.name} mất kết nối` } });

    const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === alert.id);
    await s.reconnect(server);
    await s.status('online');
    await resolved;
  });

  it('fires on the second confident camera event in the window, not on a doubtful one', async () => {
    const camera = await station('cam-acc-01', { kind: 'traffic_camera' });
    await rule(
      onStations('Tai nạn giao thông', [camera], [{ kind: 'camera_event', eventType: 'accident', count: 2, windowS: 60, minConfidence: 0.8 }], {
        severity: 'critical',
        messages: { vi: '{device}: phát hiện tai nạn giao thông', en: '{device}: accident detected' },
      }),
    );

    const quiet = nothing(operations, 'alert:opened', (a) => a.deviceId === camera.id);
    await camera.event('accident', 0.9);
    await camera.event('accident', 0.5);
    await quiet;

    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === camera.id);
    await camera.event('accident', 0.9);
    // The value of a camera alert is how many events the window holds.
    expect((await opened)[0]).toMatchObject({ state: 'open', severity: 'critical', metric: null, value: 2 });
  });

  it('gathers the devices of an area into one incident while any of them fires', async () => {
    const [a, b, c] = await Promise.all(
      ['w10-sal-a', 'w10-sal-b', 'w10-sal-c'].map((id, i) => station(id, { place: { ...IN_WARD, lng: IN_WARD.lng + i * 0.002 } })),
    );
    for (const s of [a, b, c]) expect(s.areaIds).toContain(WARD);
    const created = await rule({
      name: 'Xâm nhập mặn Phường 10',
      scope: { type: 'area', areaId: WARD },
      grouping: 'area',
      conditions: [above(4)],
      messages: SALINITY_MESSAGES,
    });
    const openings: IncidentDto[] = [];
    const onOpened = (e: IncidentEventDto) => {
      if (e.incident.ruleId === created.id) openings.push(e.incident);
    };
    operations.on('incident:opened', onOpened);

    const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.ruleId === created.id);
    await a.reading(5);
    const [{ incident }] = await opened;
    expect(incident).toMatchObject({ groupAreaId: WARD, deviceId: a.id, deviceIds: [a.id], alertActive: true });

    let latest = incident;
    for (const s of [b, c]) {
      const joined = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'device_joined' && e.entry.deviceId === s.id);
      const alert = nextEvent(operations, 'alert:opened', (x) => x.deviceId === s.id);
      await s.reading(5.5);
      latest = (await joined)[0].incident;
      expect((await alert)[0].incidentId).toBe(incident.id);
    }
    expect(latest.deviceIds).toEqual([a.id, b.id, c.id]);

    const left = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'device_left' && e.entry.deviceId === a.id);
    await a.reading(3);
    expect((await left)[0].incident).toMatchObject({ alertActive: true, state: 'open' });

    const cleared = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && !e.incident.alertActive);
    await b.reading(3);
    await c.reading(3);
    expect((await cleared)[0].incident.deviceIds).toEqual([a.id, b.id, c.id]);
    operations.off('incident:opened', onOpened);
    expect(openings.map((i) => i.id)).toEqual([incident.id]);
    const timeline = (await get<IncidentDetailDto>(`/api/incidents/${incident.id}`)).timeline;
    expect(timeline.filter((e) => e.step === 'device_joined').map((e) => e.deviceId)).toEqual([b.id, c.id]);
    expect(timeline.find((e) => e.step === 'device_left')?.deviceId).toBe(a.id);
  });

  describe('damping after people resolved the incident', () => {
    /** Fires, clears, and has people resolve the incident; answers it. */
    const fireClearResolve = async (s: Station): Promise<IncidentDto> => {
      const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
      await s.reading(5);
      const [{ incident }] = await opened;
      const cleared = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'alert_resolved');
      await s.reading(3);
      await cleared;
      await resolveByPeople(incident.id);
      return incident;
    };

    it('reopens the same incident when the rule fires again within dampingS', async () => {
      const s = await station('damp-sal-01');
      await rule(onStations('Độ mặn vượt 4 ‰ (giảm dao động)', [s], [above(4)], { dampingS: 300 }));
      const incident = await fireClearResolve(s);

      const reopened = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'reopened');
      const quiet = nothing(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
      await s.reading(5.1);
      expect((await reopened)[0]).toMatchObject({ incident: { state: 'open', alertActive: true }, entry: { deviceId: s.id, value: 5.1, actor: null } });
      await quiet;
      expect((await incidentsOf(server, operator, s.id)).map((i) => i.id)).toEqual([incident.id]);
    });

    it('opens a new incident when dampingS is 0', async () => {
      const s = await station('damp-sal-02');
      await rule(onStations('Độ mặn vượt 4 ‰ (không giảm dao động)', [s], [above(4)], { dampingS: 0 }));
      const first = await fireClearResolve(s);

      const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
      await s.reading(5.1);
      const [{ incident }] = await opened;
      expect(incident.id).not.toBe(first.id);
      expect((await get<IncidentDetailDto>(`/api/incidents/${first.id}`)).state).toBe('resolved');
    });
  });

  it('keeps an alert open through a rename, resolves it when the conditions change, and numbers the versions', async () => {
    const s = await station('edit-sal-01');
    const created = await rule(onStations('Độ mặn cao (bản đầu)', [s], [above(4)], { dampingS: 0 }));
    const patch = (body: Partial<AlertRuleDefinitionInput>) => api<RuleDto>(server.baseUrl, 'PATCH', `/api/rules/${created.id}`, body, admin);

    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id);
    const incidentOpened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
    await s.reading(5);
    const [alert] = await opened;
    const [{ incident }] = await incidentOpened;
    expect(alert.ruleVersion).toBe(1);
    expect(incident.ruleVersion).toBe(1);

    const kept = nothing(operations, 'alert:resolved', (a) => a.id === alert.id);
    const renamed = await patch({ name: 'Độ mặn cao ở cửa sông' });
    expect(renamed).toMatchObject({ status: 200, body: { version: 2, name: 'Độ mặn cao ở cửa sông' } });
    await kept;
    expect((await alertsOf(server, operator, s.id)).map((a) => [a.id, a.state])).toEqual([[alert.id, 'open']]);

    const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === alert.id);
    const raised = await patch({ conditions: [above(6)] });
    expect(raised).toMatchObject({ status: 200, body: { version: 3 } });
    await resolved;

    await resolveByPeople(incident.id);
    const again = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id);
    const newIncident = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
    await s.reading(7);
    expect((await again)[0]).toMatchObject({ ruleVersion: 3, ruleName: 'Độ mặn cao ở cửa sông', value: 7 });
    expect((await newIncident)[0].incident.ruleVersion).toBe(3);
    expect((await get<IncidentDetailDto>(`/api/incidents/${incident.id}`)).ruleVersion).toBe(1);

    const versions = await get<RuleVersionDto[]>(`/api/rules/${created.id}/versions`);
    expect(versions.map((v) => [v.version, v.definition.name, v.definition.conditions[0]])).toEqual([
      [3, 'Độ mặn cao ở cửa sông', expect.objectContaining({ value: 6 })],
      [2, 'Độ mặn cao ở cửa sông', expect.objectContaining({ value: 4 })],
      [1, 'Độ mặn cao (bản đầu)', expect.objectContaining({ value: 4 })],
    ]);
  });

  describe('whether people are told of an incident event (notify)', () => {
    /** Fires, clears, and fires again while the incident is still open; answers the three incident events. */
    const fireClearFire = async (s: Station) => {
      const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
      await s.reading(5);
      const [first] = await opened;
      const { id } = first.incident;
      const cleared = nextEvent(operations, 'incident:updated', (e) => e.incident.id === id && e.entry.step === 'alert_resolved');
      await s.reading(3);
      const [clear] = await cleared;
      const firedAgain = nextEvent(operations, 'incident:updated', (e) => e.incident.id === id && e.entry.step === 'alert_opened');
      await s.reading(5.2);
      const [again] = await firedAgain;
      return { first, clear, again };
    };

    it('tells of the opening, not of the clear, nor of the rule firing again within minNotifyIntervalS', async () => {
      const s = await station('notify-sal-01');
      await rule(onStations('Độ mặn vượt 4 ‰ (báo tối đa 5 phút một lần)', [s], [above(4)], { minNotifyIntervalS: 300 }));
      const { first, clear, again } = await fireClearFire(s);
      expect(first).toMatchObject({ entry: { step: 'opened' }, notify: true });
      expect(clear.notify).toBe(false);
      expect(again).toMatchObject({ incident: { id: first.incident.id, state: 'open', alertActive: true }, notify: false });
    });

    it('tells of the rule firing again each time when minNotifyIntervalS is 0', async () => {
      const s = await station('notify-sal-02');
      await rule(onStations('Độ mặn vượt 4 ‰ (báo mỗi lần)', [s], [above(4)], { minNotifyIntervalS: 0 }));
      const { first, clear, again } = await fireClearFire(s);
      expect(first.notify).toBe(true);
      expect(clear.notify).toBe(false);
      expect(again.notify).toBe(true);
    });

    it('tells of a dispatch to a field team, not of the acknowledgement before it', async () => {
      const s = await station('notify-sal-03');
      await rule(onStations('Độ mặn vượt 4 ‰ (điều phối)', [s], [above(4)], { minNotifyIntervalS: 300 }));
      const teams = await get<TeamDto[]>('/api/teams');
      expect(teams.length).toBeGreaterThan(0);
      const opened = nextEvent(operations, 'incident:opened', (e) => e.incident.deviceId === s.id);
      await s.reading(5);
      const [{ incident }] = await opened;

      const acknowledged = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'acknowledged');
      await act(incident.id, 'acknowledge', {});
      expect((await acknowledged)[0].notify).toBe(false);

      const dispatched = nextEvent(operations, 'incident:updated', (e) => e.incident.id === incident.id && e.entry.step === 'dispatched');
      await act(incident.id, 'dispatch', { teamId: teams[0].id });
      expect((await dispatched)[0]).toMatchObject({ incident: { state: 'dispatched', teamId: teams[0].id }, notify: true });
    });
  });

  describe('device health, on GET /api/devices/:id and as device:health', () => {
    /** A silence's effect on health is worked out once a second. */
    const MAINTENANCE_MS = 2500;
    let s: Station;
    const healthOf = async () => (await get<DeviceDto>(`/api/devices/${s.id}`)).health;
    const becomes = (health: DeviceHealth, timeoutMs?: number) =>
      nextEvent(operations, 'device:health', (u) => u.deviceId === s.id && u.health === health, timeoutMs);

    beforeAll(async () => {
      s = await station('health-sal-01', { place: IN_VI_THANH, will: true });
    });

    it('is stale until the device is first heard from, and ok after its first reading', async () => {
      expect(await healthOf()).toBe('stale');
      const ok = becomes('ok');
      const ts = await s.reading(1.2);
      const [update] = await ok;
      expect(Date.parse(update.at)).toBeGreaterThanOrEqual(ts);
      expect(await healthOf()).toBe('ok');
    });

    it('is in maintenance while a silence covers its area, and ok again once the silence is ended', async () => {
      expect(s.areaIds).toContain(VI_THANH);
      const maintenance = becomes('maintenance', MAINTENANCE_MS);
      const created = await api<SilenceDto>(
        server.baseUrl,
        'POST',
        '/api/silences',
        { areaId: VI_THANH, endsAt: new Date(Date.now() + 3_600_000).toISOString(), reason: 'Thay cảm biến trạm đo mặn Vị Thanh' },
        operator,
      );
      expect(created.status).toBe(201);
      await maintenance;
      expect(await healthOf()).toBe('maintenance');

      const back = becomes('ok', MAINTENANCE_MS);
      expect((await api(server.baseUrl, 'POST', `/api/silences/${created.body.id}/end`, undefined, operator)).status).toBe(200);
      await back;
      expect(await healthOf()).toBe('ok');
    });

    it('is offline once its connection drops and the broker sends its last will', async () => {
      const offline = becomes('offline');
      s.drop();
      await offline;
      expect(await healthOf()).toBe('offline');
    });

    it('is stale while a no_data alert fires for it online, and ok again at its next reading', async () => {
      const online = becomes('ok');
      await s.reconnect(server);
      await s.status('online');
      await online;

      const stale = becomes('stale', 10_000);
      const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === s.id, 10_000);
      const created = await rule(
        onStations('Trạm đo mặn Vị Thanh không gửi dữ liệu', [s], [{ kind: 'no_data', metric: 'salinity', afterS: 5 }], {
          messages: { vi: '{device}: không có dữ liệu độ mặn', en: '{device}: no salinity data' },
        }),
      );
      await Promise.all([stale, opened]);
      expect(await healthOf()).toBe('stale');

      const ok = becomes('ok');
      await s.reading(1.3);
      await ok;
      expect(await healthOf()).toBe('ok');
      // Otherwise it fires again 5 s after that reading.
      expect((await api(server.baseUrl, 'DELETE', `/api/rules/${created.id}`, undefined, admin)).status).toBe(204);
    });
  });

  it.each<[string, (valid: AlertRuleDefinitionInput) => AlertRuleDefinitionInput, string]>([
    ['an unknown area', (valid) => ({ ...valid, scope: { type: 'area', areaId: 'phuong-khong-co' } }), 'phuong-khong-co'],
    ['an unknown device', (valid) => ({ ...valid, scope: { type: 'devices', deviceIds: ['tram-khong-co'] } }), 'tram-khong-co'],
    ['a metric outside the catalogue', (valid) => ({ ...valid, conditions: [{ kind: 'threshold', metric: 'tide_height', operator: '>', value: 1 }] }), 'tide_height'],
    [
      'no_data with another condition',
      (valid) => ({ ...valid, combine: 'any', conditions: [above(4), { kind: 'no_data', metric: 'salinity', afterS: 600 }] }),
      "a no_data or offline condition must be the rule's only condition",
    ],
  ])('refuses a rule with %s: 400 naming it, and creates nothing', async (_, spoil, named) => {
    const valid: AlertRuleDefinitionInput = { name: 'Quy tắc sai', scope: { type: 'all' }, conditions: [above(4)], messages: SALINITY_MESSAGES };
    const before = await get<RuleDto[]>('/api/rules');
    const res = await api<ApiErrorBody>(server.baseUrl, 'POST', '/api/rules', spoil(valid), admin);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(named);
    expect(await get<RuleDto[]>('/api/rules')).toEqual(before);
  });
});

describe('live alerting across a restart on the same database', () => {
  let database: ScratchDatabase;
  let spoolDir: string;
  /** Set until it is stopped, so that a failed setup still stops it. */
  let first: TestServer | undefined;
  let server: TestServer;
  let operator: string;
  /** Breaching, its forS not yet over when the first server stops. */
  let pending: Station;
  let pendingSince: number;
  /** Firing when the first server stops. */
  let firing: Station;
  let firingAlert: AlertDto;
  /** One reading of 3.0 before the restart, inside the window of a rise of 1.0 over 10 minutes. */
  let rising: Station;
  /** Reads every half second until the first server stops, then says nothing. */
  let silent: Station;
  let silentLast: number;
  /** One confident accident before the restart, of the two within 60 s that fire. */
  let camera: Station;
  /** The second server's operations room. */
  let operations: ConsoleSocket;
  const all = () => [pending, firing, rising, silent, camera];

  beforeAll(async () => {
    database = await createScratchDatabase();
    spoolDir = await mkdtemp(join(tmpdir(), 'ioc-alerting-spool-'));
    const before = await startTestServer({}, { database, spoolDir });
    first = before;
    const admin = (await before.session('admin')).accessToken;
    pending = await Station.provision(before, admin, 'rs-pending-01');
    firing = await Station.provision(before, admin, 'rs-firing-01');
    rising = await Station.provision(before, admin, 'rs-rising-01');
    silent = await Station.provision(before, admin, 'rs-silent-01');
    camera = await Station.provision(before, admin, 'rs-cam-01', { kind: 'traffic_camera' });
    await createRule(before, admin, onStations('Độ mặn cao kéo dài 4 s', [pending], [above(4, { forS: 4 })]));
    await createRule(before, admin, onStations('Độ mặn vượt 4 ‰', [firing], [above(4)]));
    await createRule(
      before,
      admin,
      onStations('Độ mặn tăng nhanh', [rising], [{ kind: 'rate_of_change', metric: 'salinity', windowS: 600, change: 1.0, direction: 'rise' }], {
        messages: { vi: '{device}: độ mặn tăng {value} {unit} trong 10 phút', en: '{device}: salinity up {value} {unit} in 10 minutes' },
      }),
    );
    await createRule(
      before,
      admin,
      onStations('Trạm đo mặn không gửi dữ liệu 8 s', [silent], [{ kind: 'no_data', metric: 'salinity', afterS: 8 }], {
        messages: { vi: '{device}: không có dữ liệu độ mặn', en: '{device}: no salinity data' },
      }),
    );
    await createRule(
      before,
      admin,
      onStations('Tai nạn giao thông lặp lại', [camera], [{ kind: 'camera_event', eventType: 'accident', count: 2, windowS: 60, minConfidence: 0.8 }], {
        messages: { vi: '{device}: phát hiện tai nạn giao thông', en: '{device}: accident detected' },
      }),
    );
    await firing.reading(5);
    firingAlert = await eventually(async () => (await alertsOf(before, admin, firing.id)).find((a) => a.state === 'open'));
    await rising.reading(3.0);
    await camera.event('accident', 0.9);
    // About 3 s of readings: the no-data state saved when the rule started is seconds older than the last of them.
    for (let i = 0; i < 7; i++) {
      if (i > 0) await sleep(500);
      // The forS of 4 s is 1 s from over when the first server stops.
      if (i === 4) pendingSince = await pending.reading(5);
      silentLast = await silent.reading(1.2);
    }
    // Closed by the device first: a connection the server cuts would end in an unhandled client error.
    await Promise.all(all().map((s) => s.close()));
    first = undefined;
    await before.close();
    server = await startTestServer({}, { database, spoolDir });
    operator = (await server.session('operator')).accessToken;
    operations = await connectConsole(server.baseUrl, operator);
  });

  afterAll(async () => {
    operations?.close();
    await Promise.all(all().map((s) => s?.close()));
    await first?.close();
    await server?.close();
    await database?.drop();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  it('fires a pending forS after the restart, once, at the time it was due', async () => {
    const alert = await eventually(async () => (await alertsOf(server, operator, pending.id))[0]);
    expect(alert).toMatchObject({ state: 'open', value: 5 });
    expect(Math.abs(Date.parse(alert.openedAt) - (pendingSince + 4000))).toBeLessThanOrEqual(1000);
    await sleep(QUIET_MS);
    expect((await alertsOf(server, operator, pending.id)).map((a) => a.id)).toEqual([alert.id]);
    expect((await incidentsOf(server, operator, pending.id)).map((i) => i.id)).toEqual([alert.incidentId]);
  });

  it('keeps the firing alert through the restart, and a good reading afterwards resolves it', async () => {
    // Time for a restored state that failed to hold to fire a second time.
    await nothing(operations, 'alert:opened', (a) => a.deviceId === firing.id);
    expect((await alertsOf(server, operator, firing.id)).map((a) => [a.id, a.state])).toEqual([[firingAlert.id, 'open']]);
    expect((await incidentsOf(server, operator, firing.id)).map((i) => i.id)).toEqual([firingAlert.incidentId]);

    const resolved = nextEvent(operations, 'alert:resolved', (a) => a.id === firingAlert.id);
    await firing.reconnect(server);
    await firing.reading(2);
    await resolved;
    expect((await alertsOf(server, operator, firing.id)).map((a) => [a.id, a.state])).toEqual([[firingAlert.id, 'resolved']]);
  });

  it('measures a rise against a reading from before the restart, read back from storage', async () => {
    await rising.reconnect(server);
    const quiet = nothing(operations, 'alert:opened', (a) => a.deviceId === rising.id);
    await rising.reading(3.6);
    await quiet;

    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === rising.id);
    await rising.reading(4.1);
    // 1.1 above the 3.0 sent to the first server; measured from 3.6 alone it would be 0.5 and fire nothing.
    expect((await opened)[0]).toMatchObject({ state: 'open', metric: 'salinity', value: expect.closeTo(1.1, 5) });
  });

  it('counts the silence of a no_data rule from the last reading stored before the restart', async () => {
    const alert = await eventually(async () => (await alertsOf(server, operator, silent.id)).find((a) => a.state === 'open'), 15_000);
    // The state saved when the rule started would have fired about 5 s after the last reading.
    expect(Date.parse(alert.openedAt)).toBeGreaterThanOrEqual(silentLast + 8000 - 500);
    expect(Date.parse(alert.openedAt)).toBeLessThan(silentLast + 8000 + 1000);
    expect(alert).toMatchObject({ metric: 'salinity', value: null });
  });

  it('counts a camera event from before the restart in the window of the next one', async () => {
    await camera.reconnect(server);
    const opened = nextEvent(operations, 'alert:opened', (a) => a.deviceId === camera.id);
    await camera.event('accident', 0.9);
    expect((await opened)[0]).toMatchObject({ state: 'open', metric: null, value: 2 });
  });
});
