import type { LatestValue, Sample } from '@ioc/contracts';

interface Held {
  ts: number;
  value: number;
}

/**
 * The newest accepted value of each device's metrics, held in memory. The database's copy
 * (`telemetry_latest`) is written about once a second, so a snapshot read from it alone could miss
 * a reading the live stream sent while a console was reconnecting; merged with this, it cannot.
 */
export class NewestValues {
  private readonly byDevice = new Map<string, Map<string, Held>>();

  add(samples: readonly Sample[]): void {
    for (const s of samples) {
      let metrics = this.byDevice.get(s.deviceId);
      if (!metrics) {
        metrics = new Map();
        this.byDevice.set(s.deviceId, metrics);
      }
      const held = metrics.get(s.metric);
      if (!held || held.ts <= s.ts) metrics.set(s.metric, { ts: s.ts, value: s.value });
    }
  }

  forget(deviceId: string): void {
    this.byDevice.delete(deviceId);
  }

  /** The stored newest values of a device, each replaced by the one held here when that is newer. */
  merge(deviceId: string, stored: Record<string, LatestValue> | undefined): Record<string, LatestValue> {
    const merged = { ...stored };
    for (const [metric, held] of this.byDevice.get(deviceId) ?? []) {
      const known = merged[metric];
      if (!known || Date.parse(known.ts) < held.ts) merged[metric] = { value: held.value, ts: new Date(held.ts).toISOString() };
    }
    return merged;
  }
}
