import type { DeadLetter } from './dead-letters.repository';
import type { StoredEvent, StoredSample, StoredStatus } from './telemetry.repository';

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
