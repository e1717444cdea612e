import type { AlertDto, DeviceDto } from '@ioc/contracts';
import type { ConsoleAction } from './console-state';
import { SnapshotGate } from './snapshot-gate';

const device = { id: 'sal-01' } as DeviceDto;
const alert = { id: 7, deviceId: 'sal-01', state: 'open' } as AlertDto;
const telemetry: ConsoleAction = {
  type: 'telemetry',
  updates: [{ deviceId: 'sal-01', ts: '2026-11-23T07:00:00.000Z', metrics: { salinity: 4.2 } }],
};
const opened: ConsoleAction = { type: 'alert-opened', alert };

function gate() {
  const dispatched: ConsoleAction[] = [];
  return { gate: new SnapshotGate((a) => dispatched.push(a)), dispatched };
}

describe('SnapshotGate', () => {
  it('passes events straight through when no snapshot is loading', () => {
    const { gate: g, dispatched } = gate();
    g.event(telemetry);
    expect(dispatched).toEqual([telemetry]);
  });

  it('holds events during a load and replays them after the snapshot', () => {
    const { gate: g, dispatched } = gate();
    const load = g.begin();
    g.event(telemetry);
    g.event(opened);
    expect(dispatched).toEqual([]);
    expect(g.end(load, { devices: [device], alerts: [] })).toBe(true);
    expect(dispatched).toEqual([{ type: 'snapshot', devices: [device], alerts: [] }, telemetry, opened]);
    g.event(telemetry);
    expect(dispatched).toHaveLength(4);
  });

  it('applies only the latest of overlapping loads', () => {
    const { gate: g, dispatched } = gate();
    const first = g.begin();
    g.event(telemetry);
    const second = g.begin();
    expect(g.end(first, { devices: [], alerts: [] })).toBe(false);
    expect(dispatched).toEqual([]);
    expect(g.end(second, { devices: [device], alerts: [alert] })).toBe(true);
    expect(dispatched).toEqual([{ type: 'snapshot', devices: [device], alerts: [alert] }, telemetry]);
  });

  it('still delivers held events when the load fails', () => {
    const { gate: g, dispatched } = gate();
    const load = g.begin();
    g.event(telemetry);
    expect(g.end(load, null)).toBe(true);
    expect(dispatched).toEqual([telemetry]);
  });
});
