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

export type RuleTransition = { type: 'fire'; value?: number; at: number } | { type: 'clear'; at: number };

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

/** The value to report: of a condition that has just become active, else of any active one. */
function firingValue(results: ConditionResult<ConditionState>[]): number | undefined {
  const active = results.filter((r) => r.active && r.value !== undefined);
  return (active.find((r) => r.changed) ?? active[0])?.value;
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
  const transition: RuleTransition = active ? { type: 'fire', value: firingValue(results), at: input.time } : { type: 'clear', at: input.time };
  return { state: next, transitions: [transition], wakeAt };
}
