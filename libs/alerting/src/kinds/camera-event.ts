import type { CameraEventCondition } from '@ioc/contracts';
import type { AlertInput, ConditionResult } from '../input';

export interface CameraEventState {
  /** Times of the newest matching events still in the window, ascending; at most `count`. */
  times: number[];
  /** The newest time seen (events and ticks): the window ends there. */
  clock: number | null;
  active: boolean;
}

export const initial = (): CameraEventState => ({ times: [], clock: null, active: false });

function result(c: CameraEventCondition, state: CameraEventState, was: boolean): ConditionResult<CameraEventState> {
  // The oldest of the `count` events leaves the window (clock - windowS, clock] at this time.
  const wakeAt = state.active ? state.times[0] + c.windowS * 1000 : null;
  return { state, active: state.active, changed: state.active !== was, wakeAt, value: state.times.length };
}

function settle(c: CameraEventCondition, times: number[], clock: number): CameraEventState {
  const from = clock - c.windowS * 1000;
  let i = 0;
  while (i < times.length && times[i] <= from) i++;
  const kept = i === 0 ? times : times.slice(i);
  return { times: kept, clock, active: kept.length >= c.count };
}

/** At least `count` matching events within the last `windowS`; clears on time as they slide out. */
export function evaluate(c: CameraEventCondition, s: CameraEventState, input: AlertInput): ConditionResult<CameraEventState> {
  if (input.type === 'tick') {
    if (s.clock !== null && input.time <= s.clock) return result(c, s, s.active);
    return result(c, settle(c, s.times, input.time), s.active);
  }
  if (input.type !== 'event' || input.eventType !== c.eventType || (input.confidence ?? 0) < c.minConfidence) return result(c, s, s.active);
  const clock = s.clock === null ? input.time : Math.max(s.clock, input.time);
  let at = s.times.length;
  while (at > 0 && s.times[at - 1] > input.time) at--;
  // The same time again is the same event delivered twice (MQTT QoS 1).
  if (at > 0 && s.times[at - 1] === input.time) return result(c, s, s.active);
  const times = [...s.times.slice(0, at), input.time, ...s.times.slice(at)];
  return result(c, settle(c, times.length > c.count ? times.slice(times.length - c.count) : times, clock), s.active);
}
