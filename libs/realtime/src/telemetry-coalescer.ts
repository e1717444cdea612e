import type { Sample, TelemetryUpdate } from '@ioc/contracts';

/**
 * Keeps only the newest value per (device, metric) between two flushes, so a chatty device
 * costs the browser one update per flush however fast it publishes.
 */
export class TelemetryCoalescer {
  private pending = new Map<string, { ts: number; metrics: Map<string, { ts: number; value: number }> }>();

  add(samples: readonly Sample[]): void {
    for (const s of samples) {
      let device = this.pending.get(s.deviceId);
      if (!device) {
        device = { ts: s.ts, metrics: new Map() };
        this.pending.set(s.deviceId, device);
      }
      const current = device.metrics.get(s.metric);
      if (!current || current.ts <= s.ts) device.metrics.set(s.metric, { ts: s.ts, value: s.value });
      if (s.ts > device.ts) device.ts = s.ts;
    }
  }

  drain(): TelemetryUpdate[] {
    const updates: TelemetryUpdate[] = [];
    for (const [deviceId, device] of this.pending) {
      const metrics: Record<string, number> = {};
      for (const [name, { value }] of device.metrics) metrics[name] = value;
      updates.push({ deviceId, ts: new Date(device.ts).toISOString(), metrics });
    }
    this.pending = new Map();
    return updates;
  }
}
