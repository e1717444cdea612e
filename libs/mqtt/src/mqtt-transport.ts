import type { MqttRefusalCounts } from '@ioc/contracts';

/** A message a device published, as the server receives it. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** Epoch milliseconds when the server took it. */
  receivedAt: number;
}

/**
 * Takes one message. The transport acknowledges it (QoS 1) once the handler returns, or once its
 * promise resolves: a handler that cannot take more yet returns a promise, and the transport reads
 * nothing further from that connection meanwhile.
 */
export type InboundHandler = (message: InboundMessage) => void | Promise<void>;

export interface TransportStatus {
  mode: 'embedded' | 'external';
  connected: boolean;
  port: number | null;
  wsPort: number | null;
  refused: MqttRefusalCounts;
}

/** Where device messages come from: the embedded broker, or a subscription to an external one. */
export interface MqttTransport {
  start(handler: InboundHandler): Promise<void>;
  stop(): Promise<void>;
  status(): TransportStatus;
  /** Sends a message down to devices (QoS 1, not retained). */
  publish(topic: string, payload: string): Promise<void>;
  /** Drops a device's connection (its credentials changed); a no-op where the broker is not ours. */
  disconnect(clientId: string): void;
}

/** Who may connect, publish and subscribe on the embedded broker. */
export interface BrokerAuth {
  authenticate(clientId: string, username: string | undefined, password: string | undefined): boolean;
  mayPublish(clientId: string, topic: string): boolean;
  maySubscribe(clientId: string, filter: string): boolean;
}
