import fc from 'fast-check';
import { alertRuleSchema, type AlertRuleDefinitionInput } from '@ioc/contracts';
import type { AlertInput } from './input';
import { evaluateRule, evaluateRuleInPlace, initialRuleState, restoreRuleState, type RuleTransition } from './rule';

const rule = (over: Partial<AlertRuleDefinitionInput>) =>
  alertRuleSchema.parse({
    name: 'r',
    scope: { type: 'all' },
    messages: { vi: '{device}', en: '{device}' },
    conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>', value: 2 }],
    ...over,
  });
const sample = (metric: string, value: number, time: number): AlertInput => ({ type: 'sample', metric, value, time });

function transitions(r: ReturnType<typeof rule>, inputs: AlertInput[]): RuleTransition[] {
  let state = initialRuleState(r, 0);
  return inputs.flatMap((input) => {
    const result = evaluateRule(r, state, input);
    state = result.state;
    return [...result.transitions];
  });
}

const both = rule({
  combine: 'all',
  conditions: [
    { kind: 'threshold', metric: 'water_level', operator: '>', value: 2 },
    { kind: 'threshold', metric: 'rainfall', operator: '>=', value: 50 },
  ],
});

describe('evaluateRule', () => {
  it('fires on the rising edge with the value, and clears on the falling edge', () => {
    const r = rule({});
    expect(transitions(r, [sample('water_level', 2.5, 1), sample('water_level', 3, 2), sample('water_level', 1, 3)])).toEqual([
      { type: 'fire', condition: 0, value: 2.5, at: 1 },
      { type: 'clear', at: 3 },
    ]);
  });

  it('all: fires only once every condition holds, and clears when one stops', () => {
    const inputs = [sample('water_level', 2.5, 1), sample('rainfall', 60, 2), sample('rainfall', 10, 3)];
    expect(transitions(both, inputs)).toEqual([
      { type: 'fire', condition: 1, value: 60, at: 2 },
      { type: 'clear', at: 3 },
    ]);
  });

  it('any: one condition is enough, and a second holding too fires nothing more', () => {
    const any = { ...both, combine: 'any' as const };
    const inputs = [sample('rainfall', 60, 1), sample('water_level', 2.5, 2), sample('rainfall', 0, 3), sample('water_level', 0, 4)];
    expect(transitions(any, inputs)).toEqual([
      { type: 'fire', condition: 1, value: 60, at: 1 },
      { type: 'clear', at: 4 },
    ]);
  });

  it('asks for the earliest tick of its conditions, and a pending forS fires on it', () => {
    const r = rule({
      combine: 'any',
      conditions: [
        { kind: 'threshold', metric: 'water_level', operator: '>', value: 2, forS: 120 },
        { kind: 'threshold', metric: 'rainfall', operator: '>', value: 50, forS: 60 },
      ],
    });
    let state = initialRuleState(r, 0);
    state = evaluateRule(r, state, sample('water_level', 3, 0)).state;
    const second = evaluateRule(r, state, sample('rainfall', 70, 10_000));
    expect(second.wakeAt).toBe(70_000);
    expect(evaluateRule(r, second.state, { type: 'tick', time: 70_000 }).transitions).toEqual([{ type: 'fire', condition: 1, value: 70, at: 70_000 }]);
  });

  it('gives the same state back for an input that changes nothing: another metric, a duplicate, an early tick', () => {
    const r = rule({ conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>', value: 2, forS: 60 }] });
    const { state } = evaluateRule(r, initialRuleState(r, 0), sample('water_level', 3, 1000));
    for (const input of [sample('rainfall', 9, 2000), sample('water_level', 1, 1000), { type: 'tick' as const, time: 30_000 }]) {
      const result = evaluateRule(r, state, input);
      expect(result.state).toBe(state);
      expect(result.transitions).toEqual([]);
    }
  });

  it('a state reloaded after a restart while pending still fires on time, once', () => {
    const r = rule({ conditions: [{ kind: 'no_data', metric: 'salinity', afterS: 600 }] });
    const stored = JSON.stringify(evaluateRule(r, initialRuleState(r, 0), { type: 'tick', time: 300_000 }).state);
    const fired = evaluateRule(r, restoreRuleState(r, JSON.parse(stored) as object), { type: 'tick', time: 600_000 });
    expect(fired.transitions).toEqual([{ type: 'fire', condition: 0, at: 600_000 }]);
    const again = evaluateRule(r, restoreRuleState(r, JSON.parse(JSON.stringify(fired.state)) as object), { type: 'tick', time: 900_000 });
    expect(again.transitions).toEqual([]);
  });
});

describe('restoreRuleState', () => {
  /** The state after `inputs`, from the start. */
  const after = (r: ReturnType<typeof rule>, inputs: AlertInput[]) =>
    inputs.reduce((state, input) => evaluateRule(r, state, input).state, initialRuleState(r, 0));

  it('reads back states saved with nulls, as every version saved them, and answers on from there', () => {
    const r = rule({
      combine: 'any',
      conditions: [
        { kind: 'threshold', metric: 'water_level', operator: '>', value: 2, forS: 60 },
        { kind: 'camera_event', eventType: 'flooding', minConfidence: 0.5, count: 2, windowS: 60 },
      ],
    });
    const camera = { times: [], clock: null, active: false };
    const saved = { conditions: [{ newest: 1000, value: 3, active: false, pendingSince: 1000 }, camera], active: false };
    const restored = restoreRuleState(r, saved);
    expect(restored).toEqual(after(r, [sample('water_level', 3, 1000)]));
    expect(evaluateRule(r, restored, { type: 'tick', time: 61_000 }).transitions).toEqual([{ type: 'fire', condition: 0, value: 3, at: 61_000 }]);
    const untouched = { conditions: [{ newest: null, value: null, active: false, pendingSince: null }, camera], active: false };
    expect(restoreRuleState(r, untouched)).toEqual(initialRuleState(r, 0));

    const offline = rule({ conditions: [{ kind: 'offline', afterS: 30 }] });
    const gone = restoreRuleState(offline, { conditions: [{ statusAt: 5000, offlineSince: 5000, active: false }], active: false });
    expect(evaluateRule(offline, gone, { type: 'tick', time: 35_000 }).transitions).toEqual([{ type: 'fire', condition: 0, at: 35_000 }]);
    const unheard = { conditions: [{ statusAt: null, offlineSince: null, active: false }], active: false };
    expect(restoreRuleState(offline, unheard)).toEqual(initialRuleState(offline, 0));
  });

  it('converts a rate of change saved in the earlier shape, points as [time, value] pairs', () => {
    const r = rule({ conditions: [{ kind: 'rate_of_change', metric: 'water_level', windowS: 1800, change: 0.2, direction: 'either' }] });
    const saved = { conditions: [{ newest: [600_000, 0.2], lows: [[0, 0.1], [600_000, 0.2]], highs: [[600_000, 0.2]], active: false }], active: false };
    const restored = restoreRuleState(r, JSON.parse(JSON.stringify(saved)) as object);
    expect(restored).toEqual(after(r, [sample('water_level', 0.1, 0), sample('water_level', 0.2, 600_000)]));
    const fired = evaluateRule(r, restored, sample('water_level', 0.3, 1_200_000));
    expect(fired.transitions).toEqual([{ type: 'fire', condition: 0, value: expect.closeTo(0.2) as number, at: 1_200_000 }]);
    const empty = { conditions: [{ newest: null, lows: [], highs: [], active: false }], active: false };
    expect(restoreRuleState(r, empty)).toEqual(initialRuleState(r, 0));
  });
});

const time = fc.integer({ min: 0, max: 3_600_000 });
// JSON writes -0 as 0; a reading of -0 is a reading of 0.
const value = fc.double({ min: -10, max: 10, noNaN: true }).map((v) => v + 0);
const input: fc.Arbitrary<AlertInput> = fc.oneof(
  fc.record({ type: fc.constant('sample' as const), metric: fc.constantFrom('water_level', 'rainfall'), value, time }),
  fc.record({ type: fc.constant('event' as const), eventType: fc.constantFrom('flooding', 'crowd'), confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true })), time }),
  fc.record({ type: fc.constant('status' as const), online: fc.boolean(), time }),
  fc.record({ type: fc.constant('tick' as const), time }),
);
const condition = fc.oneof(
  fc.record({ kind: fc.constant('threshold'), metric: fc.constantFrom('water_level', 'rainfall'), operator: fc.constantFrom('>', '>=', '<', '<='), value: fc.integer({ min: -5, max: 5 }), forS: fc.constantFrom(0, 60, 600) }),
  fc.record({ kind: fc.constant('threshold'), metric: fc.constant('water_level'), operator: fc.constantFrom('outside', 'inside'), low: fc.constant(-2), high: fc.constant(2), clearMargin: fc.constantFrom(0, 1) }),
  fc.record({ kind: fc.constant('rate_of_change'), metric: fc.constant('rainfall'), windowS: fc.constantFrom(60, 600), change: fc.constantFrom(1, 5), direction: fc.constantFrom('rise', 'fall', 'either') }),
  fc.record({ kind: fc.constant('camera_event'), eventType: fc.constant('flooding'), minConfidence: fc.constantFrom(0, 0.5), count: fc.integer({ min: 1, max: 4 }), windowS: fc.constantFrom(30, 300) }),
);
const ruleArbitrary = fc.oneof(
  fc.record({ conditions: fc.array(condition, { minLength: 1, maxLength: 3 }), combine: fc.constantFrom('all' as const, 'any' as const) }),
  fc.record({ conditions: fc.tuple(fc.constantFrom({ kind: 'no_data', metric: 'water_level', afterS: 60 }, { kind: 'offline', afterS: 30 })), combine: fc.constant('any' as const) }),
).map((r) => rule(r as Partial<AlertRuleDefinitionInput>));

