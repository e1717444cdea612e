import type { DeadLetterReason, DeviceStatus, StatusReason } from '@ioc/contracts';

/** A sample with its compact keys, ready to store. */
export interface StoredSample {
  deviceKey: number;
  metricId: number;
  ts: number;
  value: number;
  /** When the server received it (epoch ms), for the device's last-seen time. */
  receivedAt: number;
}

/** A device event with its compact key, ready to store. */
export interface StoredEvent {
  deviceKey: number;
  type: string;
  ts: number;
  confidence: number | null;
  snapshotUrl: string | null;
  attributes: Record<string, unknown>;
}

/** A device's online/offline transition, ready to store. */
export interface StoredStatus {
  deviceKey: number;
  status: DeviceStatus;
  reason: StatusReason;
  ts: number;
}

/** A message the server could not use, with the reason, ready to store. */
export interface DeadLetter {
  receivedAt: number;
  topic: string;
  deviceId: string | null;
  reason: DeadLetterReason;
  message: string;
  payload: string;
}

/** What one message (or a batch of messages) leaves to store. */
export interface WriteBatch {
  samples: StoredSample[];
  events: StoredEvent[];
  deadLetters: DeadLetter[];
  /** Online/offline transitions, in the order they happened. */
  statuses: StoredStatus[];
}

export function emptyBatch(): WriteBatch {
  return { samples: [], events: [], deadLetters: [], statuses: [] };
}

export function batchSize(batch: WriteBatch): number {
  return batch.samples.length + batch.events.length + batch.deadLetters.length + batch.statuses.length;
}

/** Appends `from` to `into`. */
export function mergeInto(into: WriteBatch, from: WriteBatch): void {
  for (const s of from.samples) into.samples.push(s);
  for (const e of from.events) into.events.push(e);
  for (const d of from.deadLetters) into.deadLetters.push(d);
  for (const t of from.statuses) into.statuses.push(t);
}

/** Newest sample per (device, metric) and last-seen time per device, of what was written since. */
export interface Newest {
  values: StoredSample[];
  /** Device key to the newest received-at (epoch ms). */
  seen: Map<number, number>;
}

/**
 * Gathers the newest value per (device, metric) and the newest received-at per device of the
 * samples given to it. Taking the newest is idempotent: a sample seen twice changes nothing.
 */
export class NewestTracker {
  // Key: device key and metric id in one number (metric ids are smallint).
  private values = new Map<number, StoredSample>();
  private seen = new Map<number, number>();

  add(samples: readonly StoredSample[]): void {
    for (const s of samples) {
      const key = s.deviceKey * 0x10000 + s.metricId;
      const known = this.values.get(key);
      if (!known || s.ts >= known.ts) this.values.set(key, s);
      if (s.receivedAt > (this.seen.get(s.deviceKey) ?? -Infinity)) this.seen.set(s.deviceKey, s.receivedAt);
    }
  }

  get empty(): boolean {
    return this.seen.size === 0;
  }

  /** What was gathered, in key order (concurrent writers then lock rows in one order); it stays gathered until `clear`. */
  snapshot(): Newest {
    const values = [...this.values.entries()].sort((a, b) => a[0] - b[0]).map(([, sample]) => sample);
    return { values, seen: this.seen };
  }

  clear(): void {
    this.values = new Map();
    this.seen = new Map();
  }
}

/**
 * One message's records as stored in the spool. Samples of one message share the time they were
 * received, so they are kept as a flat list of numbers with that time once.
 */
interface SpoolRecord {
  /** Received at, epoch ms. */
  r: number;
  /** deviceKey, metricId, ts, value; repeated. */
  s: number[];
  e?: StoredEvent[];
  d?: DeadLetter[];
  t?: StoredStatus[];
}

export function encodeBatch(batch: WriteBatch, receivedAt: number): Buffer {
  const s: number[] = [];
  for (const x of batch.samples) s.push(x.deviceKey, x.metricId, x.ts, x.value);
  const record: SpoolRecord = { r: receivedAt, s };
  if (batch.events.length > 0) record.e = batch.events;
  if (batch.deadLetters.length > 0) record.d = batch.deadLetters;
  if (batch.statuses.length > 0) record.t = batch.statuses;
  return Buffer.from(JSON.stringify(record));
}

/** Throws on a record this code did not write. */
export function decodeBatch(body: Buffer): WriteBatch {
  const record = JSON.parse(body.toString('utf8')) as SpoolRecord;
  if (typeof record.r !== 'number' || !Array.isArray(record.s) || record.s.length % 4 !== 0) {
    throw new Error('not a spool record');
  }
  const samples: StoredSample[] = [];
  for (let i = 0; i < record.s.length; i += 4) {
    samples.push({
      deviceKey: record.s[i],
      metricId: record.s[i + 1],
      ts: record.s[i + 2],
      value: record.s[i + 3],
      receivedAt: record.r,
    });
  }
  return { samples, events: record.e ?? [], deadLetters: record.d ?? [], statuses: record.t ?? [] };
}
