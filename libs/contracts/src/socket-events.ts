import type { AlertDto, DeviceDto } from './api';
import type { DeviceStatus } from './payloads';

export interface TelemetryUpdate {
  deviceId: string;
  /** ISO-8601 of the newest reading in the update. */
  ts: string;
  metrics: Record<string, number>;
}

export interface DeviceStatusUpdate {
  deviceId: string;
  status: DeviceStatus;
  /** ISO-8601 */
  at: string;
}

/** socket.io events the server emits. Telemetry is coalesced per device and sent in batches. */
export interface ServerToClientEvents {
  'telemetry:batch': (updates: TelemetryUpdate[]) => void;
  'device:status': (update: DeviceStatusUpdate) => void;
  'device:upserted': (device: DeviceDto) => void;
  'device:removed': (payload: { id: string }) => void;
  'alert:opened': (alert: AlertDto) => void;
  'alert:resolved': (alert: AlertDto) => void;
}

export type ClientToServerEvents = Record<string, never>;

export const SOCKET_PATH = '/socket.io';
