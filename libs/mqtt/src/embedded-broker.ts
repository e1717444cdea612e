import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import Aedes from 'aedes';
import { createServer as createWsServer } from 'aedes-server-factory';
import type { BrokerAuth, InboundHandler, MqttTransport, TransportStatus } from './mqtt-transport';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** MQTT over WebSocket; 0 picks a free port. */
  wsPort: number;
  auth: BrokerAuth;
  log: (line: string) => void;
}

const BAD_USERNAME_OR_PASSWORD = 4;

/**
 * The aedes broker inside the server. The server takes devices' messages in the broker's publish
 * authorization instead of subscribing as one more client: no second decode, no extra queue, and
 * the device's PUBACK waits until the server has the message.
 */
export class EmbeddedBroker implements MqttTransport {
  private readonly broker: Aedes;
  private tcp: Server | null = null;
  private ws: Server | null = null;
  private handler: InboundHandler | null = null;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    const { auth, log } = options;
    this.broker = new Aedes({
      id: 'ioc',
      authenticate: (client, username, password, done) => {
        if (auth.authenticate(client.id, username, password?.toString('utf8'))) return done(null, true);
        log(`connection of ${JSON.stringify(client.id)} refused: unknown device or wrong credentials`);
        done(Object.assign(new Error('bad username or password'), { returnCode: BAD_USERNAME_OR_PASSWORD }), false);
      },
      // Refusing a publish closes the offending connection. An allowed one is handed to the server
      // here, before aedes sends PUBACK, so the acknowledgement means the message is ours.
      authorizePublish: (client, packet, done) => {
        if (!client || !auth.mayPublish(client.id, packet.topic)) {
          log(`${client?.id ?? 'a client'} may not publish on ${packet.topic}: disconnected`);
          return done(new Error(`not allowed to publish on ${packet.topic}`));
        }
        const taken = this.handler?.({ topic: packet.topic, payload: packet.payload as Buffer, receivedAt: Date.now() });
        if (taken) taken.then(() => done(null), done);
        else done(null);
      },
      // A refused subscription is answered with the failure code (0x80) in SUBACK.
      authorizeSubscribe: (client, subscription, done) => {
        if (auth.maySubscribe(client.id, subscription.topic)) return done(null, subscription);
        log(`${client.id} may not subscribe to ${subscription.topic}`);
        done(null, null);
      },
    });
  }

  async start(handler: InboundHandler): Promise<void> {
    this.handler = handler;
    this.broker.on('clientError', (client, err) => this.options.log(`client ${client.id}: ${err.message}`));
    this.broker.on('connectionError', (_client, err) => this.options.log(`connection refused: ${err.message}`));
    this.tcp = createTcpServer(this.broker.handle);
    await listen(this.tcp, this.options.port, this.options.host, 'MQTT_PORT');
    this.ws = createWsServer(this.broker, { ws: true }) as Server;
    await listen(this.ws, this.options.wsPort, this.options.host, 'MQTT_WS_PORT');
    const status = this.status();
    this.options.log(`embedded MQTT broker on port ${status.port}, WebSocket on ${status.wsPort}`);
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.tcp), close(this.ws)]);
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }

  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.broker.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }

  disconnect(clientId: string): void {
    const client = (this.broker as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[clientId];
    client?.close();
  }

  status(): TransportStatus {
    return {
      mode: 'embedded',
      connected: this.tcp?.listening ?? false,
      port: portOf(this.tcp),
      wsPort: portOf(this.ws),
    };
  }
}

function portOf(server: Server | null): number | null {
  const address = server?.address() as AddressInfo | null | undefined;
  return address ? address.port : null;
}

function listen(server: Server, port: number, host: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`${setting} ${port} is already in use on ${host}: choose another port (0 picks a free one)`)
          : err,
      ),
    );
    server.listen(port, host, () => resolve());
  });
}

function close(server: Server | null): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
