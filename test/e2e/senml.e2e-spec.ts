import type { MqttClient } from 'mqtt';
import type { AlertConditionInput, AlertRuleDefinitionInput, ApiErrorBody, DeadLetterDto, DeviceDto, HealthDto, MetricDto, ProvisionedDeviceDto, RuleDto } from '@ioc/contracts';
import { createScratchDatabase, startTestServer, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually, provisionDevice } from '../support/clients';

jest.setTimeout(60_000);

/** SenML as devices built to RFC 8428 send it, published to the real server. */
describe('SenML packs of RFC 8428 devices', () => {
  let server: TestServer;
  let token: string;
  const clients: MqttClient[] = [];
  const call = <T = unknown>(method: string, path: string, body?: unknown) => api<T>(server.baseUrl, method, path, body, token);
  const place = { lat: 10.36, lng: 106.36 };
  const handled = async () => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body.ingest!.messages;

  /** Publishes on the device's telemetry topic and waits until the server has handled it. */
  async function publish(client: MqttClient, deviceId: string, pack: unknown): Promise<void> {
    const before = await handled();
    await client.publishAsync(`ioc/v1/${deviceId}/telemetry`, JSON.stringify(pack), { qos: 1 });
    await eventually(async () => ((await handled()) > before ? true : undefined));
  }

  const deadLetters = (deviceId: string) =>
    eventually(async () => {
      const res = await call<DeadLetterDto[]>('GET', `/api/dead-letters?deviceId=${deviceId}`);
      return res.body.length > 0 ? res.body : undefined;
    });

  /** What the database holds for the device: [metric, value] oldest first. */
  const storedOf = (deviceId: string, count: number) =>
    eventually(async () => {
      const { rows } = await server.pool.query<{ metric: string; value: number }>(
        `SELECT m.name AS metric, t.value FROM telemetry_values t JOIN devices d ON d.key = t.device_key JOIN metrics m ON m.id = t.metric_id
          WHERE d.id = $1 ORDER BY t.time, m.name`,
        [deviceId],
      );
      return rows.length >= count ? rows.map((r) => [r.metric, r.value]) : undefined;
    });

  async function device(id: string, kind: string, extra: Record<string, unknown> = {}): Promise<MqttClient> {
    const client = await provisionDevice(server, token, { id, kind: kind as 'weather', name: id, ...place, ...extra });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('admin')).accessToken;
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await server?.close();
  });

  it("files a pack whose names are not this server's under the device whose topic carried it", async () => {
    const client = await device('mt-ws-01', 'weather');
    await publish(client, 'mt-ws-01', [{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }]);
    const letters = await deadLetters('mt-ws-01');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ deviceId: 'mt-ws-01', topic: 'ioc/v1/mt-ws-01/telemetry' });
    expect(letters[0].payload).toContain('urn:dev:ow:10e2073a01080063');
  });

  it('reads a pack of an older SenML version, and refuses a newer one with the reason', async () => {
    const client = await device('mt-ws-02', 'weather');
    await publish(client, 'mt-ws-02', [{ bver: 5, n: 'temperature', u: 'Cel', v: 27.5 }]);
    await publish(client, 'mt-ws-02', [{ bver: 11, n: 'temperature', u: 'Cel', v: 27.6 }]);
    const stored = await eventually(async () => {
      const { rows } = await server.pool.query<{ value: number }>(
        `SELECT t.value FROM telemetry_values t JOIN devices d ON d.key = t.device_key WHERE d.id = 'mt-ws-02'`,
      );
      return rows.length > 0 ? rows.map((r) => r.value) : undefined;
    });
    expect(stored).toEqual([27.5]);
    const letters = await deadLetters('mt-ws-02');
    expect(letters.map((l) => [l.reason, l.message])).toEqual([['unsupported', expect.stringMatching(/version 11 .*newer than 10/)]]);
  });

  describe('devices registered with their SenML names', () => {
    it('registers, shows, changes and keeps unique the SenML names of devices', async () => {
      const created = await call<ProvisionedDeviceDto>('POST', '/api/devices', {
        id: 'mt-ws-10', kind: 'weather', name: 'mt-ws-10', ...place, senmlNames: ['urn:dev:ow:10e2073a01080010'],
      });
      expect(created.status).toBe(201);
      expect(created.body.device.senmlNames).toEqual(['urn:dev:ow:10e2073a01080010']);
      expect((await call<DeviceDto>('GET', '/api/devices/mt-ws-10')).body.senmlNames).toEqual(['urn:dev:ow:10e2073a01080010']);

      const clash = await call<ApiErrorBody>('PUT', '/api/devices/mt-ws-11', { kind: 'weather', name: 'x', ...place, senmlNames: ['urn:dev:ow:10e2073a01080010'] });
      expect(clash.status).toBe(409);
      expect(clash.body.message).toMatch(/senmlNames: urn:dev:ow:10e2073a01080010 is already the SenML name of device mt-ws-10/);

      const patched = await call<DeviceDto>('PATCH', '/api/devices/mt-ws-10', { senmlNames: ['urn:dev:ow:10e2073a01080011', 'urn:dev:mac:0024befffe804ff1'] });
      expect(patched.body.senmlNames).toEqual(['urn:dev:ow:10e2073a01080011', 'urn:dev:mac:0024befffe804ff1']);
      // The name it gave up is free again.
      const freed = await call<DeviceDto>('PUT', '/api/devices/mt-ws-11', { kind: 'weather', name: 'x', ...place, senmlNames: ['urn:dev:ow:10e2073a01080010'] });
      expect(freed.status).toBe(200);
      expect(freed.body.senmlNames).toEqual(['urn:dev:ow:10e2073a01080010']);
    });

    it.each([
      [['urn dev ow'], /senmlNames\.0: RFC 8428 name characters/],
      [['-starts-with-a-dash'], /senmlNames\.0: RFC 8428 name characters/],
      [['x'.repeat(201)], /senmlNames\.0: RFC 8428 name characters/],
      [['urn:dev:ow:1', 'urn:dev:ow:1'], /senmlNames: each name once/],
      ['urn:dev:ow:1', /senmlNames/],
    ])('refuses senmlNames %j with 400 naming the field', async (senmlNames, message) => {
      const res = await call<ApiErrorBody>('POST', '/api/devices', { id: 'mt-ws-19', kind: 'weather', name: 'x', ...place, senmlNames });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    });

    it('stores RFC 8428 example 5.1.1 verbatim from the device that registered the name, as temperature, and K converted', async () => {
      const client = await device('mt-ws-20', 'weather', { senmlNames: ['urn:dev:ow:10e2073a01080063'] });
      await publish(client, 'mt-ws-20', [{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }]);
      await publish(client, 'mt-ws-20', [{ bn: 'urn:dev:ow:10e2073a01080063', t: 1, u: 'K', v: 300.15 }]);
      expect(await storedOf('mt-ws-20', 2)).toEqual([
        ['temperature', 23.1],
        ['temperature', 27],
      ]);
    });

    it("dead-letters records under another device's SenML name, against that device, as the ACL does", async () => {
      const client = await device('mt-ws-21', 'weather');
      await publish(client, 'mt-ws-21', [{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 99 }]);
      const letters = await deadLetters('mt-ws-20');
      expect(letters.map((l) => [l.reason, l.topic])).toEqual([['not_a_child', 'ioc/v1/mt-ws-21/telemetry']]);
      expect(await storedOf('mt-ws-20', 2)).toHaveLength(2);
    });
  });

  describe('the metric catalogue as data', () => {
    const rfc512 = [
      { bn: 'urn:dev:ow:10e2073a01080070:', n: 'voltage', u: 'V', v: 120.1 },
      { n: 'current', u: 'A', v: 1.2 },
    ];

    it('lists the built-in metrics to everyone', async () => {
      const viewer = (await server.session('viewer')).accessToken;
      const res = await api<MetricDto[]>(server.baseUrl, 'GET', '/api/metrics', undefined, viewer);
      expect(res.status).toBe(200);
      expect(res.body.find((m) => m.name === 'temperature')).toEqual({
        name: 'temperature', unit: '°C', precision: 1, builtIn: true, kinds: ['water_level', 'salinity', 'air_quality', 'weather', 'gateway'],
      });
    });

    it('stores RFC 8428 example 5.1.2 once an administrator added voltage for the kind, and dead-letters current', async () => {
      const client = await device('mt-sl-70', 'street_light', { senmlNames: ['urn:dev:ow:10e2073a01080070'] });
      await publish(client, 'mt-sl-70', rfc512);
      const before = await deadLetters('mt-sl-70');
      expect(before.map((l) => l.reason).sort()).toEqual(['unknown_metric', 'unknown_metric']);

      const supervisor = (await server.session('supervisor')).accessToken;
      const refused = await api<ApiErrorBody>(server.baseUrl, 'POST', '/api/metrics', { name: 'voltage', unit: 'V' }, supervisor);
      expect(refused.status).toBe(403);
      const added = await call<MetricDto>('POST', '/api/metrics', { name: 'voltage', unit: 'V', precision: 1, kinds: ['street_light'] });
      expect(added.status).toBe(201);
      expect(added.body).toEqual({ name: 'voltage', unit: 'V', precision: 1, kinds: ['street_light'], builtIn: false });

      await publish(client, 'mt-sl-70', rfc512);
      expect(await storedOf('mt-sl-70', 1)).toEqual([['voltage', 120.1]]);
      const after = await deadLetters('mt-sl-70');
      expect(after[0]).toMatchObject({ reason: 'unknown_metric', message: expect.stringContaining('current is not in the metric catalogue') });
      expect((await call<MetricDto[]>('GET', '/api/metrics')).body.map((m) => m.name)).toContain('voltage');
    });

    it('lets a kind send a metric once the administrator names the kind, converting mV', async () => {
      const client = await device('mt-wl-71', 'water_level');
      await publish(client, 'mt-wl-71', [{ n: 'voltage', u: 'mV', v: 3300 }]);
      expect((await deadLetters('mt-wl-71'))[0].reason).toBe('metric_not_allowed');
      const patched = await call<MetricDto>('PATCH', '/api/metrics/voltage', { kinds: ['street_light', 'water_level'] });
      expect(patched.body.kinds).toEqual(['street_light', 'water_level']);
      await publish(client, 'mt-wl-71', [{ n: 'voltage', u: 'mV', v: 3300 }]);
      expect(await storedOf('mt-wl-71', 1)).toEqual([['voltage', 3.3]]);
    });

    it.each([
      ['POST', '/api/metrics', { name: 'Voltage', unit: 'V' }, 400, /name: lower_snake_case/],
      ['POST', '/api/metrics', { name: 'x1', unit: 'm s' }, 400, /unit: printable/],
      ['POST', '/api/metrics', { name: 'x1', unit: 'V', precision: 9 }, 400, /precision/],
      ['POST', '/api/metrics', { name: 'x1', unit: 'V', kinds: ['toaster'] }, 400, /kinds\.0/],
      ['POST', '/api/metrics', { name: 'temperature', unit: '°C' }, 409, /metric temperature already exists/],
      ['PATCH', '/api/metrics/temperature', { unit: 'K' }, 400, /unit: temperature is built in/],
      ['PATCH', '/api/metrics/nothing_here', { precision: 1 }, 404, /metric nothing_here does not exist/],
      ['PATCH', '/api/metrics/voltage', {}, 400, /nothing to update/],
    ])('%s %s %j answers %d', async (method, path, body, status, message) => {
      const res = await call<ApiErrorBody>(method, path, body);
      expect(res.status).toBe(status);
      expect(res.body.message).toMatch(message);
    });

    it('lets the administrator change a built-in metric\'s precision and kinds, not its unit', async () => {
      const res = await call<MetricDto>('PATCH', '/api/metrics/battery', { unit: '%', precision: 1 });
      expect(res.body).toMatchObject({ name: 'battery', unit: '%', precision: 1, builtIn: true });
    });
  });

  describe('rules on the catalogue', () => {
    const below110 = (metric: string): AlertConditionInput => ({ kind: 'threshold', metric, operator: '<', value: 110 });
    const rule = (metric: string): AlertRuleDefinitionInput => ({
      name: 'Điện áp thấp',
      scope: { type: 'all' },
      conditions: [below110(metric)],
      messages: { vi: '{device}: {metric} {value} {unit}, dưới {threshold} {unit}', en: '{device}: {metric} {value} {unit}, below {threshold} {unit}' },
    });

    it('refuses a rule on a metric outside the catalogue with 400 naming the field', async () => {
      const created = await call<ApiErrorBody>('POST', '/api/rules', rule('flux_capacitor'));
      expect(created.status).toBe(400);
      expect(created.body.message).toMatch(/^conditions\.0\.metric: flux_capacitor is not in the metric catalogue/);
      const ok = await call<RuleDto>('POST', '/api/rules', rule('water_level'));
      const patched = await call<ApiErrorBody>('PATCH', `/api/rules/${ok.body.id}`, { conditions: [below110('flux_capacitor')] });
      expect(patched.status).toBe(400);
      expect(patched.body.message).toMatch(/^conditions\.0\.metric: flux_capacitor/);
    });

    it('takes a rule on a metric an administrator added', async () => {
      await call('POST', '/api/metrics', { name: 'current', unit: 'A', kinds: ['street_light'] });
      expect((await call('POST', '/api/rules', rule('current'))).status).toBe(201);
    });
  });
});

