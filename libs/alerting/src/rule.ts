import type { AlertRuleDefinition } from '@ioc/contracts';
import { evaluateCondition, initialConditionState, type ConditionState } from './condition';
import type { AlertInput, ConditionResult } from './input';

/** What evaluation needs of a rule. */
export type EvaluatedRule = Pick<AlertRuleDefinition, 'conditions' | 'combine'>;

/** One rule on one device: plain JSON, one state per condition in the rule's order. */
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

const NONE: readonly RuleTransition[] = [];

/** `startedAt`: when the rule began watching the device; a no_data silence counts from it. */
export function initialRuleState(rule: EvaluatedRule, startedAt: number): RuleState {
  return { conditions: rule.conditions.map((c) => initialConditionState(c, startedAt)), active: false };
}

/** The condition to report: an active one with a value, one that has just become active first. */
function firingCondition(results: ConditionResult<ConditionState>[]): number {
  const ranked = (r: ConditionResult<ConditionState>) => (r.active ? 1 : 0) * (2 + (r.value !== undefined ? 2 : 0) + (r.changed ? 1 : 0));
  let best = 0;
  for (let i = 1; i < results.length; i++) if (ranked(results[i]) > ranked(results[best])) best = i;
  return best;
}

export function evaluateRule(rule: EvaluatedRule, state: RuleState, input: AlertInput): RuleResult {
  const results: ConditionResult<ConditionState>[] = [];
  let same = true;
  let wakeAt: number | null = null;
  for (let i = 0; i < rule.conditions.length; i++) {
    const r = evaluateCondition(rule.conditions[i], state.conditions[i], input);
    results.push(r);
    same &&= r.state === state.conditions[i];
    if (r.wakeAt !== null && (wakeAt === null || r.wakeAt < wakeAt)) wakeAt = r.wakeAt;
  }
  const active = rule.combine === 'all' ? results.every((r) => r.active) : results.some((r) => r.active);
  const next = same && active === state.active ? state : { conditions: results.map((r) => r.state), active };
  if (active === state.active) return { state: next, transitions: NONE, wakeAt };
  let transition: RuleTransition = { type: 'clear', at: input.time };
  if (active) {
    const condition = firingCondition(results);
    transition = { type: 'fire', condition, value: results[condition].value, at: input.time };
  }
  return { state: next, transitions: [transition], wakeAt };
}
