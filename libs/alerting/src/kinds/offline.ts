import type { OfflineCondition } from '@ioc/contracts';
import type { AlertInput, ConditionResult } from '../input';

export interface OfflineState {
  /** Time of the newest status taken: an older one arriving late is ignored. */
  statusAt: number | null;
  /** Offline since then; null while online or not yet heard of. */
  offlineSince: number | null;
  active: boolean;
}

export const initial = (): OfflineState => ({ statusAt: null, offlineSince: null, active: false });

const dueAt = (c: OfflineCondition, s: OfflineState) => (s.active || s.offlineSince === null ? null : s.offlineSince + c.afterS * 1000);

function result(c: OfflineCondition, state: OfflineState, was: boolean): ConditionResult<OfflineState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: dueAt(c, state) };
}

/**
 * Offline (session gone, last will, heartbeat missed: each arrives as an offline status) for
 * longer than the grace `afterS`. Apart from no_data: a device can be online and silent.
 */
export function evaluate(c: OfflineCondition, s: OfflineState, input: AlertInput): ConditionResult<OfflineState> {
  if (input.type === 'tick') {
    const due = dueAt(c, s);
    return due !== null && input.time >= due ? result(c, { ...s, active: true }, false) : result(c, s, s.active);
  }
  if (input.type !== 'status' || (s.statusAt !== null && input.time < s.statusAt)) return result(c, s, s.active);
  if (input.online) return result(c, { statusAt: input.time, offlineSince: null, active: false }, s.active);
  const offlineSince = s.offlineSince ?? input.time;
  return result(c, { statusAt: input.time, offlineSince, active: input.time >= offlineSince + c.afterS * 1000 }, s.active);
}
