import type { Sample } from '@ioc/contracts';
import { applies, evaluateThreshold, type ThresholdRule } from './threshold.rule';

const rule = (over: Partial<ThresholdRule> = {}): ThresholdRule => ({
  id: 1,
  metric: 'salinity',
  operator: '>',
  threshold: 4,
  deviceKind: null,
  deviceId: null,
  enabled: true,
  ...over,
});
const sample = (over: Partial<Sample> = {}): Sample => ({ deviceId: 'gcd-sal-01', metric: 'salinity', ts: 0, value: 5, ...over });

describe('evaluateThreshold', () => {
  it.each([
    ['>', 4, 4.01, false, 'open'],
    ['>', 4, 4, false, null],
    ['>=', 4, 4, false, 'open'],
    ['<', 1, 0.5, false, 'open'],
    ['<=', 1, 1.01, false, null],
    ['>', 4, 5, true, null],
    ['>', 4, 3.9, true, 'resolve'],
    ['>=', 4, 4, true, null],
    ['<', 1, 1, true, 'resolve'],
  ] as const)('%s %d with value %d and open=%s gives %s', (operator, threshold, value, isOpen, expected) => {
    expect(evaluateThreshold(rule({ operator, threshold }), isOpen, value)).toBe(expected);
  });

  it('opens once for a run of breaching values and resolves once when it ends', () => {
    let open = false;
    const transitions = [3, 4.5, 5, 6, 3.5, 3].map((v) => {
      const t = evaluateThreshold(rule(), open, v);
      if (t) open = t === 'open';
      return t;
    });
    expect(transitions).toEqual([null, 'open', null, null, 'resolve', null]);
  });
});

describe('applies', () => {
  it('matches on metric, and on device kind and id when the rule names them', () => {
    expect(applies(rule(), sample(), 'salinity')).toBe(true);
    expect(applies(rule(), sample({ metric: 'water_level' }), 'salinity')).toBe(false);
    expect(applies(rule({ deviceKind: 'salinity' }), sample(), 'water_level')).toBe(false);
    expect(applies(rule({ deviceId: 'gcd-sal-02' }), sample(), 'salinity')).toBe(false);
    expect(applies(rule({ deviceId: 'gcd-sal-01', deviceKind: 'salinity' }), sample(), 'salinity')).toBe(true);
  });

  it('ignores a disabled rule', () => {
    expect(applies(rule({ enabled: false }), sample(), 'salinity')).toBe(false);
  });
});
