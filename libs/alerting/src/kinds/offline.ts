import type { OfflineCondition } from '@ioc/contracts';
import { savedNumber, type AlertInput, type ConditionResult, type SavedState } from '../input';

/** "None" is NaN (saved as null): see savedNumber. */
export interface OfflineState {
  /** Time of the newest status taken: an older one arriving late is ignored. NaN before the first. */
  statusAt: number;
  /** Offline since then; NaN while online or not yet heard of. */
  offlineSince: number;
  active: boolean;
}

export const initial = (): OfflineState => ({ statusAt: Number.NaN, offlineSince: Number.NaN, active: false });

/** A state read back from JSON. */
export const restore = (saved: SavedState): OfflineState => ({
  statusAt: savedNumber(saved.statusAt),
  offlineSince: savedNumber(saved.offlineSince),
  active: saved.active === true,
});

/** When a tick may change the answer. */
export const wakeAt = (c: OfflineCondition, s: OfflineState) => (s.active || Number.isNaN(s.offlineSince) ? null : s.offlineSince + c.afterS * 1000);

function result(c: OfflineCondition, state: OfflineState, was: boolean): ConditionResult<OfflineState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: wakeAt(c, state) };
}

/** Takes the input into `s` in place; false when it changes nothing. */
export function update(c: OfflineCondition, s: OfflineState, input: AlertInput): boolean {
  if (input.type === 'tick') {
    const due = wakeAt(c, s);
    if (due === null || input.time < due) return false;
    s.active = true;
    return true;
  }
  if (input.type !== 'status' || input.time < s.statusAt) return false;
  s.statusAt = input.time;
  if (input.online) {
    s.offlineSince = Number.NaN;
    s.active = false;
  } else {
    if (Number.isNaN(s.offlineSince)) s.offlineSince = input.time;
    s.active = input.time >= s.offlineSince + c.afterS * 1000;
  }
  return true;
}

/**
 * Offline (session gone, last will, heartbeat missed: each arrives as an offline status) for
 * longer than the grace `afterS`. Apart from no_data: a device can be online and silent.
 */
export function evaluate(c: OfflineCondition, s: OfflineState, input: AlertInput): ConditionResult<OfflineState> {
  const next: OfflineState = { statusAt: s.statusAt, offlineSince: s.offlineSince, active: s.active };
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: OfflineCondition, s: OfflineState, input: AlertInput): ConditionResult<OfflineState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
