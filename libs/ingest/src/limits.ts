import { DEFAULT_HEARTBEAT_S, DEVICE_KINDS, type DeviceKind } from '@ioc/contracts';
import type { AppConfig } from '@ioc/config';
import type { IngestLimits } from './decode';

/** The ingest limits a configuration sets. */
export function ingestLimits(config: AppConfig): IngestLimits {
  return {
    maxPayloadBytes: config.MQTT_MAX_PAYLOAD_BYTES,
    maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
    maxAgeMs: config.INGEST_MAX_AGE_S * 1000,
    maxJsonDepth: config.INGEST_MAX_JSON_DEPTH,
  };
}

/** Silence after which a device of each kind is taken for offline, in milliseconds. */
export function heartbeatTimeouts(config: AppConfig): Record<DeviceKind, number> {
  const timeouts = {} as Record<DeviceKind, number>;
  for (const kind of DEVICE_KINDS) timeouts[kind] = (config.INGEST_HEARTBEAT_S[kind] ?? DEFAULT_HEARTBEAT_S[kind]) * 1000;
  return timeouts;
}
