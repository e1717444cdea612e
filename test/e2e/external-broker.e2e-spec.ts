import { randomBytes } from 'node:crypto';
import { topics, type DeadLetterDto, type DeviceDto, type HealthDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';

jest.setTimeout(60_000);

/** The machine's Mosquitto; CI and every developer machine run one on this address. */
const MOSQUITTO = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

describe('with MQTT_URL set, the server is a client of that broker', () => {
  let server: TestServer;
  let token: string;
  const call = <T = unknown>(method: string, path: string, body?: unknown) =>
    api<T>(server.baseUrl, method, path, body, token);
  // The broker is shared with whatever else runs on the machine: a fresh id per run.
  const id = `ext-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    server = await startTestServer({ MQTT_URL: MOSQUITTO });
    token = (await server.session('admin')).accessToken;
    await call('PUT', `/api/devices/${id}`, { kind: 'noise', name: 'Tiếng ồn chợ Mỹ Tho', lat: 10.357, lng: 106.36 });
  });
  afterAll(() => server?.close());

  it('reports the external broker in its health', async () => {
    const { body } = await call<HealthDto>('GET', '/api/health');
    expect(body.mqtt).toEqual({ mode: 'external', connected: true, port: null, wsPort: null, refused: { logins: 0, publishes: 0, oversize: 0 } });
  });

  it('stores what a device publishes to the external broker, and its status', async () => {
    const device = await connectDevice(MOSQUITTO, id);
    try {
      await device.publishAsync(topics.status(id), 'online', { qos: 1 });
      await device.publishAsync(topics.telemetry(id), JSON.stringify({ ts: Date.now(), metrics: { noise: 71 } }), { qos: 1 });
      const stored = await eventually(async () => {
        const { body } = await call<DeviceDto>('GET', `/api/devices/${id}`);
        return body.latest.noise ? body : undefined;
      });
      expect(stored.latest.noise.value).toBe(71);
      expect(stored.status).toBe('online');
    } finally {
      await device.endAsync();
    }
  });

  it('dead-letters what an unregistered device publishes through a broker without our access rules', async () => {
    const stranger = `unk-${randomBytes(4).toString('hex')}`;
    const device = await connectDevice(MOSQUITTO, stranger);
    try {
      await device.publishAsync(topics.telemetry(stranger), JSON.stringify({ ts: Date.now(), metrics: { noise: 60 } }), { qos: 1 });
      const letter = await eventually(async () => {
        const { body } = await call<DeadLetterDto[]>('GET', `/api/dead-letters?deviceId=${stranger}`);
        return body[0];
      });
      expect(letter).toMatchObject({ reason: 'unknown_device', message: `device ${stranger} is not registered` });
    } finally {
      await device.endAsync();
    }
  });

  it('stops with a message naming MQTT_URL when the broker cannot be reached', async () => {
    await expect(startTestServer({ MQTT_URL: 'mqtt://127.0.0.1:1' })).rejects.toThrow(/MQTT_URL mqtt:\/\/127\.0\.0\.1:1: cannot connect/);
  });
});
