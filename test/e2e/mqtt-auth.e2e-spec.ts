import type { MqttClient } from 'mqtt';
import { topics, type DeviceCredentialsDto, type DeviceDto, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';

jest.setTimeout(60_000);

describe('the embedded broker lets each device reach only what is its own', () => {
  let server: TestServer;
  let token: string;
  const secrets: Record<string, string> = {};
  const call = <T = unknown>(method: string, path: string, body?: unknown) => api<T>(server.baseUrl, method, path, body, token);

  const provision = async (id: string, extra: Record<string, unknown> = {}) => {
    const res = await call<ProvisionedDeviceDto>('POST', '/api/devices', { id, kind: 'salinity', name: id, lat: 10.3, lng: 106.7, ...extra });
    expect(res.status).toBe(201);
    secrets[id] = res.body.credentials.password;
  };
  const connectAs = (id: string, password = secrets[id]) => connectDevice(server.mqttUrl, id, { username: id, password });
  const latest = async (id: string) => (await call<DeviceDto>('GET', `/api/devices/${id}`)).body.latest;
  const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));
  const reading = (value: number) => JSON.stringify({ ts: Date.now(), metrics: { salinity: value } });

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('admin')).accessToken;
    await provision('gcd-sal-11');
    await provision('gcd-sal-12');
    await provision('gw-01', { kind: 'gateway' });
    await provision('gcd-sal-13', { gatewayId: 'gw-01' });
  });
  afterAll(() => server?.close());

  it.each([
    ['a wrong password', 'gcd-sal-11', 'not-the-secret'],
    ['no password', 'gcd-sal-11', undefined],
    ['an unknown device', 'nobody-01', 'whatever-it-is'],
  ])('refuses %s', async (_what, id, password) => {
    await expect(connectDevice(server.mqttUrl, id, { username: id, password })).rejects.toThrow(/Bad username or password/);
  });

  it('refuses a username that is not the client id', async () => {
    await expect(connectDevice(server.mqttUrl, 'gcd-sal-11', { username: 'gcd-sal-12', password: secrets['gcd-sal-12'] })).rejects.toThrow(
      /Bad username or password/,
    );
  });

  it('disconnects a device that publishes as another, stores nothing for it, and keeps serving the others', async () => {
    const intruder = await connectAs('gcd-sal-11');
    const honest = await connectAs('gcd-sal-12');
    const gone = closed(intruder);
    intruder.publish(topics.telemetry('gcd-sal-12'), reading(99), { qos: 1 });
    await gone;
    await honest.publishAsync(topics.telemetry('gcd-sal-12'), reading(2.2), { qos: 1 });
    await eventually(async () => ((await latest('gcd-sal-12')).salinity?.value === 2.2 ? true : undefined));
    await honest.endAsync();
    intruder.end(true);
  });

  it('answers a subscription to everything, or to another device, with a failure code', async () => {
    const device = await connectAs('gcd-sal-11');
    for (const filter of ['#', topics.command('gcd-sal-12'), 'ioc/v1/+/telemetry']) {
      await expect(device.subscribeAsync(filter, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    }
    const [own] = await device.subscribeAsync(topics.command('gcd-sal-11'), { qos: 1 });
    expect(own.qos).toBe(1);
    expect(device.connected).toBe(true);
    await device.endAsync();
  });

  it('lets a gateway publish for its registered children only', async () => {
    const gateway = await connectAs('gw-01');
    await gateway.publishAsync(topics.telemetry('gcd-sal-13'), reading(3.3), { qos: 1 });
    await eventually(async () => ((await latest('gcd-sal-13')).salinity?.value === 3.3 ? true : undefined));
    const gone = closed(gateway);
    gateway.publish(topics.telemetry('gcd-sal-12'), reading(77), { qos: 1 });
    await gone;
    gateway.end(true);
    expect((await latest('gcd-sal-12')).salinity?.value).not.toBe(77);
  });

  it('drops a revoked device at once and refuses it afterwards', async () => {
    const device = await connectAs('gcd-sal-11');
    const gone = closed(device);
    const revoked = await call<DeviceDto>('DELETE', '/api/devices/gcd-sal-11/credentials');
    expect(revoked.body.credentials.state).toBe('revoked');
    await gone;
    device.end(true);
    await expect(connectAs('gcd-sal-11')).rejects.toThrow(/Bad username or password/);
  });

  it('rotates a secret: the new one works, the old one no longer does', async () => {
    const old = secrets['gcd-sal-12'];
    const { body: fresh } = await call<DeviceCredentialsDto>('POST', '/api/devices/gcd-sal-12/credentials');
    expect(fresh.password).not.toBe(old);
    await expect(connectAs('gcd-sal-12', old)).rejects.toThrow(/Bad username or password/);
    const device = await connectAs('gcd-sal-12', fresh.password);
    await device.endAsync();
  });

  it('refuses a gateway that is not one', async () => {
    const res = await call<{ message: string }>('POST', '/api/devices', { id: 'x-01', kind: 'noise', name: 'x', lat: 10.3, lng: 106.7, gatewayId: 'gcd-sal-12' });
    expect(res).toMatchObject({ status: 400, body: { message: 'gatewayId: gcd-sal-12 is not a registered gateway' } });
  });
});
