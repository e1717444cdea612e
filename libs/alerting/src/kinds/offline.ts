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

/** Takes the input into `s` in place; false when it changes nothing. */
function update(c: OfflineCondition, s: OfflineState, input: AlertInput): boolean {
  if (input.type === 'tick') {
    const due = dueAt(c, s);
    if (due === null || input.time < due) return false;
    s.active = true;
    return true;
  }
  if (input.type !== 'status' || (s.statusAt !== null && input.time < s.statusAt)) return false;
  s.statusAt = input.time;
  if (input.online) {
    s.offlineSince = null;
    s.active = false;
  } else {
    s.offlineSince ??= input.time;
    s.active = input.time >= s.offlineSince + c.afterS * 1000;
  }
  return true;
}

/**
 * Offline (session gone, last will, heartbeat missed: each arrives as an offline status) for
 * longer than the grace `afterS`. Apart from no_data: a device can be online and silent.
 */
export function evaluate(c: OfflineCondition, s: OfflineState, input: AlertInput): ConditionResult<OfflineState> {
  const next = { ...s };
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: OfflineCondition, s: OfflineState, input: AlertInput): ConditionResult<OfflineState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
