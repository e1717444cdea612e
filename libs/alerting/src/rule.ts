import type { AlertRuleDefinition } from '@ioc/contracts';
import {
  advanceCondition,
  conditionValue,
  evaluateCondition,
  initialConditionState,
  restoreConditionState,
  stepCondition,
  type ConditionState,
} from './condition';
import type { AlertInput, ConditionResult, SavedState } from './input';

/** What evaluation needs of a rule. */
export type EvaluatedRule = Pick<AlertRuleDefinition, 'conditions' | 'combine'>;

/**
 * One rule on one device: plain JSON, one state per condition in the rule's order. Numbers that
 * are "none" are NaN, which JSON saves as null: read a saved state back with restoreRuleState.
 */
export interface RuleState {
  conditions: ConditionState[];
  active: boolean;
}

/** A fire names the condition it reports (its index in the rule) and that condition's value. */
export type RuleTransition = { type: 'fire'; condition: number; value?: number; at: number } | { type: 'clear'; at: number };

export interface RuleResult {
  state: RuleState;
  /** At most one: a fire on a rising edge, a clear on a falling one. */
  transitions: readonly RuleTransition[];
  wakeAt: number | null;
}

/** Shared by every result without a transition: most inputs change no rule's answer. */
const NONE: readonly RuleTransition[] = Object.freeze([]);

/** `startedAt`: when the rule began watching the device; a no_data silence counts from it. */
export function initialRuleState(rule: EvaluatedRule, startedAt: number): RuleState {
  const { conditions } = rule;
  // Most rules have one condition. Literals made one after the other are allocated side by side
  // (and in the old generation once V8 sees that they live long), so that evaluating the rule
  // reads one stretch of memory rather than three places of the heap.
  if (conditions.length === 1) return { conditions: [initialConditionState(conditions[0], startedAt)], active: false };
  const states: ConditionState[] = [];
  for (const c of conditions) states.push(initialConditionState(c, startedAt));
  return { conditions: states, active: false };
}

/**
 * A state saved as JSON, read back for the same version of the rule: nulls become NaN again,
 * and a shape saved by an earlier version is converted.
 */
export function restoreRuleState(rule: EvaluatedRule, saved: object): RuleState {
  const { conditions, active } = saved as SavedState;
  const states: ConditionState[] = [];
  for (let i = 0; i < rule.conditions.length; i++) {
    const condition: unknown = Array.isArray(conditions) ? conditions[i] : undefined;
    states.push(restoreConditionState(rule.conditions[i], typeof condition === 'object' && condition !== null ? (condition as SavedState) : {}));
  }
  return { conditions: states, active: active === true };
}

/** How well a condition reports a fire: an active one with a value, one that has just become active first. */
const rank = (r: ConditionResult<ConditionState>) => (r.active ? 2 + (r.value !== undefined ? 2 : 0) + (r.changed ? 1 : 0) : 0);

/**
 * Pure: `state` is left as it was. When no condition's state and not the rule's answer changed,
 * the same state object comes back, so a caller can tell that there is nothing new to keep.
 */
export function evaluateRule(rule: EvaluatedRule, state: RuleState, input: AlertInput): RuleResult {
  return evaluate(rule, state, input, false);
}

/**
 * The same answer as evaluateRule, with `state` updated in place and returned as the result's
 * state: nothing is copied, so a high rate of samples leaves little garbage. Only for a caller
 * holding the sole reference to the state; one that keeps an earlier state, or has handed it to
 * a write still pending, copies it first.
 */
export function evaluateRuleInPlace(rule: EvaluatedRule, state: RuleState, input: AlertInput): RuleResult {
  return evaluate(rule, state, input, true);
}

function evaluate(rule: EvaluatedRule, state: RuleState, input: AlertInput, inPlace: boolean): RuleResult {
  const { conditions } = rule;
  // Most rules have one condition: its answer is the rule's, and it reports the fire.
  if (conditions.length === 1 && inPlace) {
    const c = conditions[0];
    const s = state.conditions[0];
    const wakeAt = advanceCondition(c, s, input);
    const { active } = s;
    if (active === state.active) return { state, transitions: NONE, wakeAt };
    state.active = active;
    const at = input.time;
    return { state, transitions: [active ? { type: 'fire', condition: 0, value: conditionValue(c, s), at } : { type: 'clear', at }], wakeAt };
  }
  if (conditions.length === 1) {
    const before = state.conditions[0];
    const r = inPlace ? stepCondition(conditions[0], before, input) : evaluateCondition(conditions[0], before, input);
    return settle(state, r.state === before ? null : [r.state], r.active, 0, r.value, r.wakeAt, input.time, inPlace);
  }
  const all = rule.combine === 'all';
  let active = all;
  // Evaluated purely, the list is copied at the first condition whose state changes; in place, never.
  let nextConditions: ConditionState[] | null = null;
  let wakeAt: number | null = null;
  let firing = 0;
  let firingRank = -1;
  let firingValue: number | undefined;
  for (let i = 0; i < conditions.length; i++) {
    const before = state.conditions[i];
    const r = inPlace ? stepCondition(conditions[i], before, input) : evaluateCondition(conditions[i], before, input);
    if (r.state !== before) (nextConditions ??= state.conditions.slice())[i] = r.state;
    if (r.wakeAt !== null && (wakeAt === null || r.wakeAt < wakeAt)) wakeAt = r.wakeAt;
    active = all ? active && r.active : active || r.active;
    const ranked = rank(r);
    if (ranked > firingRank) {
      firing = i;
      firingRank = ranked;
      firingValue = r.value;
    }
  }
  return settle(state, nextConditions, active, firing, firingValue, wakeAt, input.time, inPlace);
}

/** The rule's state and transition once its conditions have answered; `nextConditions` null when none changed. */
function settle(
  state: RuleState,
  nextConditions: ConditionState[] | null,
  active: boolean,
  firing: number,
  firingValue: number | undefined,
  wakeAt: number | null,
  at: number,
  inPlace: boolean,
): RuleResult {
  const unchanged = active === state.active;
  let next = state;
  if (inPlace) state.active = active;
  else if (nextConditions !== null || !unchanged) next = { conditions: nextConditions ?? state.conditions, active };
  if (unchanged) return { state: next, transitions: NONE, wakeAt };
  const transition: RuleTransition = active ? { type: 'fire', condition: firing, value: firingValue, at } : { type: 'clear', at };
  return { state: next, transitions: [transition], wakeAt };
}
