import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import Aedes from 'aedes';
import { createServer as createWsServer } from 'aedes-server-factory';
import type { InboundHandler, MqttTransport, TransportStatus } from './mqtt-transport';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** MQTT over WebSocket; 0 picks a free port. */
  wsPort: number;
  log: (line: string) => void;
}

/**
 * The aedes broker inside the server. The server takes devices' messages from the broker's
 * publish event instead of subscribing as one more client: no second decode, no extra queue.
 */
export class EmbeddedBroker implements MqttTransport {
  private readonly broker = new Aedes({ id: 'ioc' });
  private tcp: Server | null = null;
  private ws: Server | null = null;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  async start(handler: InboundHandler): Promise<void> {
    this.broker.on('publish', (packet, client) => {
      if (client) handler({ topic: packet.topic, payload: packet.payload as Buffer, receivedAt: Date.now() });
    });
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
