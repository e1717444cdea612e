import { connect as connectTcp, type Socket } from 'node:net';
import { generate } from 'mqtt-packet';
import WebSocket from 'ws';
import { topics, type DeadLetterDto, type DeviceDto, type HealthDto, type MqttRefusalCounts, type ProvisionedDeviceDto } from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';

jest.setTimeout(90_000);

const MB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** A fixed header: the type and flags byte, then the remaining length, 7 bits a byte. */
function fixedHeader(typeAndFlags: number, remaining: number): Buffer {
  const bytes = [typeAndFlags];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    bytes.push(byte);
  } while (remaining > 0);
  return Buffer.from(bytes);
}

/**
 * Sends up to `total` bytes in 64 KiB chunks, a little at a time so the server reads as it goes,
 * until the server closes the connection. Answers how many bytes the server took.
 */
async function sendUntilClosed(send: (chunk: Buffer, done: (err?: Error | null) => void) => void, isClosed: () => boolean, total: number): Promise<number> {
  let accepted = 0;
  while (!isClosed() && accepted < total) {
    const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, total - accepted));
    const ok = await new Promise<boolean>((resolve) => send(chunk, (err) => resolve(!err)));
    if (!ok) break;
    accepted += chunk.length;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return accepted;
}

interface RawConnection {
  socket: Socket;
  received: Buffer[];
  closed: Promise<void>;
  isClosed(): boolean;
}

