import type { NoDataCondition } from '@ioc/contracts';
import type { AlertInput, ConditionResult } from '../input';

export interface NoDataState {
  /** The newest reading of the metric, or when the rule started looking: silence counts from there. */
  since: number;
  active: boolean;
}

export const initial = (startedAt: number): NoDataState => ({ since: startedAt, active: false });

function result(c: NoDataCondition, state: NoDataState, was: boolean): ConditionResult<NoDataState> {
  const wakeAt = state.active ? null : state.since + c.afterS * 1000;
  return { state, active: state.active, changed: state.active !== was, wakeAt };
}

/** Stale: fired by the clock once `afterS` pass without a reading; a newer reading clears it. */
export function evaluate(c: NoDataCondition, s: NoDataState, input: AlertInput): ConditionResult<NoDataState> {
  if (input.type === 'tick') {
    const due = !s.active && input.time >= s.since + c.afterS * 1000;
    return due ? result(c, { since: s.since, active: true }, false) : result(c, s, s.active);
  }
  if (input.type !== 'sample' || input.metric !== c.metric || input.time <= s.since) return result(c, s, s.active);
  return result(c, { since: input.time, active: false }, s.active);
}
