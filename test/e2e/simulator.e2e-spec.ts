import { pino } from 'pino';
import type { DeviceDto, RuleDto } from '@ioc/contracts';
import { loadConfig } from '../../simulators/city-fleet/config';
import { startSimulator, type RunningSimulator } from '../../simulators/city-fleet/run';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, eventually } from '../support/clients';

jest.setTimeout(60_000);

describe('the city fleet against the real server', () => {
  let server: TestServer;
  let fleet: RunningSimulator | undefined;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('operator')).accessToken;
  });
  afterAll(async () => {
    await fleet?.stop();
    await server?.close();
  });

  it('logs in, registers its devices and rules, and streams readings that reach the map', async () => {
    const config = loadConfig({ SERVER_URL: server.baseUrl, SIM_DEVICES: '4', SIM_INTERVAL_MS: '300' });
    fleet = await startSimulator(config, pino({ level: 'silent' }), new AbortController().signal);
    const devices = await eventually(async () => {
      const { body } = await api<DeviceDto[]>(server.baseUrl, 'GET', '/api/devices', undefined, token);
      return body.length === 4 && body.every((d) => d.status === 'online' && Object.keys(d.latest).length > 0) ? body : undefined;
    });
    expect(devices.every((d) => d.areas.length > 0)).toBe(true);
    const { body: rules } = await api<RuleDto[]>(server.baseUrl, 'GET', '/api/rules', undefined, token);
    expect(rules.length).toBeGreaterThan(0);

    await fleet.stop();
    fleet = undefined;
    const offline = await eventually(async () => {
      const { body } = await api<DeviceDto[]>(server.baseUrl, 'GET', '/api/devices', undefined, token);
      return body.every((d) => d.status === 'offline') ? body : undefined;
    });
    expect(offline).toHaveLength(4);
  });

  it('stops with the server message when its credentials are wrong', async () => {
    const config = loadConfig({ SERVER_URL: server.baseUrl, SIM_PASSWORD: 'not-the-password' });
    await expect(startSimulator(config, pino({ level: 'silent' }), new AbortController().signal)).rejects.toThrow(
      /POST \/api\/auth\/login answered 401: wrong username or password/,
    );
  });
});
