import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import Aedes from 'aedes';
import WebSocket from 'ws';
import type { BrokerRefusals } from '@ioc/devices';
import type { BrokerAuth, InboundHandler, MqttTransport, TransportStatus } from './mqtt-transport';
import { limitPacketSizes, type PacketSizeLimits } from './packet-size-limit';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** MQTT over WebSocket; 0 picks a free port. */
  wsPort: number;
  auth: BrokerAuth;
  /** Packets declaring more are refused before they are read: the connection is closed. */
  limits: PacketSizeLimits;
  refusals: BrokerRefusals;
  log: (line: string) => void;
}

/** ws's close code for a message over maxPayload. */
const WS_MESSAGE_TOO_BIG = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
/** A fixed header is at most 5 bytes: the type byte and a 4-byte remaining length. */
const MAX_FIXED_HEADER_BYTES = 5;

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
    const { auth, refusals, log } = options;
    this.broker = new Aedes({
      id: 'ioc',
      authenticate: (client, username, password, done) => {
        if (auth.authenticate(client.id, username, password?.toString('utf8'))) return done(null, true);
        refusals.count('logins');
        log(`connection of ${JSON.stringify(client.id)} refused: unknown device or wrong credentials`);
        done(Object.assign(new Error('bad username or password'), { returnCode: BAD_USERNAME_OR_PASSWORD }), false);
      },
      // Refusing a publish closes the offending connection. An allowed one is handed to the server
      // here, before aedes sends PUBACK, so the acknowledgement means the message is ours.
      authorizePublish: (client, packet, done) => {
        if (!client || !auth.mayPublish(client.id, packet.topic)) {
          refusals.count('publishes');
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
    this.tcp = createTcpServer((socket) => this.accept(socket));
    await listen(this.tcp, this.options.port, this.options.host, 'MQTT_PORT');
    this.ws = this.createWsServer();
    await listen(this.ws, this.options.wsPort, this.options.host, 'MQTT_WS_PORT');
    const status = this.status();
    this.options.log(`embedded MQTT broker on port ${status.port}, WebSocket on ${status.wsPort}`);
  }

  /** Hands a connection to aedes, closing it at the first packet over the size limits. */
  private accept(stream: Duplex): void {
    this.broker.handle(stream);
    // After handle(): aedes's 'readable' listener then keeps the stream paused, so this 'data'
    // listener sees each chunk as aedes reads it, and does not start the flow itself.
    limitPacketSizes(stream, this.options.limits, () => this.refuseOversize());
  }

  /**
   * MQTT over WebSocket. ws holds a whole message before handing it on, so its maxPayload bounds
   * what is read before the packet scanner sees a header (ws's default is 100 MiB).
   */
  private createWsServer(): Server {
    const http = createHttpServer();
    const wss = new WebSocket.Server({ server: http, maxPayload: this.options.limits.packetBytes + MAX_FIXED_HEADER_BYTES });
    wss.on('connection', (socket) => {
      socket.on('error', (err: Error & { code?: string }) => {
        if (err.code === WS_MESSAGE_TOO_BIG) this.refuseOversize();
      });
      this.accept(WebSocket.createWebSocketStream(socket));
    });
    return http;
  }

  private refuseOversize(): void {
    this.options.refusals.count('oversize');
    this.options.log('connection closed: a packet declared more than the size limit');
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
      refused: this.options.refusals.snapshot(),
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
