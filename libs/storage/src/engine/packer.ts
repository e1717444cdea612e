import type { Pool, PoolClient } from 'pg';
import type { AppConfig } from '@ioc/config';
import { inTransaction } from '@ioc/database';
import { MAINTENANCE_LOCK } from './partition-maintainer';
import { ORIGIN } from './sql';

const DAY = 86_400_000;
// Background work: one process, so that the writers keep the other cores.
const ONE_PROCESS = 'SET LOCAL max_parallel_workers_per_gather = 0';
// Decimal places tried for a row's values (migration 0014): integers of up to 4 decimals.
const DECIMALS = [0, 1, 2, 3, 4];

/** The time of sample `s` of packed row `p` (unnest of migration 0014's arrays). */
export const PACKED_TIME = (p: string, s: string) =>
  `${p}.hour + (${s}.ms * 1000::bigint + coalesce(${s}.us, 0)) * INTERVAL '1 microsecond'`;
/** The value of sample `s` of packed row `p`. */
export const PACKED_VALUE = (p: string, s: string) => `telemetry_unpack_value(${s}.scaled, ${p}.decimals, ${s}.exact)`;
/** The samples of packed row `p`, as `s`. */
export const UNNEST_PACKED = (p: string, s: string) => `unnest(${p}.ms, ${p}.us, ${p}.scaled, ${p}.exact) AS ${s}(ms, us, scaled, exact)`;

/**
 * Packed samples with their device, metric, time and value, of the hours that hold [`after`, $4)
 * (`after`: $3 unless given): the caller bounds the times exactly. `where` picks the devices of
 * packed rows `p`, `metrics` is a subquery of metric ids.
 */
export const packedSamples = (where: (alias: string) => string, metrics: string, after = '$3::timestamptz') => `
  SELECT p.device_key, p.metric_id, ${PACKED_TIME('p', 's')} AS time, ${PACKED_VALUE('p', 's')} AS value
    FROM telemetry_packed p CROSS JOIN LATERAL ${UNNEST_PACKED('p', 's')}
   WHERE ${where('p')} AND p.metric_id IN (${metrics})
     AND p.hour >= date_bin(INTERVAL '1 hour', ${after}, ${ORIGIN}) AND p.hour < $4::timestamptz`;

/**
 * One statement per partition ($1, $2: its range): its rows, and the samples packed earlier in
 * the same range (a partition made again for samples stored after the packing), which win over a
 * raw row of the same time as the writer's ON CONFLICT DO NOTHING would have it, grouped by
 * (device, metric, hour). A row's values are stored with the fewest decimal places that every one
 * of them reads back exactly with, else as doubles.
 */
const PACK = (partition: string) => `
  WITH earlier AS (
    DELETE FROM telemetry_packed WHERE hour >= $1 AND hour < $2 RETURNING *
  ), kept AS (
    SELECT e.device_key, e.metric_id, ${PACKED_TIME('e', 's')} AS time, ${PACKED_VALUE('e', 's')} AS value
      FROM earlier e CROSS JOIN LATERAL ${UNNEST_PACKED('e', 's')}
  ), samples AS (
    SELECT device_key, metric_id, time, value FROM kept
    UNION ALL
    SELECT t.device_key, t.metric_id, t.time, t.value FROM ${partition} t
     WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.device_key = t.device_key AND k.metric_id = t.metric_id AND k.time = t.time)
  ), placed AS (
    SELECT device_key, metric_id, date_bin('1 hour', time, ${ORIGIN}) AS hour, time, value,
           (extract(epoch FROM time - date_bin('1 hour', time, ${ORIGIN})) * 1000000)::bigint AS offset_us,
           ${DECIMALS.map((k) => `(telemetry_fits_decimals(value, ${k})::int << ${k})`).join(' | ')} AS fits
      FROM samples
  ), hours AS (
    SELECT device_key, metric_id, hour, bit_and(fits) AS fits,
           array_agg((offset_us / 1000)::int ORDER BY time) AS ms,
           CASE WHEN bool_or(offset_us % 1000 <> 0) THEN array_agg((offset_us % 1000)::smallint ORDER BY time) END AS us,
           array_agg(value ORDER BY time) AS vals
      FROM placed GROUP BY 1, 2, 3
  ), inserted AS (
    INSERT INTO telemetry_packed (device_key, metric_id, hour, decimals, ms, us, scaled, exact)
    SELECT h.device_key, h.metric_id, h.hour, d.k, h.ms, h.us,
           CASE WHEN d.k IS NOT NULL
                THEN ARRAY(SELECT round(u.v * 10::float8 ^ d.k)::int FROM unnest(h.vals) WITH ORDINALITY AS u(v, i) ORDER BY u.i) END,
           CASE WHEN d.k IS NULL THEN h.vals END
      FROM hours h
     CROSS JOIN LATERAL (
       SELECT CASE ${DECIMALS.map((k) => `WHEN h.fits & ${1 << k} <> 0 THEN ${k}`).join(' ')} END::smallint AS k
     ) AS d
    RETURNING cardinality(ms) AS n
  )
  SELECT coalesce(sum(n), 0)::float8 AS samples FROM inserted`;

/** When and how far back telemetry is packed. */
export interface PackSettings {
  /** Partitions ending this long ago are packed; 0: never. */
  packAfterMs: number;
  /** Packed hours are deleted with the raw partitions (STORAGE_RETENTION_DAYS); 0: kept. */
  retentionDays: number;
}

