import type { NoDataCondition } from '@ioc/contracts';
import { savedNumber, type AlertInput, type ConditionResult, type SavedState } from '../input';

export interface NoDataState {
  /** The newest reading of the metric, or when the rule started looking: silence counts from there. */
  since: number;
  active: boolean;
}

export const initial = (startedAt: number): NoDataState => ({ since: startedAt, active: false });

/** A state read back from JSON. */
export const restore = (saved: SavedState): NoDataState => ({ since: savedNumber(saved.since), active: saved.active === true });

/** When a tick may change the answer. */
export const wakeAt = (c: NoDataCondition, s: NoDataState) => (s.active ? null : s.since + c.afterS * 1000);

function result(c: NoDataCondition, state: NoDataState, was: boolean): ConditionResult<NoDataState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: wakeAt(c, state) };
}

/** Takes the input into `s` in place; false when it changes nothing. */
export function update(c: NoDataCondition, s: NoDataState, input: AlertInput): boolean {
  if (input.type === 'tick') {
    if (s.active || input.time < s.since + c.afterS * 1000) return false;
    s.active = true;
    return true;
  }
  if (input.type !== 'sample' || input.metric !== c.metric || input.time <= s.since) return false;
  s.since = input.time;
  s.active = false;
  return true;
}

/** Stale: fired by the clock once `afterS` pass without a reading; a newer reading clears it. */
export function evaluate(c: NoDataCondition, s: NoDataState, input: AlertInput): ConditionResult<NoDataState> {
  const next: NoDataState = { since: s.since, active: s.active };
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: NoDataCondition, s: NoDataState, input: AlertInput): ConditionResult<NoDataState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
