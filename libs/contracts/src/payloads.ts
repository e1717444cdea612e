import { z } from 'zod';
import { METRIC_NAME_PATTERN } from './device-kinds';

/** Timestamps: ISO-8601 text with an offset, or epoch milliseconds. */
export const timestampSchema = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().nonnegative(),
]);

const metricsSchema = z
  .record(z.string().regex(METRIC_NAME_PATTERN, 'metric names are lower_snake_case'), z.number())
  .refine((m) => Object.keys(m).length > 0, 'metrics must not be empty');

/** `ioc/v1/{deviceId}/telemetry`, native JSON form (a SenML pack is the other form). */
export const telemetryPayloadSchema = z.strictObject({
  ts: timestampSchema,
  seq: z.number().int().nonnegative().optional(),
  metrics: metricsSchema,
});
export type TelemetryPayload = z.infer<typeof telemetryPayloadSchema>;

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
/** `ioc/v1/{deviceId}/status`: the bare word, retained; the last will says `offline`. */
export const statusPayloadSchema = z.enum(DEVICE_STATUSES);

/**
 * `ioc/v1/gateway/{gatewayId}/telemetry`, native form: readings of the gateway's registered
 * children, each with its own timestamp or the message's. (A SenML pack whose names carry the
 * child ids is the other form.)
 */
export const gatewayPayloadSchema = z.strictObject({
  ts: timestampSchema.optional(),
  readings: z
    .array(
      z.strictObject({
        deviceId: z.string(),
        ts: timestampSchema.optional(),
        metrics: metricsSchema,
      }),
    )
    .min(1, 'readings must not be empty'),
});
export type GatewayPayload = z.infer<typeof gatewayPayloadSchema>;

/** What a camera's analytics (or another device) reports as a discrete event. */
export const EVENT_TYPES = [
  'congestion',
  'accident',
  'flooding',
  'fire_smoke',
  'wrong_way',
  'illegal_parking',
  'crowd',
  'stream_lost',
  'stream_restored',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Text a device sends that is stored as it is: PostgreSQL text and jsonb cannot hold NUL. */
const deviceText = (max: number) => z.string().max(max).regex(/^[^\u0000]*$/, 'must not contain NUL (\\u0000)');

const attributeValue = z.union([deviceText(500), z.number(), z.boolean(), z.null()]);

/** `ioc/v1/{deviceId}/event` */
export const eventPayloadSchema = z.strictObject({
  ts: timestampSchema,
  type: z.enum(EVENT_TYPES),
  /** 0..1, from the analytics model. */
  confidence: z.number().min(0).max(1).optional(),
  snapshotUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  /** Flat key -> value: lane, direction, vehicle class, stream fps and bitrate... */
  attributes: z.record(deviceText(64), attributeValue).optional(),
});
export type EventPayload = z.infer<typeof eventPayloadSchema>;

/** Events the server records itself: each online/offline transition of a device. */
export const STATUS_EVENT_TYPES = ['went_online', 'went_offline'] as const;
export type DeviceEventType = EventType | (typeof STATUS_EVENT_TYPES)[number];

/** One stored device event. */
export interface DeviceEvent {
  deviceId: string;
  type: DeviceEventType;
  /** Epoch milliseconds. */
  ts: number;
  confidence: number | null;
  snapshotUrl: string | null;
  attributes: Record<string, string | number | boolean | null>;
}

/** `ioc/v1/{deviceId}/command` (server -> device). */
export interface CommandPayload {
  /** Echo it in the acknowledgement. */
  id: string;
  name: string;
  params: Record<string, unknown>;
  /** Epoch milliseconds when sent. */
  ts: number;
  /** Epoch milliseconds after which the server reports the command as timed out. */
  expiresAt: number;
}

/** `ioc/v1/{deviceId}/command/ack` (device -> server). */
export const commandAckSchema = z.strictObject({
  id: z.uuid(),
  status: z.enum(['ok', 'error']),
  message: deviceText(500).optional(),
  ts: timestampSchema.optional(),
});
export type CommandAck = z.infer<typeof commandAckSchema>;

/** One stored reading: the unit of everything downstream of decoding. */
export interface Sample {
  deviceId: string;
  metric: string;
  /** Epoch milliseconds. */
  ts: number;
  value: number;
}
