import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '@ioc/database';
import { MINUTES_ABOVE, ORIGIN } from './sql';

// Any constant works; it only has to be the same on every node.
const REFRESH_LOCK = 4_771_206;
// Background work: one process, so that the writers keep the other cores.
const ONE_PROCESS = 'SET LOCAL max_parallel_workers_per_gather = 0';

/** The newest value of a group: the greatest (time, value) pair, without sorting the group. */
const LAST_OF = (time: string, value: string) => `(max(ARRAY[extract(epoch FROM ${time})::float8, ${value}]))[2]`;

const REPLACE = `min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count,
                 last = excluded.last, last_time = excluded.last_time`;
const COMBINE = `min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
                 sum = r.sum + excluded.sum, count = r.count + excluded.count,
                 last = CASE WHEN excluded.last_time >= r.last_time THEN excluded.last ELSE r.last END,
                 last_time = greatest(r.last_time, excluded.last_time)`;

/**
 * The samples of [$1, $2) from the raw rows, added to their hours, their hours to the areas of
 * their devices, and to their minutes where the hour is dense (migration 0016). Each range goes
 * forward once (it starts where the last one ended), so adding counts every sample once, and a
 * range may end inside a minute; a (device, metric, hour) row that is new (xmax = 0: inserted,
 * not updated) is one more device in that device's areas for the hour. An hour that becomes dense
 * in this range gets its earlier minutes from the raw rows.
 */
const MATERIALIZE = `
  WITH groups AS (
    SELECT date_bin('1 minute', time, ${ORIGIN}) AS bucket, device_key, metric_id,
           min(value) AS min, max(value) AS max, sum(value) AS sum, count(*) AS count, max(time) AS last_time
      FROM telemetry WHERE time >= $1 AND time < $2
     GROUP BY 1, 2, 3
  ), added AS (
    -- The newest value by its key, once a group: at many samples a minute, half the cost of
    -- carrying (time, value) pairs through the aggregate.
    SELECT g.bucket, g.device_key, g.metric_id, g.min, g.max, g.sum, g.count, newest.value AS last, g.last_time
      FROM groups g
     CROSS JOIN LATERAL (
       SELECT t.value FROM telemetry t
        WHERE t.device_key = g.device_key AND t.metric_id = g.metric_id AND t.time = g.last_time LIMIT 1
     ) AS newest
  ), hours AS (
    SELECT date_bin('1 hour', bucket, ${ORIGIN}) AS bucket, device_key, metric_id, min(min) AS min, max(max) AS max,
           sum(sum) AS sum, sum(count)::bigint AS count, ${LAST_OF('last_time', 'last')} AS last, max(last_time) AS last_time
      FROM added GROUP BY 1, 2, 3
  ), upserted AS (
    INSERT INTO telemetry_1h AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
    SELECT * FROM hours
    ON CONFLICT (device_key, metric_id, bucket) DO UPDATE SET ${COMBINE}
    RETURNING r.device_key, r.metric_id, r.bucket, (r.xmax = 0) AS fresh, r.count
  ), dense AS (
    SELECT u.device_key, u.metric_id, u.bucket, u.count - h.count <= ${MINUTES_ABOVE} AS became
      FROM upserted u JOIN hours h USING (device_key, metric_id, bucket)
     WHERE u.count > ${MINUTES_ABOVE}
  ), minutes AS (
    INSERT INTO telemetry_1m AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
    SELECT m.bucket, m.device_key, m.metric_id, min(m.min), max(m.max), sum(m.sum), sum(m.count),
           ${LAST_OF('m.last_time', 'm.last')}, max(m.last_time)
      FROM (
        SELECT a.* FROM added a
          JOIN dense d ON d.device_key = a.device_key AND d.metric_id = a.metric_id AND d.bucket = date_bin('1 hour', a.bucket, ${ORIGIN})
        UNION ALL
        SELECT date_bin('1 minute', t.time, ${ORIGIN}), d.device_key, d.metric_id, t.value, t.value, t.value, 1, t.value, t.time
          FROM dense d
         CROSS JOIN LATERAL (
           SELECT time, value FROM telemetry
            WHERE device_key = d.device_key AND metric_id = d.metric_id AND time >= d.bucket AND time < $1 OFFSET 0
         ) AS t
         WHERE d.became
      ) m
     GROUP BY 1, 2, 3
    ON CONFLICT (device_key, metric_id, bucket) DO UPDATE SET ${COMBINE}
  )
  INSERT INTO telemetry_area_1h AS r (bucket, area_id, metric_id, min, max, sum, count, devices)
  SELECT h.bucket, a.area_id, h.metric_id, min(h.min), max(h.max), sum(h.sum), sum(h.count)::bigint,
         (count(*) FILTER (WHERE u.fresh))::int
    FROM hours h
    JOIN upserted u ON u.device_key = h.device_key AND u.metric_id = h.metric_id AND u.bucket = h.bucket
    JOIN devices d ON d.key = h.device_key
   CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
   GROUP BY a.area_id, h.metric_id, h.bucket
  ON CONFLICT (area_id, metric_id, bucket) DO UPDATE
    SET min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
        sum = r.sum + excluded.sum, count = r.count + excluded.count, devices = r.devices + excluded.devices`;

