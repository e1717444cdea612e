import type { CameraEventCondition } from '@ioc/contracts';
import { savedNumber, savedNumbers, type AlertInput, type ConditionResult, type SavedState } from '../input';

export interface CameraEventState {
  /** Times of the newest matching events still in the window, ascending; at most `count`. */
  times: number[];
  /** The newest time seen (events and ticks): the window ends there. NaN before the first (saved as null). */
  clock: number;
  active: boolean;
}

export const initial = (): CameraEventState => ({ times: [], clock: Number.NaN, active: false });

/** A state read back from JSON. */
export const restore = (saved: SavedState): CameraEventState => ({
  times: savedNumbers(saved.times),
  clock: savedNumber(saved.clock),
  active: saved.active === true,
});

/** When a tick may change the answer: the oldest of the `count` events leaves the window (clock - windowS, clock] then. */
export const wakeAt = (c: CameraEventCondition, s: CameraEventState) => (s.active ? s.times[0] + c.windowS * 1000 : null);

/** The value a fire reports: the events in the window. */
export const value = (s: CameraEventState) => s.times.length;

function result(c: CameraEventCondition, state: CameraEventState, was: boolean): ConditionResult<CameraEventState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: wakeAt(c, state), value: value(state) };
}

function settle(c: CameraEventCondition, s: CameraEventState, clock: number): void {
  const from = clock - c.windowS * 1000;
  let i = 0;
  while (i < s.times.length && s.times[i] <= from) i++;
  if (i > 0) s.times.splice(0, i);
  s.clock = clock;
  s.active = s.times.length >= c.count;
}

/** Takes the input into `s` in place; false when it changes nothing. */
export function update(c: CameraEventCondition, s: CameraEventState, input: AlertInput): boolean {
  if (input.type === 'tick') {
    if (input.time <= s.clock) return false;
    settle(c, s, input.time);
    return true;
  }
  if (input.type !== 'event' || input.eventType !== c.eventType || (input.confidence ?? 0) < c.minConfidence) return false;
  const { times } = s;
  let at = times.length;
  while (at > 0 && times[at - 1] > input.time) at--;
  // The same time again is the same event delivered twice (MQTT QoS 1).
  if (at > 0 && times[at - 1] === input.time) return false;
  times.splice(at, 0, input.time);
  if (times.length > c.count) times.splice(0, times.length - c.count);
  settle(c, s, Number.isNaN(s.clock) ? input.time : Math.max(s.clock, input.time));
  return true;
}

/** At least `count` matching events within the last `windowS`; clears on time as they slide out. */
export function evaluate(c: CameraEventCondition, s: CameraEventState, input: AlertInput): ConditionResult<CameraEventState> {
  const next: CameraEventState = { times: s.times.slice(), clock: s.clock, active: s.active };
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: CameraEventCondition, s: CameraEventState, input: AlertInput): ConditionResult<CameraEventState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
