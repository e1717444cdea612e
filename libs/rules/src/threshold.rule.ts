import type { DeviceKind, RuleDto, Sample, ThresholdOperator } from '@ioc/contracts';

export type ThresholdRule = Pick<RuleDto, 'id' | 'metric' | 'operator' | 'threshold' | 'deviceKind' | 'deviceId' | 'enabled'>;

export type Transition = 'open' | 'resolve' | null;

const breaches: Record<ThresholdOperator, (value: number, threshold: number) => boolean> = {
  '>': (v, t) => v > t,
  '>=': (v, t) => v >= t,
  '<': (v, t) => v < t,
  '<=': (v, t) => v <= t,
};

/** Does the rule look at this device's sample at all? */
export function applies(rule: ThresholdRule, sample: Sample, deviceKind: DeviceKind): boolean {
  return (
    rule.enabled &&
    rule.metric === sample.metric &&
    (rule.deviceKind === null || rule.deviceKind === deviceKind) &&
    (rule.deviceId === null || rule.deviceId === sample.deviceId)
  );
}

/** Given whether an alert is open for (rule, device), what a new value changes. */
export function evaluateThreshold(rule: ThresholdRule, isOpen: boolean, value: number): Transition {
  const breached = breaches[rule.operator](value, rule.threshold);
  if (breached && !isOpen) return 'open';
  if (!breached && isOpen) return 'resolve';
  return null;
}
