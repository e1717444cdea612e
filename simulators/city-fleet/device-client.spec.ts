import { createServer, type AddressInfo, type Server } from 'node:net';
import { createBroker, type Client } from 'aedes';
import type Aedes from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { telemetryPayloadSchema, topics, type TelemetryPayload } from '@ioc/contracts';
import { SimulatedDevice, type PublishCounters } from './device-client';
import { FLEET } from './fleet';
import { createDeviceModel } from './models';

const log = pino({ level: 'silent' });

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SimulatedDevice', () => {
  let broker: Aedes;
  let server: Server;
  let brokerUrl: string;
  let observer: MqttClient;
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  const logins: { clientId: string; username?: string; password?: string }[] = [];

  beforeEach(async () => {
    messages.length = 0;
    logins.length = 0;
    broker = createBroker({
      authenticate: (client, username, password, done) => {
        logins.push({ clientId: client.id, username, password: password?.toString() });
        done(null, true);
      },
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    brokerUrl = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    observer = await connectAsync(brokerUrl, { clientId: 'observer' });
    observer.on('message', (topic, payload, packet) =>
      messages.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    await observer.subscribeAsync('ioc/v1/#', { qos: 1 });
  });

  afterEach(async () => {
    await observer.endAsync();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise((resolve) => server.close(resolve));
  });

  function start(id: string, counters: PublishCounters): SimulatedDevice {
    const device = FLEET.find((d) => d.id === id)!;
    const simulated = new SimulatedDevice(id, {
      brokerUrl,
      password: `${id}-secret`,
      intervalMs: 100,
      model: createDeviceModel(device, { seed: 1 }),
      counters,
      log,
    });
    simulated.start();
    return simulated;
  }

  it('logs in with its id and its secret', async () => {
    const device = start('mt-wl-01', { sent: 0, failed: 0, skipped: 0 });
    await until(() => device.connected);
    expect(logins).toContainEqual({ clientId: 'mt-wl-01', username: 'mt-wl-01', password: 'mt-wl-01-secret' });
    await device.stop();
  });

  it('says online, publishes valid telemetry with a rising seq, and says offline on stop', async () => {
    const counters: PublishCounters = { sent: 0, failed: 0, skipped: 0 };
    const device = start('mt-aq-01', counters);
    await until(() => messages.filter((m) => m.topic === topics.telemetry('mt-aq-01')).length >= 3);
    await device.stop();
    await until(() => messages.some((m) => m.payload === 'offline'));

    const statuses = messages.filter((m) => m.topic === topics.status('mt-aq-01')).map((m) => m.payload);
    expect(statuses[0]).toBe('online');
    expect(statuses[statuses.length - 1]).toBe('offline');

    const telemetry = messages
      .filter((m) => m.topic === topics.telemetry('mt-aq-01'))
      .map((m) => JSON.parse(m.payload) as TelemetryPayload);
    for (const payload of telemetry) expect(telemetryPayloadSchema.safeParse(payload).error).toBeUndefined();
    expect(telemetry.map((p) => p.seq)).toEqual(telemetry.map((_, i) => i));
    expect(Object.keys(telemetry[0].metrics).sort()).toEqual(['humidity', 'pm10', 'pm25', 'temperature']);
    expect(counters.sent).toBe(telemetry.length);
    expect(counters.failed).toBe(0);
  });

  it('keeps its status retained for whoever subscribes later', async () => {
    const device = start('mt-wl-01', { sent: 0, failed: 0, skipped: 0 });
    await until(() => device.connected && messages.some((m) => m.topic === topics.status('mt-wl-01')));
    const late = await connectAsync(brokerUrl, { clientId: 'late' });
    const retained = new Promise<string>((resolve) => late.on('message', (_t, payload) => resolve(payload.toString())));
    await late.subscribeAsync(topics.status('mt-wl-01'), { qos: 1 });
    expect(await retained).toBe('online');
    await late.endAsync();
    await device.stop();
  });

  it('leaves a last will that says offline when the connection is lost', async () => {
    let connection: Client | undefined;
    broker.on('client', (client) => {
      if (client.id === 'gcd-sal-01') connection = client;
    });
    const device = start('gcd-sal-01', { sent: 0, failed: 0, skipped: 0 });
    await until(() => device.connected && connection !== undefined);
    connection!.conn.destroy();
    await until(() => messages.some((m) => m.topic === topics.status('gcd-sal-01') && m.payload === 'offline'));
    await device.stop();
  });
});
