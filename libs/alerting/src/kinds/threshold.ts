import type { ComparisonCondition, RangeCondition, ThresholdCondition } from '@ioc/contracts';
import { savedNumber, type AlertInput, type ConditionResult, type SavedState } from '../input';

/** "None" is NaN (saved as null): see savedNumber. */
export interface ThresholdState {
  /** Time of the newest sample taken: an older one or the same again is ignored. NaN before the first. */
  newest: number;
  /** That sample's value; NaN before the first. */
  value: number;
  active: boolean;
  /** Start of the run of breaching values while `forS` has not elapsed yet; NaN when there is none. */
  pendingSince: number;
}

export const initial = (): ThresholdState => ({ newest: Number.NaN, value: Number.NaN, active: false, pendingSince: Number.NaN });

/** A state read back from JSON. */
export const restore = (saved: SavedState): ThresholdState => ({
  newest: savedNumber(saved.newest),
  value: savedNumber(saved.value),
  active: saved.active === true,
  pendingSince: savedNumber(saved.pendingSince),
});

const copy = (s: ThresholdState): ThresholdState => ({ newest: s.newest, value: s.value, active: s.active, pendingSince: s.pendingSince });

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

/** When a tick may change the answer. */
export const wakeAt = (c: ThresholdCondition, s: ThresholdState) => (s.active || Number.isNaN(s.pendingSince) ? null : s.pendingSince + c.forS * 1000);

/** The value a fire reports. */
export const value = (s: ThresholdState) => (Number.isNaN(s.value) ? undefined : s.value);

function result(c: ThresholdCondition, state: ThresholdState, was: boolean): ConditionResult<ThresholdState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: wakeAt(c, state), value: value(state) };
}

/** Takes the input into `s` in place; false when it changes nothing. */
export function update(c: ThresholdCondition, s: ThresholdState, input: AlertInput): boolean {
  if (input.type === 'tick') {
    const due = wakeAt(c, s);
    if (due === null || input.time < due) return false;
    s.active = true;
    s.pendingSince = Number.NaN;
    return true;
  }
  // Before the first sample `newest` is NaN, which no time is at or before.
  if (input.type !== 'sample' || input.metric !== c.metric || input.time <= s.newest) return false;
  const { time, value } = input;
  s.newest = time;
  s.value = value;
  if (s.active) {
    s.active = holds(c, value);
    s.pendingSince = Number.NaN;
  } else if (!breaches(c, value)) {
    s.pendingSince = Number.NaN;
  } else {
    const since = Number.isNaN(s.pendingSince) ? time : s.pendingSince;
    s.active = time >= since + c.forS * 1000;
    s.pendingSince = s.active ? Number.NaN : since;
  }
  return true;
}

export function evaluate(c: ThresholdCondition, s: ThresholdState, input: AlertInput): ConditionResult<ThresholdState> {
  const next = copy(s);
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: ThresholdCondition, s: ThresholdState, input: AlertInput): ConditionResult<ThresholdState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
