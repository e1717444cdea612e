import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { alertRuleSchema, replaceDeviceSchema, type ApiErrorBody, type HealthDto } from '@ioc/contracts';
import { demoRules } from './demo';
import { FLEET } from './fleet';
import { ApiError, brokerUrlFromHealth, seed, ServerApi, waitForHealth } from './server-api';

const log = pino({ level: 'silent' });

const HEALTH: HealthDto = {
  status: 'ok',
  version: 'test',
  database: { mode: 'embedded', up: true, engine: 'PostgreSQL 17', timescaledb: false, timescaledbVersion: null, partitioning: 'declarative', rollups: null, failingJobs: null },
  ingest: { messages: 0, accepted: 0, refused: 0, samples: 0, events: 0, rejected: {}, pauses: 0 },
  spool: null,
  mqtt: { mode: 'embedded', connected: true, port: 1883, wsPort: 8883, refused: { logins: 0, publishes: 0, oversize: 0 } },
  roles: ['ingest', 'api', 'realtime'],
};

/** Just enough of the ioc API, validating bodies with the contracts as the real server does. */
class FakeApi {
  readonly devices = new Map<string, unknown>();
  readonly rules: { id: number; name: string }[] = [];
  readonly requests: string[] = [];
  healthFailures = 0;
  rejectDevices = false;
  private server: Server | undefined;

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : undefined;
    const route = `${req.method} ${req.url}`;
    this.requests.push(route);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const badRequest = (message: string, issues: ApiErrorBody['issues']) =>
      send(400, { statusCode: 400, error: 'Bad Request', message, issues } satisfies ApiErrorBody);

    if (route === 'GET /api/health') {
      if (this.healthFailures > 0) {
        this.healthFailures--;
        send(503, { statusCode: 503, error: 'Service Unavailable', message: 'starting' });
      } else send(200, HEALTH);
      return;
    }
    const device = /^PUT \/api\/devices\/([^/]+)$/.exec(route);
    if (device) {
      const parsed = replaceDeviceSchema.safeParse(body);
      if (this.rejectDevices) return badRequest('invalid device', [{ path: 'lat', message: 'out of the pilot' }]);
      if (!parsed.success) return badRequest(parsed.error.message, []);
      const created = !this.devices.has(device[1]);
      this.devices.set(device[1], parsed.data);
      return send(created ? 201 : 200, { id: device[1], ...parsed.data });
    }
    const credentials = /^POST \/api\/devices\/([^/]+)\/credentials$/.exec(route);
    if (credentials) {
      if (!this.devices.has(credentials[1])) return send(404, { statusCode: 404, error: 'not_found', message: 'no such device' });
      return send(201, { deviceId: credentials[1], username: credentials[1], password: `${credentials[1]}-secret`, issuedAt: new Date().toISOString() });
    }
    if (route === 'GET /api/rules') return send(200, this.rules);
    if (route === 'POST /api/rules') {
      const parsed = alertRuleSchema.safeParse(body);
      if (!parsed.success) {
        return badRequest('invalid rule', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
      }
      const { scope } = parsed.data;
      const unknown = scope.type === 'devices' ? scope.deviceIds.filter((id) => !this.devices.has(id)) : [];
      if (unknown.length > 0) return badRequest(`unknown devices in the scope: ${unknown.join(', ')}`, []);
      const rule = { id: this.rules.length + 1, ...parsed.data };
      this.rules.push(rule);
      return send(201, rule);
    }
    send(404, { statusCode: 404, error: 'Not Found', message: `Cannot ${route}` });
  }
}

describe('ServerApi', () => {
  let fake: FakeApi;
  let api: ServerApi;

  beforeEach(async () => {
    fake = new FakeApi();
    api = new ServerApi(await fake.listen());
  });
  afterEach(() => fake.close());

  it('seeds every device by PUT without its id, and the demo rules once', async () => {
    const rules = demoRules(FLEET);
    const secrets = await seed(api, FLEET, rules, log);
    expect(fake.devices.size).toBe(FLEET.length);
    expect(secrets.size).toBe(FLEET.length);
    expect(secrets.get('mt-wl-01')).toBe('mt-wl-01-secret');
    expect(fake.requests).toContain('PUT /api/devices/mt-wl-01');
    expect(fake.devices.get('mt-wl-01')).not.toHaveProperty('id');
    expect(fake.rules.map((r) => r.name)).toEqual(rules.map((r) => r.name));
  });

  it('is idempotent: seeding again changes nothing', async () => {
    const rules = demoRules(FLEET);
    await seed(api, FLEET, rules, log);
    const devices = new Map(fake.devices);
    await seed(api, FLEET, rules, log);
    expect(fake.devices).toEqual(devices);
    expect(fake.rules).toHaveLength(rules.length);
  });

  it('creates only the rules whose name is missing', async () => {
    const rules = demoRules(FLEET);
    fake.rules.push({ id: 1, name: rules[0].name });
    await seed(api, FLEET, rules, log);
    expect(fake.requests.filter((r) => r === 'POST /api/rules')).toHaveLength(rules.length - 1);
  });

  it("stops at a 4xx with the server's message and issues", async () => {
    fake.rejectDevices = true;
    const error: unknown = await seed(api, FLEET, [], log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      message: 'PUT /api/devices/mt-wl-01 answered 400: invalid device (lat: out of the pilot)',
    });
    expect(fake.requests).toEqual(['PUT /api/devices/mt-wl-01']);
  });

  it("stops at a rule the server refuses, with the server's issues", async () => {
    const [rule] = demoRules(FLEET);
    const error: unknown = await seed(api, FLEET, [{ ...rule, messages: { ...rule.messages, vi: '{where}' } }], log).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^POST \/api\/rules answered 400: invalid rule \(messages\.vi: unknown placeholder \{where\}/),
    });
    expect(fake.rules).toEqual([]);
  });

  it('waits for the health check to answer 200', async () => {
    fake.healthFailures = 2;
    const mqtt = await waitForHealth(api, { log, firstDelayMs: 10 });
    expect(mqtt).toEqual({ port: 1883 });
    expect(fake.requests.filter((r) => r === 'GET /api/health')).toHaveLength(3);
  });

  it('gives up on a server that never answers, saying where it looked', async () => {
    await fake.close();
    await expect(waitForHealth(api, { log, deadlineMs: 300, firstDelayMs: 20 })).rejects.toThrow(
      /the server at http:\/\/127\.0\.0\.1:\d+ is not ready after 0 s: ECONNREFUSED/,
    );
  });

  it('stops waiting when aborted', async () => {
    fake.healthFailures = 1000;
    const abort = new AbortController();
    const waiting = waitForHealth(api, { log, signal: abort.signal, firstDelayMs: 50 });
    setTimeout(() => abort.abort(), 100);
    await expect(waiting).rejects.toThrow(/abort/i);
  });
});

describe('brokerUrlFromHealth', () => {
  it("uses the server's host and the port it reports", () => {
    expect(brokerUrlFromHealth('http://ioc.local:3000', { port: 1884 })).toBe('mqtt://ioc.local:1884');
    expect(brokerUrlFromHealth('http://[::1]:3000', { port: 1883 })).toBe('mqtt://[::1]:1883');
  });

  it('asks for MQTT_URL when the server has no broker port to give', () => {
    expect(() => brokerUrlFromHealth('http://ioc.local:3000', { port: null })).toThrow(/MQTT_URL/);
    expect(() => brokerUrlFromHealth('http://ioc.local:3000', null)).toThrow(/MQTT_URL/);
  });
});
