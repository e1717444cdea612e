import { hostname } from 'node:os';
import { connectAsync, type MqttClient } from 'mqtt';
import { SERVER_SUBSCRIPTIONS } from '@ioc/contracts';
import type { InboundHandler, MqttTransport, TransportStatus } from './mqtt-transport';

export interface ExternalBrokerOptions {
  url: string;
  log: (line: string) => void;
}

/** The server as a client of Mosquitto, EMQX or another broker, subscribed to every uplink topic. */
export class ExternalBroker implements MqttTransport {
  private client: MqttClient | null = null;

  constructor(private readonly options: ExternalBrokerOptions) {}

  async start(handler: InboundHandler): Promise<void> {
    const client = await connectAsync(this.options.url, {
      clientId: `ioc-server-${hostname()}-${process.pid}`,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    }).catch((err: Error) => {
      throw new Error(`MQTT_URL ${redact(this.options.url)}: cannot connect (${err.message})`);
    });
    this.client = client;
    client.on('message', (topic, payload) => handler({ topic, payload, receivedAt: Date.now() }));
    client.on('error', (err) => this.options.log(`broker error: ${err.message}`));
    client.on('offline', () => this.options.log('broker connection lost; reconnecting'));
    client.on('connect', () => this.options.log('connected to the broker'));
    await client.subscribeAsync([...SERVER_SUBSCRIPTIONS], { qos: 1 });
    this.options.log(`subscribed to ${redact(this.options.url)}`);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (!this.client) throw new Error('not connected to the broker');
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** The external broker manages its own connections (see docs/mqtt-brokers.md). */
  disconnect(): void {}

  status(): TransportStatus {
    return { mode: 'external', connected: this.client?.connected ?? false, port: null, wsPort: null };
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
