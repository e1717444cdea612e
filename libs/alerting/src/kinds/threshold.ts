import type { ComparisonCondition, RangeCondition, ThresholdCondition } from '@ioc/contracts';
import type { AlertInput, ConditionResult } from '../input';

export interface ThresholdState {
  /** Time of the newest sample taken: an older one or the same again is ignored. */
  newest: number | null;
  value: number | null;
  active: boolean;
  /** Start of the run of breaching values while `forS` has not elapsed yet. */
  pendingSince: number | null;
}

export const initial = (): ThresholdState => ({ newest: null, value: null, active: false, pendingSince: null });

function compare(operator: ComparisonCondition['operator'], v: number, level: number): boolean {
  switch (operator) {
    case '>':
      return v > level;
    case '>=':
      return v >= level;
    case '<':
      return v < level;
    case '<=':
      return v <= level;
  }
}

function inRange(c: RangeCondition, v: number, margin: number): boolean {
  return c.operator === 'outside' ? v < c.low + margin || v > c.high - margin : v >= c.low - margin && v <= c.high + margin;
}

const isRange = (c: ThresholdCondition): c is RangeCondition => c.operator === 'outside' || c.operator === 'inside';

function breaches(c: ThresholdCondition, v: number): boolean {
  return isRange(c) ? inRange(c, v, 0) : compare(c.operator, v, c.value);
}

/** Still firing: the value has not passed back over the clear level (hysteresis). */
function holds(c: ThresholdCondition, v: number): boolean {
  if (isRange(c)) return inRange(c, v, c.clearMargin);
  return compare(c.operator, v, c.clear ?? c.value);
}

const dueAt = (c: ThresholdCondition, s: ThresholdState) => (s.active || s.pendingSince === null ? null : s.pendingSince + c.forS * 1000);

function result(c: ThresholdCondition, state: ThresholdState, was: boolean): ConditionResult<ThresholdState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: dueAt(c, state), value: state.value ?? undefined };
}

export function evaluate(c: ThresholdCondition, s: ThresholdState, input: AlertInput): ConditionResult<ThresholdState> {
  if (input.type === 'tick') {
    const due = dueAt(c, s);
    return due !== null && input.time >= due ? result(c, { ...s, active: true, pendingSince: null }, false) : result(c, s, s.active);
  }
  if (input.type !== 'sample' || input.metric !== c.metric || (s.newest !== null && input.time <= s.newest)) return result(c, s, s.active);
  const { time, value } = input;
  if (s.active) return result(c, { newest: time, value, active: holds(c, value), pendingSince: null }, true);
  if (!breaches(c, value)) return result(c, { newest: time, value, active: false, pendingSince: null }, false);
  const since = s.pendingSince ?? time;
  const active = time >= since + c.forS * 1000;
  return result(c, { newest: time, value, active, pendingSince: active ? null : since }, false);
}
