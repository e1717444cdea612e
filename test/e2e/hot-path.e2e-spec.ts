import type { MqttClient } from 'mqtt';
import { topics, type AlertDto, type AlertRuleDefinitionInput, type DeadLetterDto, type DeviceCredentialsDto, type DeviceDto, type HealthDto, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, connectDevice, eventually, nextEvent, provisionDevice, type ConsoleSocket } from '../support/clients';
import { healthyStatus } from '../support/engine';

jest.setTimeout(60_000);

describe('MQTT -> PostgreSQL -> rule -> socket.io, on the real server', () => {
  let server: TestServer;
  let token: string;
  const call = <T = unknown>(method: string, path: string, body?: unknown) =>
    api<T>(server.baseUrl, method, path, body, token);
  let consoleSocket: ConsoleSocket;
  let device: MqttClient;

  beforeAll(async () => {
    server = await startTestServer({ INGEST_HEARTBEAT_S: '{"noise": 1}', HEARTBEAT_SWEEP_MS: '100' });
    token = (await server.session('admin')).accessToken;
    const created = await call<ProvisionedDeviceDto>('POST', '/api/devices', {
      id: 'gcd-sal-01',
      kind: 'salinity',
      name: 'Trạm đo mặn Vàm Láng',
      lat: 10.3,
      lng: 106.75,
    });
    expect(created.status).toBe(201);
    const rule = await call('POST', '/api/rules', {
      name: 'Độ mặn vượt 4‰',
      scope: { type: 'deviceKind', deviceKind: 'salinity' },
      conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: 4 }],
      messages: { vi: '{device}: độ mặn {value} {unit} vượt ngưỡng {threshold} {unit}', en: '{device}: salinity {value} {unit} above {threshold} {unit}' },
    } satisfies AlertRuleDefinitionInput);
    expect(rule.status).toBe(201);
    consoleSocket = await connectConsole(server.baseUrl, token);
    device = await connectDevice(server.mqttUrl, 'gcd-sal-01', { username: 'gcd-sal-01', password: created.body.credentials.password });
  });

  afterAll(async () => {
    consoleSocket?.close();
    await device?.endAsync();
    await server?.close();
  });

  const storedValues = async (deviceId: string) => {
    const { rows } = await server.pool.query<{ time: Date; metric: string; value: number }>(
      `SELECT t.time, m.name AS metric, t.value
         FROM telemetry_values t JOIN devices d ON d.key = t.device_key JOIN metrics m ON m.id = t.metric_id
        WHERE d.id = $1 ORDER BY t.time`,
      [deviceId],
    );
    return rows;
  };

  it('stores a reading, streams it live, and shows it as the latest value', async () => {
    const ts = Date.now() - 1000;
    const live = nextEvent(consoleSocket, 'telemetry:batch', (updates) =>
      updates.some((u) => u.deviceId === 'gcd-sal-01' && u.metrics.salinity === 2.5),
    );
    await device.publishAsync(topics.telemetry('gcd-sal-01'), JSON.stringify({ ts, seq: 1, metrics: { salinity: 2.5, temperature: 29.1 } }), { qos: 1 });
    await live;
    const rows = await eventually(async () => {
      const r = await storedValues('gcd-sal-01');
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => [r.metric, r.value, r.time.getTime()]).sort()).toEqual([
      ['salinity', 2.5, ts],
      ['temperature', 29.1, ts],
    ]);
    const { body } = await call<DeviceDto>('GET', '/api/devices/gcd-sal-01');
    expect(body.status).toBe('online');
    expect(body.latest.salinity).toEqual({ value: 2.5, ts: new Date(ts).toISOString() });
    expect(body.areas.map((a) => a.id)).toContain('go-cong-dong');
  });

  it('stores a redelivered message once', async () => {
    const ts = Date.now() - 500;
    const payload = JSON.stringify({ ts, metrics: { salinity: 3.1 } });
    await device.publishAsync(topics.telemetry('gcd-sal-01'), payload, { qos: 1 });
    await device.publishAsync(topics.telemetry('gcd-sal-01'), payload, { qos: 1, dup: true });
    await eventually(async () => ((await storedValues('gcd-sal-01')).some((r) => r.value === 3.1) ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    expect((await storedValues('gcd-sal-01')).filter((r) => r.time.getTime() === ts)).toHaveLength(1);
  });

  it('opens an alert when the threshold is crossed and resolves it when the value falls back', async () => {
    const opened = nextEvent(consoleSocket, 'alert:opened', (a) => a.deviceId === 'gcd-sal-01');
    await device.publishAsync(topics.telemetry('gcd-sal-01'), JSON.stringify({ ts: Date.now(), metrics: { salinity: 5.2 } }), { qos: 1 });
    const [alert] = await opened;
    expect(alert).toMatchObject({ state: 'open', value: 5.2, metric: 'salinity', ruleName: 'Độ mặn vượt 4‰', ruleVersion: 1 });
    expect(alert.message).toEqual({
      vi: 'Trạm đo mặn Vàm Láng: độ mặn 5,20 ‰ vượt ngưỡng 4,00 ‰',
      en: 'Trạm đo mặn Vàm Láng: salinity 5.20 ‰ above 4.00 ‰',
    });

    // A second breaching value does not open a second alert.
    await device.publishAsync(topics.telemetry('gcd-sal-01'), JSON.stringify({ ts: Date.now() + 1, metrics: { salinity: 6 } }), { qos: 1 });
    const resolved = nextEvent(consoleSocket, 'alert:resolved', (a) => a.id === alert.id);
    await device.publishAsync(topics.telemetry('gcd-sal-01'), JSON.stringify({ ts: Date.now() + 2, metrics: { salinity: 3 } }), { qos: 1 });
    expect((await resolved)[0].state).toBe('resolved');
    const { body: alerts } = await call<AlertDto[]>('GET', '/api/alerts?deviceId=gcd-sal-01');
    expect(alerts.filter((a) => a.ruleName === 'Độ mặn vượt 4‰')).toHaveLength(1);
  });

  it('turns bad payloads into dead letters and keeps serving', async () => {
    const bad: [string, string | Buffer][] = [
      [topics.telemetry('gcd-sal-01'), '{"ts": 1, "metrics": {'],
      [topics.telemetry('gcd-sal-01'), Buffer.from([0, 159, 146, 150, 0])],
      [topics.telemetry('gcd-sal-01'), JSON.stringify({ ts: Date.now(), metrics: { salinity: 'high' } })],
      [topics.status('gcd-sal-01'), 'asleep'],
    ];
    for (const [topic, payload] of bad) await device.publishAsync(topic, payload, { qos: 1 });
    const letters = await eventually(async () => {
      const { body } = await call<DeadLetterDto[]>('GET', '/api/dead-letters?limit=50');
      return body.length >= bad.length ? body : undefined;
    });
    expect(letters.map((l) => l.reason).sort()).toEqual(
      ['invalid_json', 'invalid_json', 'invalid_payload', 'invalid_payload'].sort(),
    );
    const { body: filtered } = await call<DeadLetterDto[]>('GET', '/api/dead-letters?reason=invalid_json');
    expect(filtered).toHaveLength(2);

    const { body: health } = await call<HealthDto>('GET', '/api/health');
    expect(health.status).toBe(healthyStatus(health));
    const ts = Date.now();
    await device.publishAsync(topics.telemetry('gcd-sal-01'), JSON.stringify({ ts, metrics: { salinity: 1.1 } }), { qos: 1 });
    await eventually(async () => ((await storedValues('gcd-sal-01')).some((r) => r.time.getTime() === ts) ? true : undefined));
  });

  it('stores a camera event once, even redelivered, and streams it', async () => {
    await call('PUT', '/api/devices/mt-cam-01', { kind: 'traffic_camera', name: 'Camera nút Ấp Bắc', lat: 10.362, lng: 106.36 });
    const { body: secret } = await call<DeviceCredentialsDto>('POST', '/api/devices/mt-cam-01/credentials');
    const camera = await connectDevice(server.mqttUrl, 'mt-cam-01', { username: secret.username, password: secret.password });
    const ts = Date.now() - 2000;
    const payload = JSON.stringify({ ts, type: 'accident', confidence: 0.93, attributes: { lane: 1 } });
    const live = nextEvent(consoleSocket, 'device:event', (e) => e.deviceId === 'mt-cam-01' && e.type === 'accident');
    await camera.publishAsync(topics.event('mt-cam-01'), payload, { qos: 1 });
    await camera.publishAsync(topics.event('mt-cam-01'), payload, { qos: 1, dup: true });
    expect((await live)[0]).toMatchObject({ ts, confidence: 0.93, attributes: { lane: 1 } });
    const rows = await eventually(async () => {
      const { rows } = await server.pool.query<{ type: string; confidence: number; attributes: object }>(
        `SELECT e.type, e.confidence, e.attributes FROM device_events e JOIN devices d ON d.key = e.device_key
          WHERE d.id = 'mt-cam-01' AND e.type = 'accident'`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    await new Promise((r) => setTimeout(r, 200));
    const { rows: again } = await server.pool.query(
      `SELECT 1 FROM device_events e JOIN devices d ON d.key = e.device_key WHERE d.id = 'mt-cam-01' AND e.type = 'accident'`,
    );
    expect(again).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'accident', attributes: { lane: 1 } });
    expect(rows[0].confidence).toBeCloseTo(0.93);
    await camera.endAsync();
  });

  it('takes a silent device for offline after its kind\'s heartbeat timeout', async () => {
    await call('PUT', '/api/devices/mt-noise-01', { kind: 'noise', name: 'Tiếng ồn chợ Mỹ Tho', lat: 10.357, lng: 106.36 });
    const { body: secret } = await call<DeviceCredentialsDto>('POST', '/api/devices/mt-noise-01/credentials');
    const meter = await connectDevice(server.mqttUrl, 'mt-noise-01', { username: secret.username, password: secret.password });
    const online = nextEvent(consoleSocket, 'device:status', (u) => u.deviceId === 'mt-noise-01' && u.status === 'online');
    await meter.publishAsync(topics.telemetry('mt-noise-01'), JSON.stringify({ ts: Date.now(), metrics: { noise: 64 } }), { qos: 1 });
    expect((await online)[0].reason).toBe('data');
    const silent = await nextEvent(consoleSocket, 'device:status', (u) => u.deviceId === 'mt-noise-01' && u.status === 'offline', 5000);
    expect(silent[0].reason).toBe('heartbeat');
    await meter.endAsync();
  });

  it('marks a device offline from its last will', async () => {
    await call('PUT', '/api/devices/mt-aq-01', { kind: 'air_quality', name: 'Quan trắc không khí', lat: 10.36, lng: 106.36 });
    const { body: secret } = await call<DeviceCredentialsDto>('POST', '/api/devices/mt-aq-01/credentials');
    const station = await connectDevice(server.mqttUrl, 'mt-aq-01', {
      username: secret.username,
      password: secret.password,
      will: { topic: topics.status('mt-aq-01'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    const online = nextEvent(consoleSocket, 'device:status', (u) => u.deviceId === 'mt-aq-01' && u.status === 'online');
    await station.publishAsync(topics.status('mt-aq-01'), 'online', { qos: 1, retain: true });
    await online;
    const offline = nextEvent(consoleSocket, 'device:status', (u) => u.deviceId === 'mt-aq-01' && u.status === 'offline');
    station.stream.destroy();
    expect((await offline)[0].reason).toBe('reported');
    const { body } = await call<DeviceDto>('GET', '/api/devices/mt-aq-01');
    expect(body.status).toBe('offline');
    // The transition is streamed before its row is written: wait for the row.
    const rows = await eventually(async () => {
      const { rows: found } = await server.pool.query<{ type: string; reason: string }>(
        `SELECT e.type, e.attributes->>'reason' AS reason FROM device_events e JOIN devices d ON d.key = e.device_key
          WHERE d.id = 'mt-aq-01' ORDER BY e.time`,
      );
      return found.length >= 2 ? found : undefined;
    });
    expect(rows).toEqual([
      { type: 'went_online', reason: 'reported' },
      { type: 'went_offline', reason: 'reported' },
    ]);
    station.end(true);
  });
});

describe('latest values between two stores of the newest values', () => {
  let server: TestServer;
  let token: string;
  let device: MqttClient;
  const DEVICE = 'vt-wl-01';

  beforeAll(async () => {
    // The newest values reach the database once a minute here, so only the server's memory has the second reading.
    server = await startTestServer({ INGEST_NEWEST_EVERY_MS: '60000' });
    token = (await server.session('operator')).accessToken;
    const admin = (await server.session('admin')).accessToken;
    device = await provisionDevice(server, admin, { id: DEVICE, kind: 'water_level', name: 'Trạm đo mực nước Vị Thanh', lat: 9.78, lng: 105.47 });
  });

  afterAll(async () => {
    await device?.endAsync();
    await server?.close();
  });

  const storedNewest = async () => {
    const { rows } = await server.pool.query<{ value: number }>(
      `SELECT l.value FROM telemetry_latest l JOIN devices d ON d.key = l.device_key WHERE d.id = $1`,
      [DEVICE],
    );
    return rows.map((r) => r.value);
  };

  it('shows a reading as the latest value as soon as it is accepted, before the database has it as the newest', async () => {
    const publish = (ts: number, value: number) =>
      device.publishAsync(topics.telemetry(DEVICE), JSON.stringify({ ts, metrics: { water_level: value } }), { qos: 1 });
    const first = Date.now() - 2000;
    await publish(first, 1.5);
    // The first write of a run stores the newest values at once.
    await eventually(async () => ((await storedNewest()).length === 1 ? true : undefined));

    const second = first + 1000;
    await publish(second, 2.02);
    const { body } = await api<DeviceDto>(server.baseUrl, 'GET', `/api/devices/${DEVICE}`, undefined, token);
    expect(body.latest.water_level).toEqual({ value: 2.02, ts: new Date(second).toISOString() });
    const { body: all } = await api<DeviceDto[]>(server.baseUrl, 'GET', '/api/devices', undefined, token);
    expect(all.find((d) => d.id === DEVICE)?.latest.water_level.value).toBe(2.02);
    expect(await storedNewest()).toEqual([1.5]);
  });
});
