import {
  DEFAULT_KIND_METRICS,
  DEVICE_KINDS,
  METRIC_NAMES,
  METRICS,
  isMetricName,
  type DeviceKind,
  type MetricDto,
} from '@ioc/contracts';

/** A metric of the catalogue with its compact id, the one telemetry rows carry. */
export interface CatalogueMetric extends MetricDto {
  id: number;
}

/** INGEST_KIND_METRICS: for the kinds it names, exactly which built-in metrics they may send. */
export type KindOverrides = Partial<Record<DeviceKind, readonly string[]>>;

/**
 * The metric catalogue at one moment: immutable, replaced whole on every change, so the hot path
 * reads it without locks and sees a change at once.
 */
export class MetricCatalogue {
  private readonly byName = new Map<string, CatalogueMetric>();
  private readonly byKind = new Map<DeviceKind, Set<string>>();

  constructor(metrics: readonly CatalogueMetric[], overrides: KindOverrides = {}) {
    for (const kind of DEVICE_KINDS) this.byKind.set(kind, new Set());
    for (const stored of metrics) {
      const metric = { ...stored, kinds: effectiveKinds(stored, overrides) };
      this.byName.set(metric.name, metric);
      for (const kind of metric.kinds) this.byKind.get(kind)!.add(metric.name);
    }
  }

  get(name: string): CatalogueMetric | undefined {
    return this.byName.get(name);
  }

  /** The metrics a device of this kind may send. */
  metricsOf(kind: DeviceKind): ReadonlySet<string> {
    return this.byKind.get(kind)!;
  }

  list(): CatalogueMetric[] {
    return [...this.byName.values()];
  }
}

/** The built-in METRICS with the kinds that send them by default: the seed of the catalogue. */
export function builtInMetrics(): MetricDto[] {
  return METRIC_NAMES.map((name) => ({
    name,
    ...METRICS[name],
    kinds: DEVICE_KINDS.filter((kind) => DEFAULT_KIND_METRICS[kind].includes(name)),
    builtIn: true,
  }));
}

function effectiveKinds(metric: CatalogueMetric, overrides: KindOverrides): DeviceKind[] {
  if (!metric.builtIn || !isMetricName(metric.name)) return metric.kinds;
  return DEVICE_KINDS.filter((kind) => {
    const override = overrides[kind];
    return override ? override.includes(metric.name) : metric.kinds.includes(kind);
  });
}