describe('evaluateRule, for any sequence of inputs', () => {
  it('never fires twice without a clear between', () => {
    fc.assert(
      fc.property(ruleArbitrary, fc.array(input, { maxLength: 60 }), (r, inputs) => {
        let open = false;
        for (const t of transitions(r, inputs)) {
          expect(t.type).toBe(open ? 'clear' : 'fire');
          open = t.type === 'fire';
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves the state it is given as it was', () => {
    fc.assert(
      fc.property(ruleArbitrary, fc.array(input, { maxLength: 60 }), (r, inputs) => {
        let state = initialRuleState(r, 0);
        for (const i of inputs) {
          const before = JSON.stringify(state);
          const result = evaluateRule(r, state, i);
          expect(JSON.stringify(state)).toBe(before);
          state = result.state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('in place answers as evaluateRule does, its state updated to what evaluateRule returns', () => {
    fc.assert(
      fc.property(ruleArbitrary, fc.array(input, { maxLength: 60 }), (r, inputs) => {
        let pure = initialRuleState(r, 0);
        const owned = initialRuleState(r, 0);
        for (const i of inputs) {
          const expected = evaluateRule(r, pure, i);
          const result = evaluateRuleInPlace(r, owned, i);
          expect(result.state).toBe(owned);
          expect({ ...result, state: structuredClone(owned) }).toEqual(expected);
          pure = expected.state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a state that survives JSON and restoreRuleState, and answers the same from the reloaded state', () => {
    fc.assert(
      fc.property(ruleArbitrary, fc.array(input, { maxLength: 60 }), (r, inputs) => {
        let state = initialRuleState(r, 0);
        for (const i of inputs) {
          const reloaded = restoreRuleState(r, JSON.parse(JSON.stringify(state)) as object);
          expect(reloaded).toEqual(state);
          const direct = evaluateRule(r, state, i);
          expect(evaluateRule(r, reloaded, i)).toEqual(direct);
          state = direct.state;
        }
      }),
      { numRuns: 300 },
    );
  });
});
