import type { ApiErrorBody, AuditEntryDto, DeadLetterDto, DeviceEventPageDto, HealthDto, ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, eventually, provisionDevice } from '../support/clients';

jest.setTimeout(60_000);

/** `{"a":{"a":…{"a":1}}}`, `levels` objects deep, as JSON text (too deep for JSON.stringify). */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const station = { kind: 'water_level', name: 'Trạm Cầu Quay', lat: 10.3546, lng: 106.3655 };

describe('bad input answers 4xx naming the field, and is audited', () => {
  let server: TestServer;
  let token: string;
  const call = <T = ApiErrorBody>(method: string, path: string, body?: unknown) =>
    api<T>(server.baseUrl, method, path, body, token);
  const post = (path: string, raw: string) =>
    fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: raw,
    });
  /** The audit entry of a POST to the devices API with this status (and details), once written. */
  const audited = (status: number, details?: (d: AuditEntryDto['details']) => boolean) =>
    eventually(async () => {
      const { body } = await call<AuditEntryDto[]>('GET', '/api/audit?targetType=devices');
      return body.find((e) => e.status === status && e.action === 'POST /api/devices' && (details?.(e.details) ?? true));
    });

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('admin')).accessToken;
  });
  afterAll(() => server?.close());

  afterEach(async () => {
    // Whatever was refused, the server still serves.
    const health = await call<HealthDto>('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body.database.up).toBe(true);
  });

  it.each([
    ['/api/events?areaId=my%00tho', 'areaId'],
    ['/api/incidents?areaId=%00', 'areaId'],
    ['/api/audit?actor=ad%00min', 'actor'],
    ['/api/history/latest?areaId=a%01b', 'areaId'],
  ])('refuses a control character in a query: GET %s', async (path, field) => {
    const res = await call('GET', path);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(field);
    expect(res.body.issues?.map((i) => i.path)).toContain(field);
  });

  it.each([
    ['GET', '/api/devices/a%00b'],
    ['PATCH', '/api/devices/a%00b'],
    ['GET', '/api/devices/a%00b/commands'],
    ['GET', '/api/history/devices/a%00b?from=2026-01-01T00:00:00Z'],
    ['GET', '/api/history/areas/a%00b?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'],
    ['GET', '/api/incidents/a%00b'],
    ['PATCH', '/api/users/1%00'],
  ])('answers a NUL in a path with 4xx, not 500: %s %s', async (method, path) => {
    const res = await call(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['POST', '/api/devices', { id: 'nul-name', ...station, name: 'Trạm\u0000Cầu' }, 'name'],
    ['PUT', '/api/devices/nul-meta', { ...station, metadata: { note: 'a\u0000b' } }, 'metadata.note'],
    ['PUT', '/api/devices/nul-key', { ...station, metadata: { 'bad\u0000key': 1 } }, 'metadata'],
    ['PUT', '/api/devices/nul-list', { ...station, metadata: { tags: ['ok', 'x\u0000'] } }, 'metadata.tags.1'],
    ['PUT', '/api/devices/surrogate', { ...station, metadata: { note: 'half \ud800 a pair' } }, 'metadata.note'],
  ])('refuses NUL and unpaired surrogates in a body: %s %s', async (method, path, body, field) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(400);
    expect(res.body.issues?.map((i) => i.path)).toContain(field);
    expect(res.body.message).toContain(field);
  });

  it('refuses a PATCH whose name holds NUL, and keeps the device as it was', async () => {
    expect((await call('PUT', '/api/devices/patched', station)).status).toBe(200);
    const res = await call('PATCH', '/api/devices/patched', { name: '\u0000' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('name');
    expect((await call<{ name: string }>('GET', '/api/devices/patched')).body.name).toBe(station.name);
  });

  it('refuses metadata nested 5,000 levels deep with 400 naming the field, and audits it', async () => {
    const res = await post('/api/devices', `${JSON.stringify({ id: 'deep', ...station }).slice(0, -1)},"metadata":{"deep":${nested(5000)}}}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.message).toContain('metadata.deep');
    expect(body.message).toMatch(/levels/);
    const entry = await audited(400, (d) => d?.id === 'deep');
    expect(entry.actor?.username).toBe('admin');
    expect(entry.details).toMatchObject({ kind: 'water_level', metadata: { deep: { a: { a: {} } } } });
    expect(JSON.stringify(entry.details)).toContain('[nested too deep]');
  });

  it('audits a refused body holding NUL, keeping its details without the NUL', async () => {
    const res = await call('POST', '/api/devices', { id: 'nul-audited', ...station, metadata: { note: 'a\u0000b' } });
    expect(res.status).toBe(400);
    const entry = await audited(400, (d) => d?.id === 'nul-audited');
    expect(entry.actor?.username).toBe('admin');
    expect(entry.details).toMatchObject({ metadata: { note: 'ab' } });
  });

  it('audits a change refused for a NUL in its path', async () => {
    expect((await call('DELETE', '/api/devices/gone%00away')).status).toBe(400);
    await eventually(async () => {
      const { body } = await call<AuditEntryDto[]>('GET', '/api/audit?targetType=devices');
      return body.find((e) => e.action === 'DELETE /api/devices/:id' && e.targetId === 'goneaway');
    });
  });

  it('answers 413 to a body over 256 kB, and audits the attempt', async () => {
    const res = await post('/api/devices', JSON.stringify({ id: 'huge', ...station, metadata: { blob: 'x'.repeat(300_000) } }));
    expect(res.status).toBe(413);
    const body = (await res.json()) as ApiErrorBody;
    expect(body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
    expect(body.message).toContain('256 kB');
    const entry = await audited(413);
    expect(entry.details).toBeNull();
  });

  it('answers 400 to a body that is not JSON, and audits the attempt', async () => {
    const res = await post('/api/devices', '{"id": "broken", ');
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.message).toMatch(/JSON/);
    await audited(400, (d) => d === null);
  });

  it('answers 415 to a body in a charset it cannot read, and audits the attempt', async () => {
    const res = await fetch(`${server.baseUrl}/api/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=klingon' },
      body: JSON.stringify({ id: 'klingon', ...station }),
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as ApiErrorBody).message).toContain('KLINGON');
    await audited(415);
  });

  it('still takes a good device after all that', async () => {
    const res = await call<ProvisionedDeviceDto>('POST', '/api/devices', { id: 'fine', ...station, metadata: { note: 'line one\nline two\ttabbed' } });
    expect(res.status).toBe(201);
    expect(res.body.device.metadata).toEqual({ note: 'line one\nline two\ttabbed' });
  });

  it('files a device message holding NUL as a dead letter naming the field, and stores the next one', async () => {
    const camera = await provisionDevice(server, token, { id: 'cam-nul', kind: 'traffic_camera', name: 'Camera Ấp Bắc', lat: 10.36, lng: 106.35 });
    try {
      const event = (attributes: Record<string, string>, ts: string) => JSON.stringify({ ts, type: 'congestion', confidence: 0.9, attributes });
      await camera.publishAsync('ioc/v1/cam-nul/event', event({ lane: 'a\u0000b' }, '2026-12-03T01:00:00Z'), { qos: 1 });
      await camera.publishAsync('ioc/v1/cam-nul/event', event({ 'la\u0000ne': '2' }, '2026-12-03T01:00:01Z'), { qos: 1 });
      await camera.publishAsync('ioc/v1/cam-nul/command/ack', JSON.stringify({ id: '8a1c8f5e-2b8e-4f3c-9d1a-6f1b2c3d4e5f', status: 'error', message: 'x\u0000' }), { qos: 1 });
      await camera.publishAsync('ioc/v1/cam-nul/event', event({ lane: '2' }, '2026-12-03T01:00:02Z'), { qos: 1 });
      const letters = await eventually(async () => {
        const { body } = await call<DeadLetterDto[]>('GET', '/api/dead-letters?deviceId=cam-nul');
        return body.length === 3 ? body : undefined;
      });
      expect(letters.map((l) => l.reason)).toEqual(['invalid_payload', 'invalid_payload', 'invalid_payload']);
      expect(letters.map((l) => l.message).sort()).toEqual([
        expect.stringMatching(/attributes\.la.+ne/),
        expect.stringMatching(/attributes\.lane.*NUL/),
        expect.stringMatching(/message.*NUL/),
      ].sort());
      const stored = await eventually(async () => {
        const { body } = await call<DeviceEventPageDto>('GET', '/api/events?deviceId=cam-nul&type=congestion');
        return body.events.length > 0 ? body.events : undefined;
      });
      expect(stored.map((e) => e.attributes)).toEqual([{ lane: '2' }]);
    } finally {
      await camera.endAsync();
    }
  });
});
