import type { AlertConditionKind, DeviceStatus } from '@ioc/contracts';

/** A silence as matching needs it; times are epoch milliseconds. Fields null match anything. */
export interface SilenceWindow {
  id: number;
  ruleId: number | null;
  deviceId: string | null;
  areaId: string | null;
  startsAt: number;
  endsAt: number;
}

/** The silence holding back an alert of the rule on the device at `at`: of those that match, the one ending last. */
export function silenceFor(
  silences: Iterable<SilenceWindow>,
  ruleId: number,
  device: { id: string; areaIds: readonly string[] },
  at: number,
): SilenceWindow | null {
  let found: SilenceWindow | null = null;
  for (const s of silences) {
    if (at < s.startsAt || at >= s.endsAt) continue;
    if (s.ruleId !== null && s.ruleId !== ruleId) continue;
    if (s.deviceId !== null && s.deviceId !== device.id) continue;
    if (s.areaId !== null && !device.areaIds.includes(s.areaId)) continue;
    if (found === null || s.endsAt > found.endsAt) found = s;
  }
  return found;
}

type Status = DeviceStatus | 'unknown';

/**
 * What makes an alert a symptom rather than a cause: an offline gateway explains its children
 * going offline or silent, and a device offline explains its own silence.
 */
export function inhibitorOf(
  kind: AlertConditionKind,
  device: { id: string; status: Status },
  gateway: { id: string; status: Status } | null,
): string | null {
  if (kind !== 'offline' && kind !== 'no_data') return null;
  if (gateway?.status === 'offline') return gateway.id;
  if (kind === 'no_data' && device.status === 'offline') return device.id;
  return null;
}