describe('the metric catalogue and SenML names across a restart', () => {
  it('keeps an added metric and the SenML names of devices, and ingest uses them at once after the start', async () => {
    const database = await createScratchDatabase();
    try {
      let server = await startTestServer({}, { database });
      let token = (await server.session('admin')).accessToken;
      await api(server.baseUrl, 'POST', '/api/metrics', { name: 'voltage', unit: 'V', kinds: ['street_light'] }, token);
      const created = await api<ProvisionedDeviceDto>(
        server.baseUrl, 'POST', '/api/devices',
        { id: 'mt-sl-80', kind: 'street_light', name: 'x', lat: 10.36, lng: 106.36, senmlNames: ['urn:dev:ow:10e2073a01080080'] }, token,
      );
      await server.close();

      server = await startTestServer({}, { database });
      try {
        token = (await server.session('admin')).accessToken;
        const metrics = await api<MetricDto[]>(server.baseUrl, 'GET', '/api/metrics', undefined, token);
        expect(metrics.body.find((m) => m.name === 'voltage')).toEqual({ name: 'voltage', unit: 'V', precision: 1, kinds: ['street_light'], builtIn: false });
        const clash = await api(server.baseUrl, 'PUT', '/api/devices/mt-sl-81', { kind: 'street_light', name: 'x', lat: 10.36, lng: 106.36, senmlNames: ['urn:dev:ow:10e2073a01080080'] }, token);
        expect(clash.status).toBe(409);
        const { username, password } = created.body.credentials;
        const client = await connectDevice(server.mqttUrl, 'mt-sl-80', { username, password });
        await client.publishAsync('ioc/v1/mt-sl-80/telemetry', JSON.stringify([{ bn: 'urn:dev:ow:10e2073a01080080:', n: 'voltage', u: 'V', v: 229.5 }]), { qos: 1 });
        await client.endAsync();
        const value = await eventually(async () => {
          const { rows } = await server.pool.query<{ value: number }>(
            `SELECT t.value FROM telemetry_values t JOIN metrics m ON m.id = t.metric_id WHERE m.name = 'voltage'`,
          );
          return rows[0]?.value;
        });
        expect(value).toBe(229.5);
      } finally {
        await server.close();
      }
    } finally {
      await database.drop();
    }
  });
});
