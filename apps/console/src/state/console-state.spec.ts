import type { AlertDto, DeviceDto } from '@ioc/contracts';
import {
  alertingDeviceIds,
  consoleReducer,
  initialConsoleState,
  mergeDeviceSnapshot,
  mergeTelemetry,
  sortedOpenAlerts,
  type ConsoleState,
} from './console-state';

function device(overrides: Partial<DeviceDto> = {}): DeviceDto {
  return {
    id: 'wl-01',
    kind: 'water_level',
    name: 'Trạm đo mực nước cầu Quay',
    lat: 10.36,
    lng: 106.36,
    areas: [],
    metadata: {},
    gatewayId: null,
    senmlNames: [],
    credentials: { state: 'active', issuedAt: '2026-11-23T07:00:00.000Z' },
    status: 'online',
    health: 'ok',
    lastSeen: '2026-11-23T07:00:00.000Z',
    latest: { water_level: { value: 1.1, ts: '2026-11-23T07:00:00.000Z' } },
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  };
}

function alert(overrides: Partial<AlertDto> = {}): AlertDto {
  return {
    id: 1,
    ruleId: 1,
    ruleVersion: 1,
    ruleName: 'Mực nước vượt BĐ2',
    severity: 'warning',
    deviceId: 'wl-01',
    metric: 'water_level',
    value: 1.7,
    message: {
      vi: 'Trạm đo mực nước cầu Quay: mực nước 1,70 m vượt BĐ2 (1,50 m)',
      en: 'Trạm đo mực nước cầu Quay: water level 1.70 m above alarm level 2 (1.50 m)',
    },
    state: 'open',
    incidentId: null,
    silenceId: null,
    inhibitedBy: null,
    openedAt: '2026-11-23T07:05:00.000Z',
    resolvedAt: null,
    ...overrides,
  };
}

function stateWith(devices: DeviceDto[], alerts: AlertDto[] = []): ConsoleState {
  return consoleReducer(initialConsoleState, { type: 'snapshot', devices, alerts });
}

describe('mergeTelemetry', () => {
  it('replaces the readings it carries and keeps the others', () => {
    const before = device({ latest: { ...device().latest, battery: { value: 80, ts: '2026-11-23T07:00:00.000Z' } } });
    const after = mergeTelemetry(before, { deviceId: 'wl-01', ts: '2026-11-23T07:01:00.000Z', metrics: { water_level: 1.23 } });
    expect(after.latest.water_level).toEqual({ value: 1.23, ts: '2026-11-23T07:01:00.000Z' });
    expect(after.latest.battery).toBe(before.latest.battery);
    expect(after.lastSeen).toBe('2026-11-23T07:01:00.000Z');
    expect(before.latest.water_level.value).toBe(1.1);
  });

  it('ignores a reading older than the one shown', () => {
    const before = device();
    const after = mergeTelemetry(before, { deviceId: 'wl-01', ts: '2026-11-23T06:59:00.000Z', metrics: { water_level: 9 } });
    expect(after).toBe(before);
  });

  it('returns the same object when nothing changes, so memoised views do not redraw', () => {
    const before = device();
    const after = mergeTelemetry(before, { deviceId: 'wl-01', ts: before.lastSeen!, metrics: { water_level: 1.1 } });
    expect(after).toBe(before);
  });

  it('sets lastSeen on a device never heard from', () => {
    const before = device({ lastSeen: null, latest: {}, status: 'unknown' });
    const after = mergeTelemetry(before, { deviceId: 'wl-01', ts: '2026-11-23T07:01:00.000Z', metrics: { water_level: 1.87 } });
    expect(after.lastSeen).toBe('2026-11-23T07:01:00.000Z');
    expect(after.latest.water_level.value).toBe(1.87);
  });
});

