import { isMetricName, METRICS, type AlertCondition, type AlertMessagePlaceholder, type AlertRuleMessages } from '@ioc/contracts';

export type MessageLanguage = 'vi' | 'en';

/** What fills a template; anything missing shows as a dash. */
export type MessageValues = Partial<Record<'device' | 'metric' | 'unit' | 'place', string | null> & Record<'value' | 'threshold', number | null>>;

const MISSING = '—';
const PLACEHOLDER = /\{([a-z]+)\}/g;
/** For a metric outside the built-in catalogue. */
const DEFAULT_PRECISION = 2;

/** A number at the metric's precision; Vietnamese writes the decimal separator as a comma. */
export function formatNumber(value: number | null | undefined, metric: string | null | undefined, language: MessageLanguage): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  const text =
    metric && isMetricName(metric)
      ? value.toFixed(METRICS[metric].precision)
      : String(Number(value.toFixed(DEFAULT_PRECISION)));
  return language === 'vi' ? text.replace('.', ',') : text;
}

/** Fills a rule's template (placeholders checked by the rule schema); never throws. */
export function renderMessage(template: string, language: MessageLanguage, values: MessageValues): string {
  const unit = values.unit ?? (values.metric && isMetricName(values.metric) ? METRICS[values.metric].unit : null);
  const fill: Record<AlertMessagePlaceholder, string> = {
    device: values.device || MISSING,
    metric: values.metric || MISSING,
    value: formatNumber(values.value, values.metric, language),
    threshold: formatNumber(values.threshold, values.metric, language),
    unit: unit ?? MISSING,
    place: values.place || MISSING,
  };
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(fill, name) ? fill[name as AlertMessagePlaceholder] : whole));
}

/** The condition that fired, as an alert records it: its metric, and the level it crossed. */
export function firingFacts(c: AlertCondition, value: number | null): { metric: string | null; threshold: number | null } {
  switch (c.kind) {
    case 'threshold':
      if ('value' in c) return { metric: c.metric, threshold: c.value };
      if (c.operator === 'outside') return { metric: c.metric, threshold: value !== null && value < c.low ? c.low : c.high };
      return { metric: c.metric, threshold: value !== null && value - c.low < c.high - value ? c.low : c.high };
    case 'rate_of_change':
      return { metric: c.metric, threshold: c.change };
    case 'no_data':
      return { metric: c.metric, threshold: null };
    case 'offline':
      return { metric: null, threshold: null };
    case 'camera_event':
      return { metric: null, threshold: c.count };
  }
}

/** A rule's templates filled in both languages. */
export function renderMessages(templates: AlertRuleMessages, values: MessageValues): { vi: string; en: string } {
  return { vi: renderMessage(templates.vi, 'vi', values), en: renderMessage(templates.en, 'en', values) };
}
