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

/** Takes the input into `s` in place; false when it changes nothing. */
function update(c: ThresholdCondition, s: ThresholdState, input: AlertInput): boolean {
  if (input.type === 'tick') {
    const due = dueAt(c, s);
    if (due === null || input.time < due) return false;
    s.active = true;
    s.pendingSince = null;
    return true;
  }
  if (input.type !== 'sample' || input.metric !== c.metric || (s.newest !== null && input.time <= s.newest)) return false;
  const { time, value } = input;
  s.newest = time;
  s.value = value;
  if (s.active) {
    s.active = holds(c, value);
    s.pendingSince = null;
  } else if (!breaches(c, value)) {
    s.pendingSince = null;
  } else {
    const since = s.pendingSince ?? time;
    s.active = time >= since + c.forS * 1000;
    s.pendingSince = s.active ? null : since;
  }
  return true;
}

export function evaluate(c: ThresholdCondition, s: ThresholdState, input: AlertInput): ConditionResult<ThresholdState> {
  const next = { ...s };
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: ThresholdCondition, s: ThresholdState, input: AlertInput): ConditionResult<ThresholdState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
