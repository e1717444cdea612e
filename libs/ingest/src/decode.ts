import {
  isMetricName,
  parseTopic,
  statusPayloadSchema,
  telemetryPayloadSchema,
  type DeadLetterReason,
  type DeviceStatus,
  type Sample,
} from '@ioc/contracts';

export interface IngestLimits {
  maxPayloadBytes: number;
  /** How far a device clock may run ahead of ours. */
  maxFutureMs: number;
  /** How old a reading may be. */
  maxAgeMs: number;
}

export const DEFAULT_LIMITS: Omit<IngestLimits, 'maxPayloadBytes'> = {
  maxFutureMs: 5 * 60_000,
  maxAgeMs: 365 * 24 * 3_600_000,
};

export interface Rejection {
  reason: DeadLetterReason;
  message: string;
  deviceId: string | null;
}

export type Decoded =
  | { kind: 'telemetry'; deviceId: string; samples: Sample[]; rejections: Rejection[] }
  | { kind: 'status'; deviceId: string; status: DeviceStatus }
  | { kind: 'rejected'; rejection: Rejection };

const reject = (reason: DeadLetterReason, message: string, deviceId: string | null = null): Decoded => ({
  kind: 'rejected',
  rejection: { reason, message, deviceId },
});

/**
 * Turns one MQTT message into samples or a status, or says why not. Pure: the device registry
 * is asked through `isKnown`, the clock is `now`.
 */
export function decodeMessage(
  topic: string,
  payload: Buffer,
  isKnown: (deviceId: string) => boolean,
  limits: IngestLimits,
  now: number,
): Decoded {
  const parsed = parseTopic(topic);
  if (!parsed) return reject('bad_topic', `topic ${topic} is not an uplink topic of contract v1`);
  if (parsed.channel === 'gateway_telemetry') {
    return reject('unsupported', 'gateway messages are not accepted yet', parsed.gatewayId);
  }
  const { deviceId } = parsed;
  if (!isKnown(deviceId)) return reject('unknown_device', `device ${deviceId} is not registered`, deviceId);
  if (payload.length > limits.maxPayloadBytes) {
    return reject(
      'payload_too_large',
      `payload of ${payload.length} bytes is over the limit of ${limits.maxPayloadBytes}`,
      deviceId,
    );
  }
  switch (parsed.channel) {
    case 'status': {
      const status = statusPayloadSchema.safeParse(payload.toString('utf8').trim());
      return status.success
        ? { kind: 'status', deviceId, status: status.data }
        : reject('invalid_payload', 'status must be "online" or "offline"', deviceId);
    }
    case 'telemetry':
      return decodeTelemetry(deviceId, payload, limits, now);
    case 'event':
    case 'command/ack':
      return reject('unsupported', `${parsed.channel} messages are not accepted yet`, deviceId);
  }
}

function decodeTelemetry(deviceId: string, payload: Buffer, limits: IngestLimits, now: number): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return reject('invalid_json', `not JSON: ${(err as Error).message}`, deviceId);
  }
  const result = telemetryPayloadSchema.safeParse(json);
  if (!result.success) {
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`)
      .join('; ');
    return reject('invalid_payload', detail, deviceId);
  }
  const { ts, metrics } = result.data;
  const time = typeof ts === 'number' ? ts : Date.parse(ts);
  if (time > now + limits.maxFutureMs) {
    return reject('invalid_payload', `ts ${new Date(time).toISOString()} is in the future`, deviceId);
  }
  if (time < now - limits.maxAgeMs) {
    return reject('invalid_payload', `ts ${new Date(time).toISOString()} is too old`, deviceId);
  }
  const samples: Sample[] = [];
  const unknown: string[] = [];
  for (const [metric, value] of Object.entries(metrics)) {
    if (isMetricName(metric)) samples.push({ deviceId, metric, ts: time, value });
    else unknown.push(metric);
  }
  const rejections: Rejection[] = unknown.length
    ? [{ reason: 'unknown_metric', message: `unknown metrics dropped: ${unknown.join(', ')}`, deviceId }]
    : [];
  return { kind: 'telemetry', deviceId, samples, rejections };
}
