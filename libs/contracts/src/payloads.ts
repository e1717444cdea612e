import { z } from 'zod';

/** Timestamps: ISO-8601 text with an offset, or epoch milliseconds. */
export const timestampSchema = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().nonnegative(),
]);

/** `ioc/v1/{deviceId}/telemetry`, native JSON form. */
export const telemetryPayloadSchema = z.strictObject({
  ts: timestampSchema,
  seq: z.number().int().nonnegative().optional(),
  metrics: z
    .record(z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'metric names are lower_snake_case'), z.number())
    .refine((m) => Object.keys(m).length > 0, 'metrics must not be empty'),
});
export type TelemetryPayload = z.infer<typeof telemetryPayloadSchema>;

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
/** `ioc/v1/{deviceId}/status`: the bare word, retained; the last will says `offline`. */
export const statusPayloadSchema = z.enum(DEVICE_STATUSES);

/** One stored reading: the unit of everything downstream of decoding. */
export interface Sample {
  deviceId: string;
  metric: string;
  /** Epoch milliseconds. */
  ts: number;
  value: number;
}
