import type { AlertDto, DeviceDto } from '@ioc/contracts';
import type { ConsoleAction } from './console-state';

export interface Snapshot {
  devices: DeviceDto[];
  alerts: AlertDto[];
}

/**
 * Orders snapshots and live events: events that arrive while a snapshot loads are held and replayed
 * on top of it, so a snapshot read just before an event cannot hide that event. When loads overlap
 * (start-up and a reconnect), only the latest one is applied.
 */
export class SnapshotGate {
  private held: ConsoleAction[] | null = null;
  private latestLoad = 0;

  constructor(private readonly dispatch: (action: ConsoleAction) => void) {}

  event(action: ConsoleAction): void {
    if (this.held) this.held.push(action);
    else this.dispatch(action);
  }

  /** Starts holding events; returns the load's number for `end`. */
  begin(): number {
    this.held ??= [];
    return ++this.latestLoad;
  }

  /** Applies the snapshot (null: the load failed) and the held events; false when a later load superseded this one. */
  end(load: number, snapshot: Snapshot | null): boolean {
    if (load !== this.latestLoad) return false;
    if (snapshot) this.dispatch({ type: 'snapshot', ...snapshot });
    const held = this.held ?? [];
    this.held = null;
    held.forEach((action) => this.dispatch(action));
    return true;
  }
}
