import type { DeviceDto } from '@ioc/contracts';
import { displayStatus, primaryMetric, reportedMetrics, STALE_AFTER_MS } from './device-display';

const NOW = Date.parse('2026-11-23T07:00:00.000Z');

function device(overrides: Partial<DeviceDto> = {}): DeviceDto {
  return {
    id: 'aq-01',
    kind: 'air_quality',
    name: 'Quan trắc không khí Công viên Tết Mậu Thân',
    lat: 10.36,
    lng: 106.36,
    areas: [],
    metadata: {},
    gatewayId: null,
    senmlNames: [],
    credentials: { state: 'active', issuedAt: '2026-11-23T07:00:00.000Z' },
    status: 'online',
    health: 'ok',
    lastSeen: new Date(NOW - 60_000).toISOString(),
    latest: {},
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  };
}

const reading = { value: 1, ts: '2026-11-23T07:00:00.000Z' };

describe('displayStatus', () => {
  it('is online when heard from recently', () => {
    expect(displayStatus(device(), false, NOW)).toBe('online');
  });

  it('is stale after five minutes without data', () => {
    expect(displayStatus(device({ lastSeen: new Date(NOW - STALE_AFTER_MS - 1).toISOString() }), false, NOW)).toBe('stale');
    expect(displayStatus(device({ lastSeen: new Date(NOW - STALE_AFTER_MS).toISOString() }), false, NOW)).toBe('online');
  });

  it('is offline when the device said so, and unknown when never heard from', () => {
    expect(displayStatus(device({ status: 'offline' }), false, NOW)).toBe('offline');
    expect(displayStatus(device({ status: 'unknown', lastSeen: null }), false, NOW)).toBe('unknown');
  });

  it('counts a device heard from for the first time as online', () => {
    expect(displayStatus(device({ status: 'unknown' }), false, NOW)).toBe('online');
  });

  it('shows an open alert over every other state', () => {
    expect(displayStatus(device({ status: 'offline' }), true, NOW)).toBe('alerting');
    expect(displayStatus(device({ status: 'unknown', lastSeen: null }), true, NOW)).toBe('alerting');
  });
});

describe('primaryMetric', () => {
  it("prefers the kind's main metric", () => {
    expect(primaryMetric(device({ latest: { pm10: reading, pm25: reading } }))).toBe('pm25');
  });

  it('falls back to the first reported metric in catalogue order', () => {
    expect(primaryMetric(device({ latest: { humidity: reading, pm10: reading } }))).toBe('pm10');
    expect(primaryMetric(device({ kind: 'gateway', latest: { battery: reading } }))).toBe('battery');
  });

  it('is null before any reading', () => {
    expect(primaryMetric(device())).toBeNull();
  });
});

describe('reportedMetrics', () => {
  it('lists catalogue metrics in catalogue order, then unknown ones by name', () => {
    expect(reportedMetrics(device({ latest: { zeta: reading, humidity: reading, alpha: reading, pm25: reading } }))).toEqual([
      'pm25',
      'humidity',
      'alpha',
      'zeta',
    ]);
  });
});
