import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { LatestValue, Sample, TelemetryUpdate } from '@ioc/contracts';
import { EventBus } from '@ioc/common';

interface Held {
  ts: number;
  value: number;
}

/** A device's values that changed since the last drain. */
interface Changed {
  /** The newest of their times. */
  ts: number;
  metrics: Map<string, number>;
}

/**
 * The newest accepted value of each device's metrics, held in memory: the one store of them in
 * the process. The database's copy (`telemetry_latest`) is written about once a second, so a
 * snapshot read from it alone could miss a reading the live stream sent while a console was
 * reconnecting; merged with this, it cannot. The live stream drains what changed since its last
 * push from here too, so a chatty device costs the browser one update per push.
 */
@Injectable()
export class NewestValues implements OnModuleInit, OnModuleDestroy {
  private readonly byDevice = new Map<string, Map<string, Held>>();
  /** Null while nothing drains the changes (no live stream in this process). */
  private changed: Map<string, Changed> | null = null;
  private readonly unsubscribers: (() => void)[] = [];

  constructor(private readonly bus: EventBus) {}

  onModuleInit(): void {
    this.unsubscribers.push(
      this.bus.on('samples.accepted', (samples) => this.add(samples)),
      this.bus.on('device.removed', (id) => this.forget(id)),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribers) off();
  }

  add(samples: readonly Sample[]): void {
    for (const s of samples) {
      let metrics = this.byDevice.get(s.deviceId);
      if (!metrics) {
        metrics = new Map();
        this.byDevice.set(s.deviceId, metrics);
      }
      const held = metrics.get(s.metric);
      // A late, older reading never overwrites a newer one.
      if (held && held.ts > s.ts) continue;
      metrics.set(s.metric, { ts: s.ts, value: s.value });
      if (this.changed) markChanged(this.changed, s);
    }
  }

  forget(deviceId: string): void {
    this.byDevice.delete(deviceId);
    this.changed?.delete(deviceId);
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

  /** From now on, remember what changed for `drainChanges`. */
  trackChanges(): void {
    this.changed ??= new Map();
  }

  /** One update per device whose values changed since the last drain, with those values. */
  drainChanges(): TelemetryUpdate[] {
    const updates: TelemetryUpdate[] = [];
    if (!this.changed) return updates;
    for (const [deviceId, device] of this.changed) {
      updates.push({ deviceId, ts: new Date(device.ts).toISOString(), metrics: Object.fromEntries(device.metrics) });
    }
    this.changed = new Map();
    return updates;
  }
}

function markChanged(changed: Map<string, Changed>, s: Sample): void {
  let device = changed.get(s.deviceId);
  if (!device) {
    device = { ts: s.ts, metrics: new Map() };
    changed.set(s.deviceId, device);
  }
  device.metrics.set(s.metric, s.value);
  if (s.ts > device.ts) device.ts = s.ts;
}
