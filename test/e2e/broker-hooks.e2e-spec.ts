import type { BrokerHookResult, HealthDto, ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api } from '../support/clients';

jest.setTimeout(60_000);

const HOOK_TOKEN = 'emqx-hook-token-0123456789-abcdefghij';

/** What EMQX's HTTP authenticator and authorizer send, answered with the embedded broker's rules. */
describe('HTTP authentication and authorization for an external broker', () => {
  let server: TestServer;
  let secret: string;
  const hook = (path: string, body: unknown, token: string | undefined = HOOK_TOKEN) =>
    api<BrokerHookResult & { message?: string }>(server.baseUrl, 'POST', `/api/mqtt/${path}`, body, token);

  beforeAll(async () => {
    // An api-only process never connects to MQTT_URL; it only needs the server's broker account in it.
    server = await startTestServer({ MQTT_HOOK_TOKEN: HOOK_TOKEN, IOC_ROLES: 'api', MQTT_URL: 'mqtt://ioc-server:server-pass-123@emqx:1883' });
    const admin = (await server.session('admin')).accessToken;
    const created = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', { id: 'mt-noise-01', kind: 'noise', name: 'Tiếng ồn', lat: 10.36, lng: 106.36 }, admin);
    secret = created.body.credentials.password;
  });
  afterAll(() => server?.close());

  it.each([
    ['the device with its secret', { clientid: 'mt-noise-01', username: 'mt-noise-01', password: () => secret }, { result: 'allow' }],
    ['a wrong secret', { clientid: 'mt-noise-01', username: 'mt-noise-01', password: () => 'guess' }, { result: 'deny' }],
    ['a client id that is not the username', { clientid: 'other', username: 'mt-noise-01', password: () => secret }, { result: 'deny' }],
    ['an unknown device', { clientid: 'nobody', username: 'nobody', password: () => 'x' }, { result: 'deny' }],
    ['the server itself', { clientid: 'ioc-server-1', username: 'ioc-server', password: () => 'server-pass-123' }, { result: 'allow', is_superuser: true }],
    ['the server name with a wrong password', { clientid: 'x', username: 'ioc-server', password: () => 'nope' }, { result: 'deny' }],
  ])('authenticates %s', async (_who, { password, ...rest }, expected) => {
    const res = await hook('auth', { ...rest, password: password() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected);
  });

  it.each([
    ['mt-noise-01', 'mt-noise-01', 'ioc/v1/mt-noise-01/telemetry', 'publish', 'allow'],
    ['mt-noise-01', 'mt-noise-01', 'ioc/v1/mt-wl-01/telemetry', 'publish', 'deny'],
    ['mt-noise-01', 'mt-noise-01', 'ioc/v1/mt-noise-01/command', 'subscribe', 'allow'],
    ['mt-noise-01', 'mt-noise-01', '#', 'subscribe', 'deny'],
    ['ioc-server-1', 'ioc-server', 'ioc/v1/+/telemetry', 'subscribe', 'allow'],
    ['ioc-server-1', 'ioc-server', '$share/ioc/ioc/v1/+/telemetry', 'subscribe', 'allow'],
    ['ioc-server-1', 'ioc-server', '#', 'subscribe', 'deny'],
  ])('%s (%s) %s on %s: %s', async (clientid, username, topic, action, result) => {
    const res = await hook('acl', { clientid, username, topic, action });
    expect(res.body).toEqual({ result });
  });

  it('answers only the broker holding the hook token', async () => {
    const res = await hook('auth', { clientid: 'mt-noise-01', username: 'mt-noise-01', password: secret }, 'wrong-token');
    expect(res).toMatchObject({ status: 401, body: { message: 'broker hook token missing or wrong' } });
    expect((await hook('auth', { clientid: 'a' }, '')).status).toBe(401);
  });

  it.each([
    ['auth', { clientid: 42 }],
    ['acl', { clientid: 'mt-noise-01', topic: 'x', action: 'delete' }],
    ['acl', 'not json at all'],
  ])('answers a caller without the token 401 before looking at its question (%s, %j)', async (path, body) => {
    for (const token of ['', 'wrong-token']) {
      const res = await hook(path, body, token);
      expect(res).toMatchObject({ status: 401, body: { message: 'broker hook token missing or wrong' } });
    }
  });

  it('refuses a malformed question from the broker with 400', async () => {
    const res = await hook('acl', { clientid: 'mt-noise-01', topic: 'x', action: 'delete' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/action/);
    const notJson = await hook('auth', 'not json at all');
    expect(notJson.status).toBe(400);
    expect(notJson.body.message).toMatch(/not valid JSON/);
  });
});

describe('with an external broker, the refusals the hooks answer are counted in the health', () => {
  let server: TestServer;
  const hook = (path: string, body: unknown) => api<BrokerHookResult>(server.baseUrl, 'POST', `/api/mqtt/${path}`, body, HOOK_TOKEN);
  const refused = async () => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body.mqtt?.refused;

  beforeAll(async () => {
    // Every role, connected to the machine's Mosquitto (as in external-broker.e2e-spec.ts).
    server = await startTestServer({ MQTT_HOOK_TOKEN: HOOK_TOKEN, MQTT_URL: process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883' });
  });
  afterAll(() => server?.close());

  it('counts denied logins and denied publishes, not subscriptions', async () => {
    expect(await refused()).toEqual({ logins: 0, publishes: 0, oversize: 0 });
    expect((await hook('auth', { clientid: 'nobody', username: 'nobody', password: 'x' })).body).toEqual({ result: 'deny' });
    expect((await hook('acl', { clientid: 'nobody', username: 'nobody', topic: 'ioc/v1/mt-wl-01/telemetry', action: 'publish' })).body).toEqual({ result: 'deny' });
    expect((await hook('acl', { clientid: 'nobody', username: 'nobody', topic: '#', action: 'subscribe' })).body).toEqual({ result: 'deny' });
    expect(await refused()).toEqual({ logins: 1, publishes: 1, oversize: 0 });
  });
});
