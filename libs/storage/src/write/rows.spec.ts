import type { ResolvedDevice } from '@ioc/common';
import { deadLetterRow, sampleRows, statusRow } from './rows';

const device: ResolvedDevice = { id: 'mt-wl-01', key: 42, kind: 'water_level', name: 'Water level 1', areaIds: [], gatewayId: null };

describe('rows', () => {
  it('stores samples under the device key and metric id they were resolved to', () => {
    const rows = sampleRows([{ deviceId: 'mt-wl-01', metric: 'water_level', ts: 1000, value: 1.5, device, metricId: 7 }], 2000);
    expect(rows).toEqual([{ deviceKey: 42, metricId: 7, ts: 1000, value: 1.5, receivedAt: 2000 }]);
  });

  it('stores a transition at its time', () => {
    const row = statusRow(device, { deviceId: 'mt-wl-01', status: 'offline', reason: 'heartbeat', at: '2026-11-23T07:00:00.000Z' });
    expect(row).toEqual({ deviceKey: 42, status: 'offline', reason: 'heartbeat', ts: Date.parse('2026-11-23T07:00:00Z') });
  });

  it('keeps a dead letter storable: no NUL, the payload cut to 2048 characters', () => {
    const payload = Buffer.from(`\u0000${'x'.repeat(5000)}`);
    const row = deadLetterRow('ioc/v1/a\u0000b/telemetry', payload, 1, { reason: 'invalid_json', message: 'bad \u0000', deviceId: null });
    expect(row.topic).toBe('ioc/v1/a\\u0000b/telemetry');
    expect(row.message).toBe('bad \\u0000');
    expect(row.payload.startsWith('\\u0000x')).toBe(true);
    expect(row.payload).toHaveLength(2048 - 1 + '\\u0000'.length);
  });
});