// Late samples: per device, the hours holding [lower, upper) are recomputed from the raw rows
// before $4 (materialized), then the minutes of those hours (from the raw rows where the hour is
// dense, none where it is not), then those hours of the device's areas from the hours of the
// devices in them now. Recomputing replaces: a sample is never added twice. Each (device, metric)
// is read as one range of its rollup's or of the raw rows' primary key; OFFSET 0 keeps the
// planner from turning the lookups into a scan of all of a device's rows.
const REDO = `SELECT x.*, m.id AS metric_id
  FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS x(device_key, lower, upper) CROSS JOIN metrics m`;
const REDO_HOURS = `
  INSERT INTO telemetry_1h AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
  SELECT date_bin('1 hour', t.time, ${ORIGIN}), x.device_key, x.metric_id,
         min(t.value), max(t.value), sum(t.value), count(*), ${LAST_OF('t.time', 't.value')}, max(t.time)
    FROM (${REDO}) x
   CROSS JOIN LATERAL (
     SELECT time, value FROM telemetry
      WHERE device_key = x.device_key AND metric_id = x.metric_id AND time >= date_bin('1 hour', x.lower, ${ORIGIN})
        AND time < least(date_bin('1 hour', x.upper - INTERVAL '1 microsecond', ${ORIGIN}) + INTERVAL '1 hour', $4) OFFSET 0
   ) AS t
   GROUP BY 1, 2, 3
  ON CONFLICT (device_key, metric_id, bucket) DO UPDATE SET ${REPLACE}`;
const REDO_MINUTES = `
  WITH hours AS (
    SELECT h.device_key, h.metric_id, h.bucket, coalesce(h.count > ${MINUTES_ABOVE}, false) AS dense
      FROM (${REDO}) x
     CROSS JOIN LATERAL (
       SELECT * FROM telemetry_1h
        WHERE device_key = x.device_key AND metric_id = x.metric_id
          AND bucket >= date_bin('1 hour', x.lower, ${ORIGIN}) AND bucket < x.upper OFFSET 0
     ) AS h
  ), sparse AS (
    DELETE FROM telemetry_1m m USING hours h
     WHERE NOT h.dense AND m.device_key = h.device_key AND m.metric_id = h.metric_id
       AND m.bucket >= h.bucket AND m.bucket < h.bucket + INTERVAL '1 hour'
  )
  INSERT INTO telemetry_1m AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
  SELECT date_bin('1 minute', t.time, ${ORIGIN}), h.device_key, h.metric_id,
         min(t.value), max(t.value), sum(t.value), count(*), ${LAST_OF('t.time', 't.value')}, max(t.time)
    FROM hours h
   CROSS JOIN LATERAL (
     SELECT time, value FROM telemetry
      WHERE device_key = h.device_key AND metric_id = h.metric_id
        AND time >= h.bucket AND time < least(h.bucket + INTERVAL '1 hour', $4) OFFSET 0
   ) AS t
   WHERE h.dense
   GROUP BY 1, 2, 3
  ON CONFLICT (device_key, metric_id, bucket) DO UPDATE SET ${REPLACE}`;
