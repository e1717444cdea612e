import type { DeadLetterReason, DeviceEvent, DeviceStatusUpdate } from '@ioc/contracts';
import type { ResolvedDevice, ResolvedSample } from '@ioc/common';
import type { DeadLetter, StoredEvent, StoredSample, StoredStatus } from './write-batch';

/** The part of a refused message kept in its dead letter. */
const DEAD_LETTER_PAYLOAD_CHARS = 2048;

/** The rows of a message's samples: their device's key and their metric's id, resolved at decode. */
export function sampleRows(samples: readonly ResolvedSample[], receivedAt: number): StoredSample[] {
  const rows: StoredSample[] = [];
  for (const s of samples) rows.push({ deviceKey: s.device.key, metricId: s.metricId, ts: s.ts, value: s.value, receivedAt });
  return rows;
}

export function eventRow(device: ResolvedDevice, { type, ts, confidence, snapshotUrl, attributes }: DeviceEvent): StoredEvent {
  return { deviceKey: device.key, type, ts, confidence, snapshotUrl, attributes };
}

export function statusRow(device: ResolvedDevice, { status, reason, at }: DeviceStatusUpdate): StoredStatus {
  return { deviceKey: device.key, status, reason, ts: Date.parse(at) };
}

/** Why a message, or part of it, was refused. */
export interface Refusal {
  reason: DeadLetterReason;
  message: string;
  deviceId: string | null;
}

export function deadLetterRow(topic: string, payload: Buffer, receivedAt: number, refusal: Refusal): DeadLetter {
  return {
    receivedAt,
    topic: printable(topic),
    deviceId: refusal.deviceId,
    reason: refusal.reason,
    message: printable(refusal.message),
    payload: printable(payload.subarray(0, DEAD_LETTER_PAYLOAD_CHARS).toString('utf8')),
  };
}

/** PostgreSQL text cannot hold NUL. */
function printable(text: string): string {
  return text.replace(/\u0000/g, '\\u0000');
}
