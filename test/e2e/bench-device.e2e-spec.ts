import { createServer, type AddressInfo, type Server } from 'node:net';
import Aedes from 'aedes';
import { MqttDevice, type DeviceEvents } from '../../bench/mqtt-device';
import { eventually } from '../support/clients';

const TOPIC = 'ioc/v1/bench-1/telemetry';
// What a PUBLISH's remaining length counts besides the payload: the topic's length, the topic, the packet id.
const OVERHEAD = 2 + TOPIC.length + 2;

/** The bench's hand-written device against a real broker: what it publishes must be what arrives. */
describe('bench MqttDevice', () => {
  let broker: Aedes;
  let server: Server;
  let url: URL;
  const received: { clientId: string; topic: string; qos: number; payload: Buffer }[] = [];

  beforeAll(async () => {
    broker = new Aedes({
      authenticate: (client, username, password, done) =>
        done(null, username === client.id && password?.toString('utf8') === 'secret'),
    });
    broker.on('publish', (packet, client) => {
      if (client) received.push({ clientId: client.id, topic: packet.topic, qos: packet.qos, payload: packet.payload as Buffer });
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  function device(password: string): { device: MqttDevice; acks: () => number; errors: string[] } {
    let acked = 0;
    const errors: string[] = [];
    const events: DeviceEvents = { acked: () => (acked += 1), closed: () => undefined, error: (m) => errors.push(m) };
    return { device: new MqttDevice(url, 'bench-1', password, 30, events), acks: () => acked, errors };
  }

  it('publishes QoS 1 messages whose length takes one to four bytes, and counts each PUBACK', async () => {
    const { device: d, acks, errors } = device('secret');
    expect(await d.connect(5000)).toBe(true);
    const lengths = [127, 128, 16_383, 16_384, 2_097_151, 2_097_152].map((remaining) => remaining - OVERHEAD);
    for (const [i, length] of lengths.entries()) d.publish(Buffer.from(TOPIC), String(i % 10).repeat(length));
    await eventually(async () => (acks() === lengths.length ? true : undefined));
    expect(received.map((r) => [r.clientId, r.topic, r.qos, r.payload.length])).toEqual(
      lengths.map((length) => ['bench-1', TOPIC, 1, length]),
    );
    expect(received.map((r) => r.payload.toString('utf8')[0])).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(errors).toEqual([]);
    await d.close(5000);
    expect(d.connected).toBe(false);
  });

  it('reports a refused connection', async () => {
    const { device: d, errors } = device('wrong');
    expect(await d.connect(5000)).toBe(false);
    expect(errors.join()).toMatch(/CONNACK return code [1-5]/);
  });
});
