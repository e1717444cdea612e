import type { AlertDto, CommandDto, DeviceDto, DeviceHealth } from './api';
import type { IncidentEventDto } from './incidents';
import type { DeviceEvent, DeviceStatus } from './payloads';

export interface TelemetryUpdate {
  deviceId: string;
  /** ISO-8601 of the newest reading in the update. */
  ts: string;
  metrics: Record<string, number>;
}

/** Why a device's status changed. */
export type StatusReason = 'reported' | 'data' | 'heartbeat';

export interface DeviceStatusUpdate {
  deviceId: string;
  status: DeviceStatus;
  /** reported: its status topic or last will; data: it sent readings; heartbeat: silent too long. */
  reason: StatusReason;
  /** ISO-8601 */
  at: string;
}

export interface DeviceHealthUpdate {
  deviceId: string;
  health: DeviceHealth;
  /** ISO-8601 */
  at: string;
}

/** socket.io events the server emits. Telemetry is coalesced per device and sent in batches. */
export interface ServerToClientEvents {
  'telemetry:batch': (updates: TelemetryUpdate[]) => void;
  'device:status': (update: DeviceStatusUpdate) => void;
  /** The device's health changed (maintenance, offline, stale, ok). */
  'device:health': (update: DeviceHealthUpdate) => void;
  /** A device event (camera analytics); `ts` is epoch milliseconds. */
  'device:event': (event: DeviceEvent) => void;
  'device:upserted': (device: DeviceDto) => void;
  'device:removed': (payload: { id: string }) => void;
  'alert:opened': (alert: AlertDto) => void;
  'alert:resolved': (alert: AlertDto) => void;
  /**
   * Incidents go to the operations room, and to a field team only once dispatched to it. A client
   * that reconnects catches up with GET /api/incidents?updatedSince=.
   */
  'incident:opened': (event: IncidentEventDto) => void;
  'incident:updated': (event: IncidentEventDto) => void;
  /** Sent to the team an incident was dispatched to, when it is dispatched to another team instead. */
  'incident:withdrawn': (payload: { id: number }) => void;
  /** A command was sent, acknowledged, refused or timed out. */
  'command:updated': (command: CommandDto) => void;
  /** Sent just before the server closes the socket: refresh the session and connect again. */
  'session:ended': (payload: { reason: 'expired' | 'revoked' }) => void;
}

export type ClientToServerEvents = Record<string, never>;

export const SOCKET_PATH = '/socket.io';

/** The handshake a socket.io client sends: `io(url, { auth: { token } })`. */
export interface SocketAuth {
  token: string;
}
