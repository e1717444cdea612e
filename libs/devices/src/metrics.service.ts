import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { CreateMetric, DeviceKind, MetricDto, UpdateMetric } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, IocError } from '@ioc/common';
import { MetricCatalogue, builtInMetrics, type CatalogueMetric } from './metric-catalogue';
import { MetricsRepository } from './metrics.repository';

/**
 * The metric catalogue: the built-in METRICS (the seed) and those an administrator added, held in
 * memory for the hot path and written through to PostgreSQL on every change.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  private current = new MetricCatalogue([]);
  /** The rows as stored, before INGEST_KIND_METRICS is applied to the built-in ones. */
  private stored = new Map<string, CatalogueMetric>();

  constructor(
    private readonly repository: MetricsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.repository.seed(builtInMetrics());
    this.load(await this.repository.findAll());
  }

  /** Hot path: the catalogue as it stands; a change replaces it whole. */
  get catalogue(): MetricCatalogue {
    return this.current;
  }

  list(): MetricDto[] {
    return this.current.list().map(toDto);
  }

  async create({ name, ...fields }: CreateMetric): Promise<MetricDto> {
    if (this.current.get(name)) throw new IocError(ErrorCode.Conflict, `metric ${name} already exists`);
    const created = await this.repository.insert(name, fields);
    if (!created) throw new IocError(ErrorCode.Conflict, `metric ${name} already exists`);
    return this.remember(created);
  }

  async update(name: string, patch: UpdateMetric): Promise<MetricDto> {
    const current = this.current.get(name);
    if (!current) throw new IocError(ErrorCode.NotFound, `metric ${name} does not exist`);
    if (current.builtIn && patch.unit !== undefined && patch.unit !== current.unit) {
      throw new IocError(ErrorCode.Invalid, `unit: ${name} is built in, its unit stays ${current.unit}`);
    }
    const stored = this.stored.get(name)!;
    const updated = await this.repository.update(name, {
      unit: patch.unit ?? stored.unit,
      precision: patch.precision ?? stored.precision,
      kinds: patch.kinds ?? stored.kinds,
    });
    if (!updated) throw new IocError(ErrorCode.NotFound, `metric ${name} does not exist`);
    return this.remember(updated);
  }

  private remember(metric: CatalogueMetric): MetricDto {
    this.load([...this.stored.values()].filter((m) => m.name !== metric.name).concat(metric));
    return toDto(this.current.get(metric.name)!);
  }

  private load(metrics: readonly CatalogueMetric[]): void {
    this.stored = new Map(metrics.map((m) => [m.name, m]));
    this.current = new MetricCatalogue(metrics, this.config.INGEST_KIND_METRICS as Partial<Record<DeviceKind, readonly string[]>>);
  }
}

function toDto({ name, unit, precision, kinds, builtIn }: CatalogueMetric): MetricDto {
  return { name, unit, precision, kinds, builtIn };
}
