import type { AlertInput, ConditionResult } from '../../libs/alerting/src/input';

/** A condition's answer to each of a run of inputs, each one evaluated on the state the one before left. */
export function evaluateAll<C, S>(
  evaluate: (c: C, s: S, input: AlertInput) => ConditionResult<S>,
  c: C,
  initial: S,
  inputs: readonly AlertInput[],
): ConditionResult<S>[] {
  let state = initial;
  return inputs.map((input) => {
    const result = evaluate(c, state, input);
    state = result.state;
    return result;
  });
}
