import { Injectable } from '@nestjs/common';
import type { DeviceKind } from '@ioc/contracts';
import { Database } from '@ioc/database';
import type { CatalogueMetric } from './metric-catalogue';

interface MetricRow {
  id: number;
  name: string;
  unit: string;
  precision: number;
  kinds: DeviceKind[];
  built_in: boolean;
}

const COLUMNS = 'id, name, unit, precision, kinds, built_in';

const toMetric = (r: MetricRow): CatalogueMetric => ({
  id: r.id,
  name: r.name,
  unit: r.unit,
  precision: r.precision,
  kinds: r.kinds,
  builtIn: r.built_in,
});

export type MetricFields = Pick<CatalogueMetric, 'unit' | 'precision' | 'kinds'>;

/** The only writer of the `metrics` table. */
@Injectable()
export class MetricsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Registers the built-in metrics: a new one with its seed, an existing one keeps its precision
   * and kinds but always takes the built-in unit. Rows from before the catalogue was data (no unit)
   * take the whole seed.
   */
  async seed(builtIns: readonly (MetricFields & { name: string })[]): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO metrics (name, unit, precision, kinds, built_in)
       SELECT m.name, m.unit, m.precision, string_to_array(m.kinds, ','), true
         FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[]) AS m(name, unit, precision, kinds)
       ON CONFLICT (name) DO UPDATE
         SET unit = excluded.unit,
             built_in = true,
             precision = CASE WHEN metrics.unit IS NULL THEN excluded.precision ELSE metrics.precision END,
             kinds = CASE WHEN metrics.unit IS NULL THEN excluded.kinds ELSE metrics.kinds END`,
      [
        builtIns.map((m) => m.name),
        builtIns.map((m) => m.unit),
        builtIns.map((m) => m.precision),
        builtIns.map((m) => m.kinds.join(',')),
      ],
    );
  }

  /** Every metric with a unit; a row without one is a name an older server stored and no longer knows. */
  async findAll(): Promise<CatalogueMetric[]> {
    const { rows } = await this.db.pool.query<MetricRow>(`SELECT ${COLUMNS} FROM metrics WHERE unit IS NOT NULL ORDER BY id`);
    return rows.map(toMetric);
  }

  /** Inserts; null when the name is taken. A nameless row left by an older server is taken over. */
  async insert(name: string, f: MetricFields): Promise<CatalogueMetric | null> {
    const { rows } = await this.db.pool.query<MetricRow>(
      `INSERT INTO metrics (name, unit, precision, kinds) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET unit = excluded.unit, precision = excluded.precision, kinds = excluded.kinds
         WHERE metrics.unit IS NULL
       RETURNING ${COLUMNS}`,
      [name, f.unit, f.precision, f.kinds],
    );
    return rows[0] ? toMetric(rows[0]) : null;
  }

  async update(name: string, f: MetricFields): Promise<CatalogueMetric | null> {
    const { rows } = await this.db.pool.query<MetricRow>(
      `UPDATE metrics SET unit = $2, precision = $3, kinds = $4 WHERE name = $1 AND unit IS NOT NULL RETURNING ${COLUMNS}`,
      [name, f.unit, f.precision, f.kinds],
    );
    return rows[0] ? toMetric(rows[0]) : null;
  }
}