function rawTcp(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closed = false;
    const whenClosed = new Promise<void>((done) =>
      socket.once('close', () => {
        closed = true;
        done();
      }),
    );
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // A reset while the test still writes is the point of these tests.
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received, closed: whenClosed, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

const tcpSend = (socket: Socket) => (chunk: Buffer, done: (err?: Error | null) => void) => socket.write(chunk, done);

describe('the embedded broker refuses oversize packets by their declared size, before reading them', () => {
  let server: TestServer;
  let token: string;
  let mqttPort: number;
  let wsUrl: string;
  let secret: string;
  const id = 'mt-wl-21';
  const call = <T = unknown>(method: string, path: string, body?: unknown) => api<T>(server.baseUrl, method, path, body, token);
  const refused = async () => (await call<HealthDto>('GET', '/api/health')).body.mqtt!.refused;
  const refusedMore = async (before: MqttRefusalCounts, more: Partial<MqttRefusalCounts>) =>
    eventually(async () => {
      const now = await refused();
      const expected = { ...before };
      for (const [kind, n] of Object.entries(more) as [keyof MqttRefusalCounts, number][]) expected[kind] += n;
      return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
    });
  const connectPacket = (password: string) =>
    generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: id, username: id, password: Buffer.from(password) });

  beforeAll(async () => {
    server = await startTestServer();
    token = (await server.session('admin')).accessToken;
    const created = await call<ProvisionedDeviceDto>('POST', '/api/devices', { id, kind: 'water_level', name: 'Mực nước', lat: 10.36, lng: 106.36 });
    secret = created.body.credentials.password;
    const health = (await call<HealthDto>('GET', '/api/health')).body;
    mqttPort = health.mqtt!.port!;
    wsUrl = `ws://127.0.0.1:${health.mqtt!.wsPort}`;
  });
  afterAll(() => server?.close());

  it('closes a connection whose CONNECT declares 50 MB, before taking it in', async () => {
    const before = await refused();
    const rssBefore = process.memoryUsage().rss;
    const raw = await rawTcp(mqttPort);
    raw.socket.write(fixedHeader(0x10, 50 * MB));
    const accepted = await sendUntilClosed(tcpSend(raw.socket), raw.isClosed, 50 * MB);
    await raw.closed;
    expect(accepted).toBeLessThan(1 * MB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(20 * MB);
    await refusedMore(before, { oversize: 1 });
  });

  it('disconnects a logged-in device whose PUBLISH declares 120 MB, before reading or acknowledging it', async () => {
    const before = await refused();
    const raw = await rawTcp(mqttPort);
    raw.socket.write(connectPacket(secret));
    await eventually(async () => (Buffer.concat(raw.received).equals(Buffer.from([0x20, 0x02, 0x00, 0x00])) ? true : undefined));
    raw.received.length = 0;
    const topic = Buffer.from(topics.telemetry(id));
    const payloadBytes = 120 * MB;
    const variableHeader = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([0x00, 0x01])]);
    // PUBLISH, QoS 1: the broker would answer PUBACK (0x40) once it took the message.
    raw.socket.write(Buffer.concat([fixedHeader(0x32, variableHeader.length + payloadBytes), variableHeader]));
    const accepted = await sendUntilClosed(tcpSend(raw.socket), raw.isClosed, payloadBytes);
    await raw.closed;
    expect(accepted).toBeLessThan(1 * MB);
    expect(Buffer.concat(raw.received).includes(0x40)).toBe(false);
    await refusedMore(before, { oversize: 1 });
  });

  it('still takes a normal publish from the same device on a new connection, and reads a payload just over the limit as a dead letter', async () => {
    const device = await connectDevice(server.mqttUrl, id, { username: id, password: secret });
    try {
      await device.publishAsync(topics.telemetry(id), JSON.stringify({ ts: Date.now(), metrics: { water_level: 1.25 } }), { qos: 1 });
      await eventually(async () => ((await call<DeviceDto>('GET', `/api/devices/${id}`)).body.latest.water_level?.value === 1.25 ? true : undefined));
      // 64 KiB + 1: over MQTT_MAX_PAYLOAD_BYTES but within the room the broker leaves, so it is read,
      // acknowledged and kept as a dead letter; the connection stays.
      await device.publishAsync(topics.telemetry(id), Buffer.alloc(64 * 1024 + 1, 0x20), { qos: 1 });
      const letter = await eventually(async () => (await call<DeadLetterDto[]>('GET', `/api/dead-letters?deviceId=${id}`)).body[0]);
      expect(letter.reason).toBe('payload_too_large');
      expect(device.connected).toBe(true);
    } finally {
      await device.endAsync();
    }
  });

  it('closes a WebSocket connection whose CONNECT declares 50 MB, and one sending a message over the limit', async () => {
    const before = await refused();
    const open = async () => {
      const ws = new WebSocket(wsUrl, 'mqtt');
      let closed = false;
      const whenClosed = new Promise<void>((resolve) =>
        ws.once('close', () => {
          closed = true;
          resolve();
        }),
      );
      ws.on('error', () => undefined);
      await new Promise((resolve) => ws.once('open', resolve));
      return { ws, closed: whenClosed, isClosed: () => closed };
    };
    const wsSend = (ws: WebSocket) => (chunk: Buffer, done: (err?: Error | null) => void) => ws.send(chunk, done);

    const first = await open();
    first.ws.send(fixedHeader(0x10, 50 * MB));
    const accepted = await sendUntilClosed(wsSend(first.ws), first.isClosed, 50 * MB);
    await first.closed;
    expect(accepted).toBeLessThan(1 * MB);

    // One 1 MB message: ws refuses it by its frame header (close code 1009), MQTT never sees it.
    const second = await open();
    const code = new Promise<number>((resolve) => second.ws.once('close', resolve));
    second.ws.send(Buffer.concat([fixedHeader(0x10, MB), Buffer.alloc(MB)]));
    expect(await code).toBe(1009);
    await refusedMore(before, { oversize: 2 });
  });

  it('takes a normal publish over WebSocket', async () => {
    const device = await connectDevice(wsUrl, id, { username: id, password: secret });
    try {
      await device.publishAsync(topics.telemetry(id), JSON.stringify({ ts: Date.now(), metrics: { water_level: 2.5 } }), { qos: 1 });
      await eventually(async () => ((await call<DeviceDto>('GET', `/api/devices/${id}`)).body.latest.water_level?.value === 2.5 ? true : undefined));
    } finally {
      await device.endAsync();
    }
  });

  it('counts refused logins and publishes where a device may not in its health', async () => {
    const before = await refused();
    await expect(connectDevice(server.mqttUrl, id, { username: id, password: 'not-the-secret' })).rejects.toThrow(/Bad username or password/);
    await refusedMore(before, { logins: 1 });

    const intruder = await connectDevice(server.mqttUrl, id, { username: id, password: secret });
    const gone = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
    intruder.publish(topics.telemetry('mt-wl-99'), JSON.stringify({ ts: Date.now(), metrics: { water_level: 9 } }), { qos: 1 });
    await gone;
    intruder.end(true);
    await refusedMore(before, { logins: 1, publishes: 1 });
  });
});