const REDO_AREA_HOURS = `
  WITH hours AS (
    SELECT DISTINCT a.area_id, x.metric_id, h.bucket
      FROM (${REDO}) x
     CROSS JOIN LATERAL (
       SELECT bucket FROM telemetry_1h
        WHERE device_key = x.device_key AND metric_id = x.metric_id
          AND bucket >= date_bin('1 hour', x.lower, ${ORIGIN}) AND bucket < x.upper OFFSET 0
     ) AS h
      JOIN devices d ON d.key = x.device_key
     CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
  )
  INSERT INTO telemetry_area_1h AS r (bucket, area_id, metric_id, min, max, sum, count, devices)
  SELECT w.bucket, w.area_id, h.metric_id, min(h.min), max(h.max), sum(h.sum), sum(h.count)::bigint, count(*)::int
    FROM hours w
    JOIN devices d ON d.area_ids @> ARRAY[w.area_id]
    JOIN telemetry_1h h ON h.device_key = d.key AND h.metric_id = w.metric_id AND h.bucket = w.bucket
   GROUP BY 1, 2, 3
  ON CONFLICT (area_id, metric_id, bucket) DO UPDATE
    SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count, devices = excluded.devices`;

/**
 * A timestamptz that may be 'infinity': pg gives ±infinity as the numbers ±Infinity, not as
 * Dates. Null for those.
 */
export const finiteTime = (value: Date | number): Date | null => (typeof value === 'number' ? null : value);

export interface RollupState {
  /** Samples stored before this are late. Null on TimescaleDB, whose aggregates need no refresher. */
  threshold: Date | null;
  /** Samples before this are in the rollups. Null on TimescaleDB. */
  materialized: Date | null;
  /** Late samples not yet recomputed, one entry per device and write. */
  lateWaiting: number;
}

export async function readRollupState(db: Pool | PoolClient): Promise<RollupState> {
  const { rows } = await db.query<{ threshold: Date | number; materialized: Date | number; late: number }>(
    `SELECT threshold, materialized, (SELECT count(*)::int FROM telemetry_rollup_invalidations) AS late FROM telemetry_rollup_state`,
  );
  return { threshold: finiteTime(rows[0].threshold), materialized: finiteTime(rows[0].materialized), lateWaiting: rows[0].late };
}

export interface RefreshReport {
  /** False when another node holds the refresh, or the engine keeps the rollups itself. */
  ran: boolean;
  /** Samples before this are in the rollups. */
  materialized: Date | null;
  /** Devices whose late samples were recomputed. */
  recomputedDevices: number;
}

/**
 * Plain PostgreSQL: keeps the rollups of migration 0010 current, one round at a time. A round
 * materializes up to the threshold set by an earlier round once no writer that could have read
 * the older threshold is still running, recomputes what late samples invalidated, and raises the
 * threshold to `settleMs` ago. One node at a time (an advisory lock); the others skip.
 */
export class RollupRefresher {
  constructor(
    private readonly pool: Pool,
    private readonly settleMs: number,
  ) {}

