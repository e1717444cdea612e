import type { RateOfChangeCondition } from '@ioc/contracts';
import type { AlertInput, ConditionResult } from '../input';

/** [time, value] */
type Point = [number, number];

export interface RateOfChangeState {
  /** The newest sample: the change is measured up to it. */
  newest: Point | null;
  /**
   * The window's candidates for its lowest value, times and values ascending: a sample with a
   * later one at or below it can never be the lowest again and is not kept. Empty for `fall`.
   */
  lows: Point[];
  /** The same for the highest value, values descending. Empty for `rise`. */
  highs: Point[];
  active: boolean;
}

/**
 * Beyond this many candidates (a steady climb sampled every second over a day) the two oldest
 * are merged into the older value at the later time, which can only make a change look larger.
 */
export const MAX_CANDIDATES = 256;
/** So that 0.1 -> 0.3 counts as a rise of 0.2. */
const EPSILON = 1e-9;

export const initial = (): RateOfChangeState => ({ newest: null, lows: [], highs: [], active: false });

/** Inserts a point kept only while nothing later is `dominates`-or-equal to it. */
function insert(points: Point[], [t, v]: Point, dominates: (later: number, earlier: number) => boolean): Point[] {
  let at = points.length;
  while (at > 0 && points[at - 1][0] > t) at--;
  if (at > 0 && points[at - 1][0] === t) return points;
  if (at < points.length && dominates(points[at][1], v)) return points;
  let keep = at;
  while (keep > 0 && dominates(v, points[keep - 1][1])) keep--;
  const next = points.slice(0, keep);
  next.push([t, v]);
  for (let i = at; i < points.length; i++) next.push(points[i]);
  if (next.length > MAX_CANDIDATES) next.splice(0, 2, [next[1][0], next[0][1]]);
  return next;
}

const expire = (points: Point[], from: number) => {
  let i = 0;
  while (i < points.length && points[i][0] < from) i++;
  return i === 0 ? points : points.slice(i);
};

function result(c: RateOfChangeCondition, state: RateOfChangeState, was: boolean): ConditionResult<RateOfChangeState> {
  const rise = state.newest && state.lows.length ? state.newest[1] - state.lows[0][1] : 0;
  const fall = state.newest && state.highs.length ? state.newest[1] - state.highs[0][1] : 0;
  const value = c.direction === 'rise' ? rise : c.direction === 'fall' ? fall : rise >= -fall ? rise : fall;
  return { state, active: state.active, changed: state.active !== was, wakeAt: null, value };
}

function measure(c: RateOfChangeCondition, [, value]: Point, lows: Point[], highs: Point[]): boolean {
  const least = c.change * (1 - EPSILON);
  const rises = lows.length > 0 && value - lows[0][1] >= least;
  const falls = highs.length > 0 && highs[0][1] - value >= least;
  return c.direction === 'rise' ? rises : c.direction === 'fall' ? falls : rises || falls;
}

const lowerOrSame = (later: number, earlier: number) => later <= earlier;
const higherOrSame = (later: number, earlier: number) => later >= earlier;

/** Fires when the newest value is at least `change` above (or below) a value of the last `windowS`. */
export function evaluate(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): ConditionResult<RateOfChangeState> {
  if (input.type !== 'sample' || input.metric !== c.metric) return result(c, s, s.active);
  const point: Point = [input.time, input.value];
  const newest = s.newest === null || input.time > s.newest[0] ? point : s.newest;
  const from = newest[0] - c.windowS * 1000;
  if (input.time < from || (s.newest !== null && input.time === s.newest[0])) return result(c, s, s.active);
  const lows = c.direction === 'fall' ? s.lows : expire(insert(s.lows, point, lowerOrSame), from);
  const highs = c.direction === 'rise' ? s.highs : expire(insert(s.highs, point, higherOrSame), from);
  return result(c, { newest, lows, highs, active: measure(c, newest, lows, highs) }, s.active);
}
