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

/** Inserts a point, in place, kept only while nothing later is `dominates`-or-equal to it. */
function insert(points: Point[], point: Point, dominates: (later: number, earlier: number) => boolean): void {
  const t = point[0];
  const v = point[1];
  let at = points.length;
  while (at > 0 && points[at - 1][0] > t) at--;
  if (at > 0 && points[at - 1][0] === t) return;
  if (at < points.length && dominates(points[at][1], v)) return;
  let keep = at;
  while (keep > 0 && dominates(v, points[keep - 1][1])) keep--;
  // Mostly the newest sample: the points it outdoes drop off the end, and it goes last.
  if (at === points.length) {
    while (points.length > keep) points.pop();
    points.push(point);
  } else {
    points.splice(keep, at - keep, point);
  }
  if (points.length > MAX_CANDIDATES) points.splice(0, 2, [points[1][0], points[0][1]]);
}

function expire(points: Point[], from: number): void {
  let i = 0;
  while (i < points.length && points[i][0] < from) i++;
  if (i === 1) points.shift();
  else if (i > 1) points.splice(0, i);
}

function result(c: RateOfChangeCondition, state: RateOfChangeState, was: boolean): ConditionResult<RateOfChangeState> {
  const rise = state.newest && state.lows.length ? state.newest[1] - state.lows[0][1] : 0;
  const fall = state.newest && state.highs.length ? state.newest[1] - state.highs[0][1] : 0;
  const value = c.direction === 'rise' ? rise : c.direction === 'fall' ? fall : rise >= -fall ? rise : fall;
  return { state, active: state.active, changed: state.active !== was, wakeAt: null, value };
}

function measure(c: RateOfChangeCondition, value: number, lows: Point[], highs: Point[]): boolean {
  const least = c.change * (1 - EPSILON);
  const rises = lows.length > 0 && value - lows[0][1] >= least;
  const falls = highs.length > 0 && highs[0][1] - value >= least;
  return c.direction === 'rise' ? rises : c.direction === 'fall' ? falls : rises || falls;
}

const lowerOrSame = (later: number, earlier: number) => later <= earlier;
const higherOrSame = (later: number, earlier: number) => later >= earlier;

/** Takes the input into `s` in place; false when it changes nothing. Points are never changed, only replaced. */
function update(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): boolean {
  if (input.type !== 'sample' || input.metric !== c.metric) return false;
  const { time } = input;
  const prior = s.newest;
  // The same time again, or one already out of the window.
  if (prior !== null && time <= prior[0] && (time === prior[0] || time < prior[0] - c.windowS * 1000)) return false;
  const point: Point = [time, input.value];
  const newest = prior === null || time > prior[0] ? point : prior;
  s.newest = newest;
  const from = newest[0] - c.windowS * 1000;
  if (c.direction !== 'fall') {
    insert(s.lows, point, lowerOrSame);
    expire(s.lows, from);
  }
  if (c.direction !== 'rise') {
    insert(s.highs, point, higherOrSame);
    expire(s.highs, from);
  }
  s.active = measure(c, newest[1], s.lows, s.highs);
  return true;
}

/** Fires when the newest value is at least `change` above (or below) a value of the last `windowS`. */
export function evaluate(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): ConditionResult<RateOfChangeState> {
  const next = { ...s, lows: s.lows.slice(), highs: s.highs.slice() };
  return update(c, next, input) ? result(c, next, s.active) : result(c, s, s.active);
}

/** evaluate, with `s` updated in place. */
export function step(c: RateOfChangeCondition, s: RateOfChangeState, input: AlertInput): ConditionResult<RateOfChangeState> {
  const was = s.active;
  update(c, s, input);
  return result(c, s, was);
}