  async run(now = Date.now()): Promise<RefreshReport> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [REFRESH_LOCK]);
      if (!rows[0].locked) return { ran: false, materialized: null, recomputedDevices: 0 };
      try {
        const materialized = await this.materialize(client);
        if (!materialized) return { ran: false, materialized: null, recomputedDevices: 0 };
        const recomputedDevices = await this.recompute(client, materialized);
        await this.raiseThreshold(client, now);
        return { ran: true, materialized, recomputedDevices };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [REFRESH_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  /** How far the rollups are materialized now; null where nothing is (TimescaleDB's layout). */
  private async materialize(client: PoolClient): Promise<Date | null> {
    // Settled: every transaction running when the snapshot was taken has ended. The first test
    // needs no per-transaction status (which an old snapshot could no longer give).
    const { rows } = await client.query<{ threshold: Date | number; materialized: Date | number; settled: boolean }>(
      `SELECT threshold, materialized,
              snapshot_of = threshold AND CASE
                WHEN pg_snapshot_xmax(threshold_snapshot) <= pg_snapshot_xmin(pg_current_snapshot()) THEN true
                ELSE NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(threshold_snapshot) AS x
                                  WHERE pg_xact_status(x) = 'in progress')
              END AS settled
         FROM telemetry_rollup_state`,
    );
    const [threshold, materialized] = [finiteTime(rows[0].threshold), finiteTime(rows[0].materialized)];
    if (!threshold || !materialized) return null;
    if (!rows[0].settled || materialized >= threshold) return materialized;
    await this.summarizeNewPages(client, materialized);
    await inTransaction(client, async () => {
      await client.query(ONE_PROCESS);
      // The range is the newest seconds of a table in time order: the BRIN index finds their
      // pages, where a fresh partition without statistics would be read whole.
      await client.query('SET LOCAL enable_seqscan = off');
      await client.query(MATERIALIZE, [materialized, threshold]);
      await client.query('UPDATE telemetry_rollup_state SET materialized = $1', [threshold]);
    });
    return threshold;
  }

  /**
   * Brings the BRIN index of the partitions from `since` on up to date, so that a read of the
   * newest seconds visits their pages only: pages not yet summarized are always read, and
   * autovacuum summarizes them only when it passes by. A partition whose lock is held (by a
   * vacuum, say) is left for the next round rather than waited for.
   */
  private async summarizeNewPages(client: PoolClient, since: Date): Promise<void> {
    try {
      await inTransaction(client, async () => {
        await client.query(`SET LOCAL lock_timeout = '100ms'`);
        await client.query(
          `SELECT brin_summarize_new_values(i.indexrelid)
             FROM storage_partitions('telemetry') p
             JOIN pg_class t ON t.relname = p.name AND t.relnamespace = 'public'::regnamespace
             JOIN pg_index i ON i.indrelid = t.oid
             JOIN pg_class ic ON ic.oid = i.indexrelid
             JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'brin'
            WHERE p.upper IS NULL OR p.upper > $1`,
          [since],
        );
      });
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
    }
  }

  /** Recomputes, below `materialized`, what late samples invalidated; later samples go forward later. */
  private async recompute(client: PoolClient, materialized: Date): Promise<number> {
    return inTransaction(client, async () => {
      await client.query(ONE_PROCESS);
      const { rows } = await client.query<{ device_key: number; lower: Date; upper: Date }>(
        `WITH taken AS (DELETE FROM telemetry_rollup_invalidations RETURNING *)
         SELECT device_key, date_bin('1 minute', min(lower), ${ORIGIN}) AS lower,
                least(date_bin('1 minute', max(upper), ${ORIGIN}) + INTERVAL '1 minute', $1) AS upper
           FROM taken GROUP BY device_key`,
        [materialized],
      );
      const redo = rows.filter((r) => r.lower < r.upper);
      if (redo.length === 0) return 0;
      const params = [redo.map((r) => r.device_key), redo.map((r) => r.lower), redo.map((r) => r.upper)];
      await client.query(REDO_HOURS, [...params, materialized]);
      await client.query(REDO_MINUTES, [...params, materialized]);
      await client.query(REDO_AREA_HOURS, params);
      return redo.length;
    });
  }

  private async raiseThreshold(client: PoolClient, now: number): Promise<void> {
    await client.query(
      'UPDATE telemetry_rollup_state SET threshold = $1 WHERE threshold < $1',
      [new Date(now - this.settleMs)],
    );
    // A statement of its own, so its snapshot is taken after the new threshold committed.
    await client.query(
      `UPDATE telemetry_rollup_state SET threshold_snapshot = pg_current_snapshot(), snapshot_of = threshold
        WHERE snapshot_of IS DISTINCT FROM threshold`,
    );
  }
}
