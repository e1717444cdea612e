import {
  commandAckSchema,
  eventPayloadSchema,
  gatewayPayloadSchema,
  parseTopic,
  statusPayloadSchema,
  telemetryPayloadSchema,
  type CommandAck,
  type DeadLetterReason,
  type DeviceEvent,
  type DeviceKind,
  type DeviceStatus,
  type Sample,
} from '@ioc/contracts';
import type { ResolvedDevice, ResolvedSample } from '@ioc/common';
import type { z } from 'zod';
import { decodeSenml } from './senml';

export interface IngestLimits {
  maxPayloadBytes: number;
  /** How far a device clock may run ahead of ours. */
  maxFutureMs: number;
  /** How old a reading may be. */
  maxAgeMs: number;
  maxJsonDepth: number;
}

/** A metric of the catalogue, as decoding needs it. */
export interface KnownMetric {
  id: number;
  unit: string;
}

/**
 * The registry and the metric catalogue as they stand, asked without a database round trip. `D`:
 * the registry's own device record, which the decoded message carries on.
 */
export interface IngestRegistry<D extends ResolvedDevice = ResolvedDevice> {
  device(id: string): D | undefined;
  /** The device registered under exactly this SenML name. */
  withSenmlName(name: string): D | undefined;
  /** A metric of the catalogue; undefined for a metric it does not have. */
  metric(name: string): KnownMetric | undefined;
  /** The metrics a device of this kind may send. */
  metricsOf(kind: DeviceKind): ReadonlySet<string>;
}

export interface Rejection {
  reason: DeadLetterReason;
  message: string;
  deviceId: string | null;
}

/** A message resolved once: its devices are the registry's records, its metrics carry their ids. */
export type Decoded<D extends ResolvedDevice = ResolvedDevice> =
  | { kind: 'samples'; samples: ResolvedSample<D>[]; rejections: Rejection[] }
  | { kind: 'status'; device: D; status: DeviceStatus }
  | { kind: 'event'; device: D; event: DeviceEvent }
  | { kind: 'ack'; deviceId: string; ack: CommandAck }
  | { kind: 'rejected'; rejection: Rejection };

const rejection = (reason: DeadLetterReason, message: string, deviceId: string | null = null): Rejection => ({
  reason,
  message,
  deviceId,
});
const reject = (reason: DeadLetterReason, message: string, deviceId: string | null = null): Decoded<never> => ({
  kind: 'rejected',
  rejection: rejection(reason, message, deviceId),
});

/**
 * Turns one MQTT message into samples, a status or an event, or says why not. Pure: the registry
 * and the metric catalogue are asked through `registry`, the clock is `now`. A message that is
 * partly valid keeps its valid readings and reports each invalid one.
 */
