import { connect, type MqttClient } from 'mqtt';
import { SERVER_SUBSCRIPTIONS } from '@ioc/contracts';
import type { BrokerRefusals } from '@ioc/devices';
import type { InboundHandler, MqttTransport, TransportStatus } from './mqtt-transport';

export interface ExternalBrokerOptions {
  url: string;
  clientId: string;
  /** Share the subscriptions in this group, so several servers split the messages. */
  sharedGroup?: string;
  /** How long the broker keeps the session (and queues for it) while the server is away. */
  sessionExpiryS: number;
  /** Counted by the hooks the broker calls (POST /api/mqtt/auth, /api/mqtt/acl). */
  refusals: BrokerRefusals;
  log: (line: string) => void;
}

/** The server as a client of Mosquitto, EMQX or another broker, subscribed to every uplink topic. */
export class ExternalBroker implements MqttTransport {
  private client: MqttClient | null = null;

  constructor(private readonly options: ExternalBrokerOptions) {}

  async start(handler: InboundHandler): Promise<void> {
    const client = connect(this.options.url, {
      clientId: this.options.clientId,
      // A persistent session: the broker keeps QoS 1 messages for us while we are away (restart).
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: this.options.sessionExpiryS },
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    });
    // Set before the session resumes: the broker sends what it kept right after CONNACK. MQTT.js
    // sends PUBACK when the callback is called: only once the server has the message.
    client.handleMessage = (packet, callback) => {
      const taken = handler({ topic: packet.topic, payload: packet.payload as Buffer, receivedAt: Date.now() });
      if (taken) taken.then(() => callback(), callback);
      else callback();
    };
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => {
        client.off('connect', connected);
        client.end(true);
        reject(new Error(`MQTT_URL ${redact(this.options.url)}: cannot connect (${err.message})`));
      };
      const connected = () => {
        client.off('error', failed);
        resolve();
      };
      client.once('connect', connected);
      client.once('error', failed);
    });
    client.on('error', (err) => this.options.log(`broker error: ${err.message}`));
    client.on('offline', () => this.options.log('broker connection lost; reconnecting'));
    client.on('connect', () => this.options.log('connected to the broker'));
    const group = this.options.sharedGroup;
    const filters = SERVER_SUBSCRIPTIONS.map((f) => (group ? `$share/${group}/${f}` : f));
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length > 0) throw new Error(`the broker refused the subscriptions ${refused.join(', ')}: check its ACL for ${this.options.clientId}`);
    this.options.log(`subscribed to ${redact(this.options.url)}`);
  }

  async stop(): Promise<void> {
    // Forced: a message held back (spool full) would otherwise keep the connection open forever.
    // The broker redelivers what was never acknowledged.
    await this.client?.endAsync(true);
  }

  async publish(topic: string, payload: string): Promise<void> {
    if (!this.client) throw new Error('not connected to the broker');
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** The external broker manages its own connections (see docs/mqtt-brokers.md). */
  disconnect(): void {}

  status(): TransportStatus {
    return {
      mode: 'external',
      connected: this.client?.connected ?? false,
      port: null,
      wsPort: null,
      refused: this.options.refusals.snapshot(),
    };
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
