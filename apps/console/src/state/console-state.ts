import type { AlertDto, DeviceDto, DeviceStatusUpdate, LatestValue, TelemetryUpdate } from '@ioc/contracts';
import { incidentsReducer, initialIncidentsState, type IncidentsAction, type IncidentsState } from './incident-state';

export interface ConsoleState {
  devices: Record<string, DeviceDto>;
  openAlerts: Record<number, AlertDto>;
  incidents: IncidentsState;
}

export type ConsoleAction =
  | { type: 'snapshot'; devices: DeviceDto[]; alerts: AlertDto[] }
  | { type: 'telemetry'; updates: TelemetryUpdate[] }
  | { type: 'status'; update: DeviceStatusUpdate }
  | { type: 'device-upserted'; device: DeviceDto }
  | { type: 'device-removed'; id: string }
  | { type: 'alert-opened'; alert: AlertDto }
  | { type: 'alert-resolved'; alert: AlertDto }
  | IncidentsAction;

export const initialConsoleState: ConsoleState = { devices: {}, openAlerts: {}, incidents: initialIncidentsState };

function isNewer(candidate: string | null, than: string | null): boolean {
  if (candidate === null) return false;
  return than === null || Date.parse(candidate) > Date.parse(than);
}

/** Applies one coalesced update; readings older than what the device already shows are ignored. */
export function mergeTelemetry(device: DeviceDto, update: TelemetryUpdate): DeviceDto {
  let latest: Record<string, LatestValue> | null = null;
  for (const [metric, value] of Object.entries(update.metrics)) {
    const current = device.latest[metric];
    if (current && (isNewer(current.ts, update.ts) || (current.ts === update.ts && current.value === value))) continue;
    latest ??= { ...device.latest };
    latest[metric] = { value, ts: update.ts };
  }
  const lastSeen = isNewer(update.ts, device.lastSeen) ? update.ts : device.lastSeen;
  if (latest === null && lastSeen === device.lastSeen) return device;
  return { ...device, latest: latest ?? device.latest, lastSeen };
}

/**
 * Takes the server's copy of a device but keeps any reading the console already holds that is newer,
 * so a snapshot fetched before a live update cannot roll the value back.
 */
export function mergeDeviceSnapshot(current: DeviceDto | undefined, incoming: DeviceDto): DeviceDto {
  if (!current) return incoming;
  const latest = { ...incoming.latest };
  for (const [metric, held] of Object.entries(current.latest)) {
    const fresh = latest[metric];
    if (!fresh || isNewer(held.ts, fresh.ts)) latest[metric] = held;
  }
  const lastSeen = isNewer(current.lastSeen, incoming.lastSeen) ? current.lastSeen : incoming.lastSeen;
  return { ...incoming, latest, lastSeen };
}

export function consoleReducer(state: ConsoleState, action: ConsoleAction): ConsoleState {
  switch (action.type) {
    case 'snapshot': {
      const devices: Record<string, DeviceDto> = {};
      for (const device of action.devices) devices[device.id] = mergeDeviceSnapshot(state.devices[device.id], device);
      const openAlerts: Record<number, AlertDto> = {};
      for (const alert of action.alerts) if (alert.state === 'open') openAlerts[alert.id] = alert;
      return { ...state, devices, openAlerts };
    }
    case 'telemetry': {
      let devices: Record<string, DeviceDto> | null = null;
      for (const update of action.updates) {
        const device = (devices ?? state.devices)[update.deviceId];
        if (!device) continue;
        const merged = mergeTelemetry(device, update);
        if (merged === device) continue;
        devices ??= { ...state.devices };
        devices[update.deviceId] = merged;
      }
      return devices ? { ...state, devices } : state;
    }
    case 'status': {
      const device = state.devices[action.update.deviceId];
      if (!device || device.status === action.update.status) return state;
      return { ...state, devices: { ...state.devices, [device.id]: { ...device, status: action.update.status } } };
    }
    case 'device-upserted': {
      const device = mergeDeviceSnapshot(state.devices[action.device.id], action.device);
      return { ...state, devices: { ...state.devices, [device.id]: device } };
    }
    case 'device-removed': {
      if (!state.devices[action.id]) return state;
      const devices = { ...state.devices };
      delete devices[action.id];
      const openAlerts = Object.fromEntries(
        Object.entries(state.openAlerts).filter(([, alert]) => alert.deviceId !== action.id),
      );
      return { ...state, devices, openAlerts };
    }
    case 'alert-opened':
      if (action.alert.state !== 'open') return state;
      return { ...state, openAlerts: { ...state.openAlerts, [action.alert.id]: action.alert } };
    case 'alert-resolved': {
      if (!state.openAlerts[action.alert.id]) return state;
      const openAlerts = { ...state.openAlerts };
      delete openAlerts[action.alert.id];
      return { ...state, openAlerts };
    }
    case 'incidents-loaded':
    case 'incident-changed':
    case 'incident-withdrawn': {
      const incidents = incidentsReducer(state.incidents, action);
      return incidents === state.incidents ? state : { ...state, incidents };
    }
  }
}

/** Open alerts, newest first. */
export function sortedOpenAlerts(openAlerts: ConsoleState['openAlerts']): AlertDto[] {
  return Object.values(openAlerts).sort((a, b) => Date.parse(b.openedAt) - Date.parse(a.openedAt));
}

export function alertingDeviceIds(openAlerts: ConsoleState['openAlerts']): Set<string> {
  return new Set(Object.values(openAlerts).map((alert) => alert.deviceId));
}