export function decodeMessage<D extends ResolvedDevice>(
  topic: string,
  payload: Buffer,
  registry: IngestRegistry<D>,
  limits: IngestLimits,
  now: number,
): Decoded<D> {
  const parsed = parseTopic(topic);
  if (!parsed) return reject('bad_topic', `topic ${topic} is not an uplink topic of contract v1`);
  const sender = parsed.channel === 'gateway_telemetry' ? parsed.gatewayId : parsed.deviceId;
  const device = registry.device(sender);
  if (!device) return reject('unknown_device', `device ${sender} is not registered`, sender);
  if (payload.length > limits.maxPayloadBytes) {
    return reject('payload_too_large', `payload of ${payload.length} bytes is over the limit of ${limits.maxPayloadBytes}`, sender);
  }
  if (parsed.channel === 'status') {
    const status = statusPayloadSchema.safeParse(payload.toString('utf8').trim());
    return status.success
      ? { kind: 'status', device, status: status.data }
      : reject('invalid_payload', 'status must be "online" or "offline"', sender);
  }
  const json = parseJson(payload, limits.maxJsonDepth);
  if ('error' in json) return reject(json.reason, json.error, sender);
  if (parsed.channel === 'command/ack') {
    const ack = commandAckSchema.safeParse(json.value);
    return ack.success ? { kind: 'ack', deviceId: sender, ack: ack.data } : reject('invalid_payload', describe(ack.error), sender);
  }
  const check = new ReadingCheck(registry, limits, now);

  switch (parsed.channel) {
    case 'event': {
      const event = eventPayloadSchema.safeParse(json.value);
      if (!event.success) return reject('invalid_payload', describe(event.error), sender);
      const ts = toMillis(event.data.ts);
      const late = check.timestamp(ts);
      if (late) return reject('bad_timestamp', late, sender);
      const { type, confidence, snapshotUrl, attributes } = event.data;
      return {
        kind: 'event',
        device,
        event: { deviceId: sender, type, ts, confidence: confidence ?? null, snapshotUrl: snapshotUrl ?? null, attributes: attributes ?? {} },
      };
    }
    case 'telemetry': {
      if (Array.isArray(json.value)) return check.senml(json.value, sender, sender, (id) => id === sender, 'names another device than the topic');
      const telemetry = telemetryPayloadSchema.safeParse(json.value);
      if (!telemetry.success) return reject('invalid_payload', describe(telemetry.error), sender);
      return check.readings([{ device, ts: toMillis(telemetry.data.ts), metrics: telemetry.data.metrics }]);
    }
    case 'gateway_telemetry': {
      if (device.kind !== 'gateway') return reject('not_a_child', `${sender} is not a gateway`, sender);
      const childOf = (id: string) => {
        const child = registry.device(id);
        return child?.gatewayId === sender ? child : undefined;
      };
      const isChild = (id: string) => childOf(id) !== undefined;
      if (Array.isArray(json.value)) return check.senml(json.value, null, sender, isChild, `is not registered behind gateway ${sender}`);
      const gateway = gatewayPayloadSchema.safeParse(json.value);
      if (!gateway.success) return reject('invalid_payload', describe(gateway.error), sender);
      const base = gateway.data.ts === undefined ? undefined : toMillis(gateway.data.ts);
      const readings: Reading<D>[] = [];
      const rejections: Rejection[] = [];
      for (const [i, r] of gateway.data.readings.entries()) {
        const ts = r.ts === undefined ? base : toMillis(r.ts);
        const child = childOf(r.deviceId);
        if (!child) rejections.push(rejection('not_a_child', `readings.${i}: ${r.deviceId} is not registered behind gateway ${sender}`, r.deviceId));
        else if (ts === undefined) rejections.push(rejection('invalid_payload', `readings.${i}: no ts, neither its own nor the message's`, r.deviceId));
        else readings.push({ device: child, ts, metrics: r.metrics });
      }
      return check.readings(readings, rejections);
    }
  }
}

interface Reading<D> {
  device: D;
  ts: number;
  metrics: Record<string, number>;
}

/** Checks each reading against the registry, the kind's metrics and the time window. */
class ReadingCheck<D extends ResolvedDevice> {
  constructor(
    private readonly registry: IngestRegistry<D>,
    private readonly limits: IngestLimits,
    private readonly now: number,
  ) {}

  timestamp(ts: number): string | null {
    if (!Number.isFinite(ts)) return 'ts is not a time';
    if (ts > this.now + this.limits.maxFutureMs) return `ts ${new Date(ts).toISOString()} is ahead of the server clock`;
    if (ts < this.now - this.limits.maxAgeMs) return `ts ${new Date(ts).toISOString()} is older than allowed`;
    return null;
  }

