import { formatMetricNumber, metricUnit, unitIsAttached, type Language } from '../format/format';

interface MetricReadingProps {
  metric: string;
  value: number;
  language: Language;
  /** Marks the number for tests and tools that read the screen. */
  testId?: string;
}

export function unitClass(unit: string): string {
  return unitIsAttached(unit) ? 'metric-reading__unit metric-reading__unit--attached' : 'metric-reading__unit';
}

/** A number in the language's format followed by its unit. */
export function MetricReading({ metric, value, language, testId }: MetricReadingProps) {
  const unit = metricUnit(metric);
  return (
    <span className="metric-reading">
      <span data-testid={testId}>{formatMetricNumber(metric, value, language)}</span>
      {unit && <span className={unitClass(unit)}>{unit}</span>}
    </span>
  );
}
