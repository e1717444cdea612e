import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './webhook-sender';

/** A receiver on a free port of this machine, answering as `handle` says. */
async function receiver(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('sending one webhook', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });
  const never = new AbortController().signal;

  it('posts the body with its headers and takes a 2xx as delivered', async () => {
    let seen: { method?: string; type?: string; custom?: string; body?: string } = {};
    const r = await receiver((req, res, body) => {
      seen = { method: req.method, type: req.headers['content-type'], custom: req.headers['x-ioc-event'] as string, body };
      res.writeHead(202).end('accepted');
    });
    servers.push(r.server);
    expect(await send(r.url, '{"a":1}', { 'x-ioc-event': 'trigger' }, 2000, never)).toEqual({ ok: true, statusCode: 202 });
    expect(seen).toEqual({ method: 'POST', type: 'application/json', custom: 'trigger', body: '{"a":1}' });
  });

  it('keeps the status, the start of the body and Retry-After of a refusal', async () => {
    const r = await receiver((_req, res) => res.writeHead(503, { 'retry-after': '7' }).end(`busy ${'x'.repeat(5000)}`));
    servers.push(r.server);
    const result = await send(r.url, '{}', {}, 2000, never);
    expect(result).toMatchObject({ ok: false, statusCode: 503, retryAfterMs: 7000 });
    expect(!result.ok && result.error.startsWith('HTTP 503: busy xxx')).toBe(true);
    expect(!result.ok && result.error.length).toBeLessThan(320);
  });

  it('does not follow a redirect', async () => {
    const r = await receiver((_req, res) => res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end());
    servers.push(r.server);
    expect(await send(r.url, '{}', {}, 2000, never)).toMatchObject({ ok: false, statusCode: 307, error: 'HTTP 307' });
  });

  it('gives up on a receiver that never answers after the timeout', async () => {
    const r = await receiver(() => undefined);
    servers.push(r.server);
    const started = Date.now();
    expect(await send(r.url, '{}', {}, 300, never)).toEqual({ ok: false, statusCode: null, error: 'no answer within 300 ms', retryAfterMs: null });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('says why a connection failed', async () => {
    const r = await receiver(() => undefined);
    const url = r.url;
    await close(r.server);
    const result = await send(url, '{}', {}, 2000, never);
    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(!result.ok && result.error).toMatch(/ECONNREFUSED/);
  });

  it('stops at once when the server stops', async () => {
    const r = await receiver(() => undefined);
    servers.push(r.server);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    expect(await send(r.url, '{}', {}, 10_000, stop.signal)).toMatchObject({ ok: false, error: 'the server stopped during the attempt' });
  });
});