/** STORAGE_PACK_AFTER_DAYS, unset: the first whole day past the late-sample window and a day's margin. */
export function packSettings(config: AppConfig): PackSettings {
  const days = config.STORAGE_PACK_AFTER_DAYS ?? Math.ceil(config.INGEST_MAX_AGE_S / 86_400) + 1;
  return { packAfterMs: days * DAY, retentionDays: config.STORAGE_RETENTION_DAYS };
}

export interface PackReport {
  /** Telemetry partitions packed and dropped. */
  packed: string[];
  /** Samples those partitions held. */
  samples: number;
  /** 1-minute rollup partitions dropped because their range is packed. */
  droppedMinutes: string[];
}

/**
 * Plain PostgreSQL: packs each telemetry partition that lies wholly before the pack age, is
 * materialized in the rollups and has no late samples waiting to be recomputed, into
 * telemetry_packed, and drops it, in one transaction: a crash leaves the partition or the packed
 * rows, never both. The 1-minute rollup of a packed range goes in a later transaction (reads
 * ignore it meanwhile); the hourly rollups stay. Shares the partition maintainer's lock, so one
 * node does one of the two at a time.
 */
export class TelemetryPacker {
  constructor(
    private readonly pool: Pool,
    private readonly settings: PackSettings,
  ) {}

  async run(now = Date.now()): Promise<PackReport> {
    const report: PackReport = { packed: [], samples: 0, droppedMinutes: [] };
    if (this.settings.packAfterMs <= 0) return report;
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MAINTENANCE_LOCK]);
      if (!rows[0].locked) return report;
      try {
        await this.dropPackedMinutes(client, report);
        const { rows: due } = await client.query<{ name: string; lower: Date; upper: Date }>(
          `SELECT p.name, p.lower, p.upper
             FROM storage_partitions('telemetry') p, telemetry_rollup_state s
            WHERE p.lower IS NOT NULL AND p.upper <= least($1::timestamptz, s.materialized)
              AND NOT EXISTS (SELECT 1 FROM telemetry_rollup_invalidations i WHERE i.lower < p.upper AND i.upper >= p.lower)
            ORDER BY p.lower`,
          [new Date(now - this.settings.packAfterMs)],
        );
        for (const partition of due) {
          await this.pack(client, partition, report);
          await this.dropPackedMinutes(client, report);
        }
        await this.applyRetention(client, now);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MAINTENANCE_LOCK]);
      }
    } finally {
      client.release();
    }
    return report;
  }

  private async pack(client: PoolClient, p: { name: string; lower: Date; upper: Date }, report: PackReport): Promise<void> {
    const table = client.escapeIdentifier(p.name);
    await inTransaction(client, async () => {
      await client.query(ONE_PROCESS);
      // No sample can be written into the partition while it is copied: none is lost at the drop.
      await client.query(`LOCK TABLE ${table} IN SHARE MODE`);
      const { rows } = await client.query<{ samples: number }>(PACK(table), [p.lower, p.upper]);
      await client.query(
        `UPDATE telemetry_pack_state SET packed = packed + tstzmultirange(tstzrange($1, $2)),
                                         minutes_to_drop = minutes_to_drop + tstzmultirange(tstzrange($1, $2))`,
        [p.lower, p.upper],
      );
      await client.query(`DROP TABLE ${table}`);
      report.samples += rows[0].samples;
    });
    report.packed.push(p.name);
  }

  /**
   * The 1-minute rollup of packed ranges: partitions inside one are dropped, rows of partitions
   * that straddle one (made with another interval) or of the default partition deleted. Each
   * statement stands alone, so no transaction waits for two tables' exclusive locks.
   */
  private async dropPackedMinutes(client: PoolClient, report: PackReport): Promise<void> {
    const { rows: ranges } = await client.query<{ lower: Date; upper: Date }>(
      'SELECT lower(r) AS lower, upper(r) AS upper FROM telemetry_pack_state, unnest(minutes_to_drop) AS r',
    );
    for (const range of ranges) {
      const { rows: inside } = await client.query<{ name: string }>(
        `SELECT name FROM storage_partitions('telemetry_1m') WHERE lower >= $1 AND upper <= $2`,
        [range.lower, range.upper],
      );
      for (const { name } of inside) {
        await client.query(`DROP TABLE ${client.escapeIdentifier(name)}`);
        report.droppedMinutes.push(name);
      }
      await client.query('DELETE FROM telemetry_1m WHERE bucket >= $1 AND bucket < $2', [range.lower, range.upper]);
      await client.query(
        'UPDATE telemetry_pack_state SET minutes_to_drop = minutes_to_drop - tstzmultirange(tstzrange($1, $2))',
        [range.lower, range.upper],
      );
    }
  }

  /** Packed hours past retention go as the raw partitions of their time would. */
  private async applyRetention(client: PoolClient, now: number): Promise<void> {
    if (this.settings.retentionDays <= 0) return;
    const cutoff = new Date(now - this.settings.retentionDays * DAY);
    // A scan of the packed rows only when some of them are due, about once a partition interval.
    const { rows } = await client.query<{ due: boolean }>(
      'SELECT coalesce(lower(packed) < $1, false) AS due FROM telemetry_pack_state',
      [cutoff],
    );
    if (!rows[0].due) return;
    await inTransaction(client, async () => {
      await client.query(`DELETE FROM telemetry_packed WHERE hour <= $1::timestamptz - INTERVAL '1 hour'`, [cutoff]);
      await client.query('UPDATE telemetry_pack_state SET packed = packed - tstzmultirange(tstzrange(NULL, $1))', [cutoff]);
    });
  }
}
