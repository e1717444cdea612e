/** Messages between the bench and its publisher threads. */

export interface PublisherWorkerData {
  url: string;
  /** Without a password a device connects anonymously (the external broker has no accounts). */
  devices: { id: string; password?: string }[];
  keepaliveS: number;
  connectConcurrency: number;
}

export type PublisherCommand = { id: number } & (
  | { kind: 'connect' }
  /** Messages per second for this thread's devices together. */
  | { kind: 'pace'; rate: number }
  | { kind: 'flood'; window: number }
  /** Stop publishing and wait (bounded) for outstanding acknowledgements. */
  | { kind: 'halt' }
  | { kind: 'snapshot' }
  | { kind: 'close' }
);

export interface PublisherCounters {
  /** Handed to the client (QoS 1). */
  sent: number;
  /** Acknowledged by the broker (PUBACK). */
  acked: number;
  failed: number;
  /** Turns passed because the device was not connected or had too many messages unacknowledged. */
  skipped: number;
  /** Turns given up because the thread fell more than a second behind its schedule. */
  late: number;
  connected: number;
  /** Connections lost after they were made (the bench does not reconnect). */
  disconnects: number;
  connectFailures: number;
  firstError: string | null;
}

export interface PublisherReply {
  id: number;
  counters: PublisherCounters;
  error?: string;
}
