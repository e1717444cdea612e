import type { MqttClient } from 'mqtt';
import type { DeadLetterDto, HealthDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, eventually, provisionDevice } from '../support/clients';

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
        `SELECT t.value FROM telemetry t JOIN devices d ON d.key = t.device_key WHERE d.id = 'mt-ws-02'`,
      );
      return rows.length > 0 ? rows.map((r) => r.value) : undefined;
    });
    expect(stored).toEqual([27.5]);
    const letters = await deadLetters('mt-ws-02');
    expect(letters.map((l) => [l.reason, l.message])).toEqual([['unsupported', expect.stringMatching(/version 11 .*newer than 10/)]]);
  });
});
