import { parseTopic, topics, type DeviceKind } from '@ioc/contracts';

export interface MqttIdentity {
  id: string;
  kind: DeviceKind;
}

/** Whether `childId` is registered behind the gateway `gatewayId`. */
export type IsChildOf = (childId: string, gatewayId: string) => boolean;

/**
 * A device publishes only under its own id; a gateway also on its gateway topic and under the
 * ids of its registered children. Downlink topics (commands) are never published by devices.
 */
export function mayPublish(device: MqttIdentity, topic: string, isChildOf: IsChildOf): boolean {
  const parsed = parseTopic(topic);
  if (!parsed) return false;
  if (parsed.channel === 'gateway_telemetry') return device.kind === 'gateway' && parsed.gatewayId === device.id;
  if (parsed.deviceId === device.id) return true;
  return device.kind === 'gateway' && isChildOf(parsed.deviceId, device.id);
}

/** A device subscribes only to its own command topic (a gateway also to its children's); no wildcards. */
export function maySubscribe(device: MqttIdentity, filter: string, isChildOf: IsChildOf): boolean {
  if (filter === topics.command(device.id)) return true;
  const match = /^ioc\/v1\/([a-z0-9][a-z0-9_-]{0,63})\/command$/.exec(filter);
  return device.kind === 'gateway' && match !== null && isChildOf(match[1], device.id);
}
