import type { RateOfChangeCondition } from '@ioc/contracts';
import { savedNumber, savedNumbers, type AlertInput, type ConditionResult, type SavedState } from '../input';

/**
 * Numbers only, so that a sample allocates nothing: the newest sample as two fields (NaN before
 * the first, saved as null) and each list of candidates as one array `[time, value, time, value, ...]`.
 */
export interface RateOfChangeState {
  /** The newest sample: the change is measured up to it. */
  newestTime: number;
  newestValue: number;
  /**
   * The window's candidates for its lowest value, times and values ascending: a sample with a
   * later one at or below it can never be the lowest again and is not kept. Empty for `fall`.
   */
  lows: number[];
  /** The same for the highest value, values descending. Empty for `rise`. */
  highs: number[];
  active: boolean;
}

/**
 * Beyond this many candidates (a steady climb sampled every second over a day) the two oldest
 * are merged into the older value at the later time, which can only make a change look larger.
 */
export const MAX_CANDIDATES = 256;

/** So that 0.1 -> 0.3 counts as a rise of 0.2. */
const EPSILON = 1e-9;

/**
 * An empty list with room for 8 points, more than a list mostly holds. Made as a literal and
 * emptied by pop, which V8 does without freeing the storage of a short array: the storage is then
 * allocated with the state and beside it, rather than at the first sample wherever the heap has room.
 */
function emptyList(): number[] {
  const list = [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN];
  truncate(list, 0);
  return list;
}

/** The list a direction does not use stays without room. */
export const initial = (c?: Pick<RateOfChangeCondition, 'direction'>): RateOfChangeState => ({
  newestTime: Number.NaN,
  newestValue: Number.NaN,
  lows: c?.direction === 'fall' ? [] : emptyList(),
  highs: c?.direction === 'rise' ? [] : emptyList(),
  active: false,
});

/** Saved candidates, as flat numbers or as the `[time, value]` pairs saved before. */
function savedPoints(v: unknown): number[] {
  if (!Array.isArray(v) || !Array.isArray(v[0])) return savedNumbers(v);
  const points: number[] = [];
  for (const p of v as unknown[]) {
    if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number') points.push(p[0], p[1]);
  }
  return points;
}

/** A state read back from JSON, the shape saved before (`newest: [time, value] | null`, pairs) included. */
export function restore(saved: SavedState): RateOfChangeState {
  const old = Array.isArray(saved.newest) ? (saved.newest as unknown[]) : null;
  return {
    newestTime: savedNumber(old ? old[0] : saved.newestTime),
    newestValue: savedNumber(old ? old[1] : saved.newestValue),
    lows: savedPoints(saved.lows),
    highs: savedPoints(saved.highs),
    active: saved.active === true,
  };
}

const copy = (s: RateOfChangeState): RateOfChangeState => ({
  newestTime: s.newestTime,
  newestValue: s.newestValue,
  lows: s.lows.slice(),
  highs: s.highs.slice(),
  active: s.active,
});

/** Whether a later value makes an earlier one useless: at or below it among lows, at or above among highs. */
const dominates = (lows: boolean, later: number, earlier: number) => (lows ? later <= earlier : later >= earlier);

/** Drops the array's last numbers down to `length`; popping keeps its storage, which a shorter `length` or a splice may not. */
function truncate(points: number[], length: number): void {
  while (points.length > length) points.pop();
}

/**
 * Inserts a point, in place, kept only while nothing later dominates it. The array is never
 * emptied on the way (V8 would free its storage and allocate it again at the next push).
 */
function insert(points: number[], t: number, v: number, lows: boolean): void {
  const n = points.length;
  let at = n;
  while (at > 0 && points[at - 2] > t) at -= 2;
  if (at > 0 && points[at - 2] === t) return;
  if (at < n && dominates(lows, points[at + 1], v)) return;
  let keep = at;
  while (keep > 0 && dominates(lows, v, points[keep - 1])) keep -= 2;
  if (at === n) {
    // Mostly the newest sample: it takes the place of the first point it outdoes, and goes last.
    if (keep === n) {
      points.push(t, v);
    } else {
      points[keep] = t;
      points[keep + 1] = v;
      truncate(points, keep + 2);
    }
  } else {
    points.splice(keep, at - keep, t, v);
  }
  if (points.length > 2 * MAX_CANDIDATES) points.splice(0, 4, points[2], points[1]);
}

/** Drops the points older than `from`, moving the others down rather than splicing. */
function expire(points: number[], from: number): void {
  const n = points.length;
  let i = 0;
  while (i < n && points[i] < from) i += 2;
  if (i === 0) return;
  for (let j = i; j < n; j++) points[j - i] = points[j];
  truncate(points, n - i);
}

/** The value a fire reports: the change within the window. */
export function value(c: RateOfChangeCondition, s: RateOfChangeState): number {
  const { lows, highs, newestValue } = s;
  const seen = !Number.isNaN(s.newestTime);
  const rise = seen && lows.length > 0 ? newestValue - lows[1] : 0;
  const fall = seen && highs.length > 0 ? newestValue - highs[1] : 0;
  return c.direction === 'rise' ? rise : c.direction === 'fall' ? fall : rise >= -fall ? rise : fall;
}

function result(c: RateOfChangeCondition, state: RateOfChangeState, was: boolean): ConditionResult<RateOfChangeState> {
  return { state, active: state.active, changed: state.active !== was, wakeAt: null, value: value(c, state) };
}

function measure(c: RateOfChangeCondition, value: number, lows: number[], highs: number[]): boolean {
  const least = c.change * (1 - EPSILON);
  const rises = lows.length > 0 && value - lows[1] >= least;
  const falls = highs.length > 0 && highs[1] - value >= least;
  return c.direction === 'rise' ? rises : c.direction === 'fall' ? falls : rises || falls;
}

/** Takes the input into `s` in place; false when it changes nothing. */
export function update(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): boolean {
  if (input.type !== 'sample' || input.metric !== c.metric) return false;
  const { time, value } = input;
  const windowMs = c.windowS * 1000;
  const prior = s.newestTime;
  // The same time again, or one already out of the window (never, before the first: prior is NaN).
  if (time <= prior && (time === prior || time < prior - windowMs)) return false;
  if (!(time <= prior)) {
    s.newestTime = time;
    s.newestValue = value;
  }
  const from = s.newestTime - windowMs;
  if (c.direction !== 'fall') {
    insert(s.lows, time, value, true);
    expire(s.lows, from);
  }
  if (c.direction !== 'rise') {
    insert(s.highs, time, value, false);
    expire(s.highs, from);
  }
  s.active = measure(c, s.newestValue, s.lows, s.highs);
  return true;
}

/** Fires when the newest value is at least `change` above (or below) a value of the last `windowS`. */
export function evaluate(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): ConditionResult<RateOfChangeState> {
  const next = copy(s);
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): ConditionResult<RateOfChangeState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
