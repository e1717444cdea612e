/** MQTT topics of contract v1 (see docs/mqtt.md). */
export const TOPIC_ROOT = 'ioc/v1';

export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export type MessageChannel = 'telemetry' | 'event' | 'status' | 'command' | 'command/ack';

export const topics = {
  telemetry: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/telemetry`,
  event: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/event`,
  status: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/status`,
  command: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/command`,
  commandAck: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/command/ack`,
  gatewayTelemetry: (gatewayId: string) => `${TOPIC_ROOT}/gateway/${gatewayId}/telemetry`,
} as const;

/** What the server subscribes to when it is a client of an external broker. */
export const SERVER_SUBSCRIPTIONS = [
  `${TOPIC_ROOT}/+/telemetry`,
  `${TOPIC_ROOT}/+/event`,
  `${TOPIC_ROOT}/+/status`,
  `${TOPIC_ROOT}/+/command/ack`,
  `${TOPIC_ROOT}/gateway/+/telemetry`,
] as const;

export type ParsedTopic =
  | { channel: Exclude<MessageChannel, 'command'>; deviceId: string }
  | { channel: 'gateway_telemetry'; gatewayId: string };

/** Splits an inbound topic; null when it is not an uplink topic of contract v1. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  if (parts[2] === 'gateway') {
    if (parts.length !== 5 || parts[4] !== 'telemetry' || !DEVICE_ID_PATTERN.test(parts[3])) return null;
    return { channel: 'gateway_telemetry', gatewayId: parts[3] };
  }
  const deviceId = parts[2];
  if (!DEVICE_ID_PATTERN.test(deviceId)) return null;
  const rest = parts.slice(3).join('/');
  if (rest === 'telemetry' || rest === 'event' || rest === 'status' || rest === 'command/ack') {
    return { channel: rest, deviceId };
  }
  return null;
}