describe('mergeDeviceSnapshot', () => {
  it('keeps a newer reading held by the console over an older one from the server', () => {
    const held = device({ lastSeen: '2026-11-23T07:02:00.000Z', latest: { water_level: { value: 1.5, ts: '2026-11-23T07:02:00.000Z' } } });
    const merged = mergeDeviceSnapshot(held, device({ name: 'Tên mới' }));
    expect(merged.name).toBe('Tên mới');
    expect(merged.latest.water_level.value).toBe(1.5);
    expect(merged.lastSeen).toBe('2026-11-23T07:02:00.000Z');
  });

  it('takes the server reading when it is newer', () => {
    const incoming = device({ latest: { water_level: { value: 2, ts: '2026-11-23T07:03:00.000Z' } } });
    expect(mergeDeviceSnapshot(device(), incoming).latest.water_level.value).toBe(2);
  });
});

describe('consoleReducer', () => {
  it('indexes a snapshot and drops devices and alerts the server no longer has', () => {
    const first = stateWith([device(), device({ id: 'wl-02' })], [alert(), alert({ id: 2 })]);
    const second = consoleReducer(first, { type: 'snapshot', devices: [device()], alerts: [alert({ id: 2 })] });
    expect(Object.keys(second.devices)).toEqual(['wl-01']);
    expect(Object.keys(second.openAlerts)).toEqual(['2']);
  });

  it('merges a telemetry batch, skipping devices it does not know', () => {
    const before = stateWith([device(), device({ id: 'wl-02' })]);
    const after = consoleReducer(before, {
      type: 'telemetry',
      updates: [
        { deviceId: 'wl-01', ts: '2026-11-23T07:01:00.000Z', metrics: { water_level: 1.23 } },
        { deviceId: 'ghost', ts: '2026-11-23T07:01:00.000Z', metrics: { water_level: 5 } },
      ],
    });
    expect(after.devices['wl-01'].latest.water_level.value).toBe(1.23);
    expect(after.devices['wl-02']).toBe(before.devices['wl-02']);
    expect(after.devices.ghost).toBeUndefined();
  });

  it('returns the same state for a batch that changes nothing', () => {
    const before = stateWith([device()]);
    const after = consoleReducer(before, {
      type: 'telemetry',
      updates: [{ deviceId: 'wl-01', ts: '2026-11-23T06:00:00.000Z', metrics: { water_level: 3 } }],
    });
    expect(after).toBe(before);
  });

  it('applies a status change', () => {
    const after = consoleReducer(stateWith([device()]), {
      type: 'status',
      update: { deviceId: 'wl-01', status: 'offline', reason: 'heartbeat', at: '2026-11-23T07:10:00.000Z' },
    });
    expect(after.devices['wl-01'].status).toBe('offline');
  });

  it('adds and updates devices, and removes a device with its open alerts', () => {
    let state = consoleReducer(initialConsoleState, { type: 'device-upserted', device: device() });
    state = consoleReducer(state, { type: 'device-upserted', device: device({ name: 'Đổi tên' }) });
    state = consoleReducer(state, { type: 'alert-opened', alert: alert() });
    expect(state.devices['wl-01'].name).toBe('Đổi tên');
    state = consoleReducer(state, { type: 'device-removed', id: 'wl-01' });
    expect(state.devices).toEqual({});
    expect(state.openAlerts).toEqual({});
  });

  it('opens and resolves alerts', () => {
    let state = consoleReducer(stateWith([device()]), { type: 'alert-opened', alert: alert() });
    expect(alertingDeviceIds(state.openAlerts)).toEqual(new Set(['wl-01']));
    state = consoleReducer(state, { type: 'alert-resolved', alert: alert({ state: 'resolved', resolvedAt: '2026-11-23T08:00:00.000Z' }) });
    expect(state.openAlerts).toEqual({});
  });

  it('ignores an "opened" alert that is already resolved', () => {
    const before = stateWith([device()]);
    expect(consoleReducer(before, { type: 'alert-opened', alert: alert({ state: 'resolved' }) })).toBe(before);
  });
});

describe('sortedOpenAlerts', () => {
  it('puts the newest first', () => {
    const state = stateWith(
      [device()],
      [alert({ id: 1, openedAt: '2026-11-23T07:00:00.000Z' }), alert({ id: 2, openedAt: '2026-11-23T09:00:00.000Z' })],
    );
    expect(sortedOpenAlerts(state.openAlerts).map((a) => a.id)).toEqual([2, 1]);
  });
});