  /** `rejections`: what the caller already refused of the same message. */
  readings(readings: Reading<D>[], rejections: Rejection[] = []): Decoded<D> {
    const samples: ResolvedSample<D>[] = [];
    for (const { device, ts, metrics } of readings) {
      const deviceId = device.id;
      const late = this.timestamp(ts);
      if (late) {
        rejections.push(rejection('bad_timestamp', late, deviceId));
        continue;
      }
      const unknown: string[] = [];
      const notAllowed: string[] = [];
      const allowed = this.registry.metricsOf(device.kind);
      for (const [metric, value] of Object.entries(metrics)) {
        const known = this.registry.metric(metric);
        if (known === undefined) unknown.push(metric);
        else if (!allowed.has(metric)) notAllowed.push(metric);
        else samples.push({ deviceId, metric, ts, value, device, metricId: known.id });
      }
      if (unknown.length > 0) rejections.push(rejection('unknown_metric', `unknown metrics dropped: ${unknown.join(', ')}`, deviceId));
      if (notAllowed.length > 0) {
        rejections.push(rejection('metric_not_allowed', `metrics not allowed for a ${device.kind} device dropped: ${notAllowed.join(', ')}`, deviceId));
      }
    }
    return this.result(samples, rejections);
  }

  /** `sender`: the device whose topic carried the pack, whose dead letters hold what names no device. */
  senml(pack: unknown[], topicDeviceId: string | null, sender: string, mayReport: (id: string) => boolean, refusal: string): Decoded<D> {
    const decoded = decodeSenml(pack, {
      topicDeviceId,
      now: this.now,
      deviceOfName: (name) => this.registry.withSenmlName(name)?.id,
      unitOf: (metric) => this.registry.metric(metric)?.unit,
      metricsOf: (deviceId) => this.allowedMetrics(deviceId),
    });
    const rejections: Rejection[] = decoded.rejections.map((r) => rejection(r.reason, `record ${r.index}: ${r.message}`, r.deviceId ?? sender));
    const byDevice = new Map<string, Sample[]>();
    for (const s of decoded.samples) {
      if (!mayReport(s.deviceId)) {
        rejections.push(rejection('not_a_child', `${s.deviceId} ${refusal}`, s.deviceId));
        continue;
      }
      byDevice.set(s.deviceId, [...(byDevice.get(s.deviceId) ?? []), s]);
    }
    const samples: ResolvedSample<D>[] = [];
    for (const [deviceId, list] of byDevice) {
      const device = this.registry.device(deviceId);
      const allowed = device ? this.registry.metricsOf(device.kind) : new Set<string>();
      for (const s of list) {
        const late = this.timestamp(s.ts);
        if (late) rejections.push(rejection('bad_timestamp', `${s.metric}: ${late}`, deviceId));
        else if (!device || !allowed.has(s.metric)) rejections.push(rejection('metric_not_allowed', `${s.metric} is not allowed for a ${device?.kind} device`, deviceId));
        else samples.push({ ...s, device, metricId: this.registry.metric(s.metric)!.id });
      }
    }
    return this.result(samples, rejections);
  }

  private allowedMetrics(deviceId: string): ReadonlySet<string> {
    const kind = this.registry.device(deviceId)?.kind;
    return kind ? this.registry.metricsOf(kind) : new Set();
  }

  private result(samples: ResolvedSample<D>[], rejections: Rejection[]): Decoded<D> {
    // Nothing usable at all: one dead letter for the message rather than a message with no samples.
    if (samples.length === 0 && rejections.length === 1) return { kind: 'rejected', rejection: rejections[0] };
    if (samples.length === 0 && rejections.length === 0) {
      return { kind: 'rejected', rejection: rejection('invalid_payload', 'no readings in the message', null) };
    }
    return { kind: 'samples', samples, rejections };
  }
}

function toMillis(ts: string | number): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`)
    .join('; ');
}

type ParsedJson = { value: unknown } | { error: string; reason: DeadLetterReason };

function parseJson(payload: Buffer, maxDepth: number): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { reason: 'invalid_json', error: `not JSON: ${(err as Error).message}` };
  }
  if (depthOf(value, maxDepth) > maxDepth) return { reason: 'invalid_payload', error: `JSON nested deeper than ${maxDepth} levels` };
  return { value };
}

/** Depth of a JSON value, counted without recursion and stopping once past `limit`. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, level]);
  }
  return deepest;
}
