import type { AlertConditionInput, AlertRuleDefinitionInput, ApiErrorBody, DeviceDto, ProvisionedDeviceDto, RuleDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, nextEvent } from '../support/clients';

jest.setTimeout(60_000);

const MESSAGES = { vi: '{device}: chỉ số {metric} là {value} {unit}', en: '{device}: {metric} is {value} {unit}' };
/** A rule over every device with one condition, valid but for what the condition gets wrong. */
const ruleWith = (condition: unknown) => ({ name: 'x', scope: { type: 'all' }, conditions: [condition], messages: MESSAGES });
const pm25Above = (value: number): AlertConditionInput => ({ kind: 'threshold', metric: 'pm25', operator: '>', value });

describe('device registry and rules over REST', () => {
  let server: TestServer;
  let token: string;
  const call = <T = unknown>(method: string, path: string, body?: unknown) =>
    api<T>(server.baseUrl, method, path, body, token);
  const station = { kind: 'water_level', name: 'Trạm đo mực nước Cầu Quay', lat: 10.3546, lng: 106.3655 };

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('admin')).accessToken;
  });
  afterAll(() => server?.close());

  it('creates, lists, updates and deletes a device, telling live consoles each time', async () => {
    const socket = await connectConsole(server.baseUrl, token);
    try {
      const upserted = nextEvent(socket, 'device:upserted', (d) => d.id === 'mt-wl-01');
      const created = await call<ProvisionedDeviceDto>('POST', '/api/devices', { id: 'mt-wl-01', ...station, metadata: { alarmLevels: [1.6, 1.8, 2.0] } });
      expect(created.status).toBe(201);
      expect(created.body.device).toMatchObject({
        id: 'mt-wl-01',
        status: 'unknown',
        lastSeen: null,
        metadata: { alarmLevels: [1.6, 1.8, 2.0] },
        credentials: { state: 'active' },
      });
      expect(created.body.credentials).toMatchObject({ deviceId: 'mt-wl-01', username: 'mt-wl-01' });
      expect(created.body.credentials.password.length).toBeGreaterThanOrEqual(40);
      expect(created.body.device.areas.map((a) => a.id).sort()).toEqual(['my-tho', 'tien-giang']);
      const listed = await call<DeviceDto>('GET', '/api/devices/mt-wl-01');
      expect(JSON.stringify(listed.body)).not.toContain(created.body.credentials.password);
      await upserted;

      const list = await call<DeviceDto[]>('GET', '/api/devices');
      expect(list.body.map((d) => d.id)).toEqual(['mt-wl-01']);

      const moved = await call<DeviceDto>('PATCH', '/api/devices/mt-wl-01', { lat: 10.3, lng: 106.75 });
      expect(moved.body.name).toBe(station.name);
      expect(moved.body.areas.map((a) => a.id).sort()).toEqual(['go-cong-dong', 'tien-giang']);

      const removed = nextEvent(socket, 'device:removed', (p) => p.id === 'mt-wl-01');
      expect((await call('DELETE', '/api/devices/mt-wl-01')).status).toBe(204);
      await removed;
      expect((await call('GET', '/api/devices/mt-wl-01')).status).toBe(404);
    } finally {
      socket.close();
    }
  });

  it('replaces with PUT, idempotently', async () => {
    const first = await call<DeviceDto>('PUT', '/api/devices/mt-wl-02', station);
    const second = await call<DeviceDto>('PUT', '/api/devices/mt-wl-02', { ...station, name: 'Trạm Chợ Gạo' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.name).toBe('Trạm Chợ Gạo');
    expect(second.body.createdAt).toBe(first.body.createdAt);
  });

  it.each([
    ['POST', '/api/devices', { id: 'Bad Id', ...station }, 400, /id: lower-case letters/],
    ['POST', '/api/devices', { id: 'x1', ...station, kind: 'toaster' }, 400, /kind: Invalid option/],
    ['POST', '/api/devices', { id: 'x1', ...station, lat: 123 }, 400, /lat: Too big/],
    ['POST', '/api/devices', { id: 'x1', ...station, owner: 'me' }, 400, /Unrecognized key/],
    ['POST', '/api/devices', '{"id": "x1",', 400, /JSON/i],
    ['PATCH', '/api/devices/mt-wl-02', {}, 400, /nothing to update/],
    ['PATCH', '/api/devices/nobody', { name: 'x' }, 404, /device nobody does not exist/],
    ['DELETE', '/api/devices/nobody', undefined, 404, /device nobody does not exist/],
    ['GET', '/api/devices/NOT%20VALID', undefined, 400, /id: lower-case/],
    ['POST', '/api/rules', ruleWith({ kind: 'threshold', metric: 'salinity', operator: '=>', value: 1 }), 400, /^conditions\.0\.operator: /],
    ['POST', '/api/rules', ruleWith({ kind: 'rate', metric: 'salinity', operator: '>', value: 1 }), 400, /^conditions\.0\.kind: /],
    ['POST', '/api/rules', ruleWith({ kind: 'threshold', metric: 'flux_capacitor', operator: '>', value: 1 }), 400, /^conditions\.0\.metric: flux_capacitor is not in the metric catalogue/],
    ['POST', '/api/rules', { ...ruleWith(pm25Above(50)), scope: { type: 'devices', deviceIds: ['nobody'] } }, 400, /^scope\.deviceIds: no device nobody$/],
    ['POST', '/api/rules', { ...ruleWith(pm25Above(50)), scope: { type: 'area', areaId: 'atlantis' } }, 400, /^scope\.areaId: there is no area atlantis/],
    ['POST', '/api/devices', { id: 'x1', ...station, senmlNames: ['urn dev'] }, 400, /senmlNames\.0: RFC 8428 name characters/],
    ['PATCH', '/api/rules/abc', { conditions: [pm25Above(1)] }, 400, /numeric/],
    ['PATCH', '/api/rules/999', { conditions: [pm25Above(1)] }, 404, /rule 999 does not exist/],
    ['GET', '/api/alerts?state=maybe', undefined, 400, /state/],
    ['GET', '/api/dead-letters?limit=0', undefined, 400, /limit/],
  ])('%s %s answers %d with a message', async (method, path, body, status, message) => {
    const res = await call<ApiErrorBody>(method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
  });

  it('refuses a second device with the same id', async () => {
    await call('PUT', '/api/devices/mt-wl-03', station);
    const res = await call<ApiErrorBody>('POST', '/api/devices', { id: 'mt-wl-03', ...station });
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('device mt-wl-03 already exists');
  });

  it('changes only the fields a rule update names', async () => {
    const messages = { vi: '{device}: bụi mịn PM2.5 {value} {unit}, vượt {threshold} {unit}', en: '{device}: PM2.5 {value} {unit}, above {threshold} {unit}' };
    const created = await call<RuleDto>('POST', '/api/rules', {
      name: 'Bụi mịn PM2.5 vượt QCVN',
      severity: 'critical',
      scope: { type: 'all' },
      conditions: [pm25Above(50)],
      messages,
    } satisfies AlertRuleDefinitionInput);
    expect(created.body.version).toBe(1);
    const patched = await call<RuleDto>('PATCH', `/api/rules/${created.body.id}`, { conditions: [pm25Above(55)] });
    expect(patched.body).toMatchObject({
      id: created.body.id,
      version: 2,
      conditions: [{ kind: 'threshold', metric: 'pm25', operator: '>', value: 55 }],
      severity: 'critical',
      scope: { type: 'all' },
      enabled: true,
      name: 'Bụi mịn PM2.5 vượt QCVN',
      messages,
    });
  });
});
