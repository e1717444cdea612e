import type { Pool } from 'pg';
import type { HealthDto } from '@ioc/contracts';
import { interval, type StorageSettings } from './storage-settings';

/**
 * The TimescaleDB layout, made from the plain one of migration 0006 at start-up and re-applied
 * at every start (policies follow the settings, and keep their jobs): hypertables instead of partitioned tables,
 * continuous aggregates under the rollups' names instead of tables kept by the server, and the
 * area rollup (migration 0008) as a view over the hourly aggregate.
 */
const HYPERTABLES = [
  {
    table: 'telemetry',
    columns: `time timestamptz NOT NULL, device_key integer NOT NULL, metric_id smallint NOT NULL,
              value double precision NOT NULL, PRIMARY KEY (device_key, metric_id, time)`,
    indexes: [] as string[],
  },
  {
    table: 'device_events',
    columns: `time timestamptz NOT NULL, device_key integer NOT NULL, type text NOT NULL, confidence real,
              snapshot_url text, attributes jsonb NOT NULL DEFAULT '{}', PRIMARY KEY (device_key, type, time)`,
    indexes: ['CREATE INDEX device_events_time_idx ON device_events (time DESC)'],
  },
];

/** Same columns as the plain rollup tables, so history queries do not know which they read. */
const ROLLUPS = [
  { view: 'telemetry_1m', bucket: '1 minute', endOffsetMs: 60_000, scheduleMs: 60_000 },
  { view: 'telemetry_1h', bucket: '1 hour', endOffsetMs: 3_600_000, scheduleMs: 15 * 60_000 },
];

/**
 * The columns of the plain `telemetry_area_1h`. No refresher keeps a table here: the view groups
 * the hourly aggregate by the areas the devices are in now (the plain table keeps the areas they
 * were in when their minutes were materialized). A device's hourly row is one device, so
 * `devices` is the count of rows.
 */
const AREA_ROLLUP_VIEW = `CREATE OR REPLACE VIEW telemetry_area_1h AS
  SELECT h.bucket, a.area_id, h.metric_id, min(h.min) AS min, max(h.max) AS max, sum(h.sum) AS sum,
         sum(h.count)::bigint AS count, count(*)::int AS devices
    FROM telemetry_1h h
    JOIN devices d ON d.key = h.device_key
   CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
   GROUP BY h.bucket, a.area_id, h.metric_id`;

export async function applyTimescaleLayout(pool: Pool, settings: StorageSettings, log: (line: string) => void): Promise<void> {
  const chunk = interval(settings.partitionIntervalMs);
  for (const h of HYPERTABLES) {
    const { rows } = await pool.query<{ relkind: string }>('SELECT relkind FROM pg_class WHERE oid = $1::regclass', [h.table]);
    if (rows[0].relkind === 'p') {
      await rebuildAsHypertable(pool, h, chunk);
      log(`${h.table}: partitioned table rebuilt as a hypertable`);
    }
    await pool.query('SELECT set_chunk_time_interval($1::regclass, $2::interval)', [h.table, chunk]);
  }

  // The plain layout's rollup tables give way to real-time continuous aggregates: reads add no
  // raw rows of their own, and nothing is recorded for a refresher (migration 0010).
  await pool.query(`UPDATE telemetry_rollup_state SET threshold = 'infinity', materialized = 'infinity'`);
  for (const r of ROLLUPS) {
    const { rows } = await pool.query<{ relkind: string }>(
      `SELECT relkind FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace`,
      [r.view],
    );
    if (rows[0] && rows[0].relkind !== 'v') await pool.query(`DROP TABLE ${r.view}`);
    if (rows[0]?.relkind !== 'v') {
      // Real-time: buckets not yet materialized are computed from the raw rows at query time.
      await pool.query(
        `CREATE MATERIALIZED VIEW ${r.view} WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
         SELECT time_bucket(INTERVAL '${r.bucket}', time) AS bucket, device_key, metric_id,
                min(value) AS min, max(value) AS max, sum(value) AS sum, count(*) AS count,
                last(value, time) AS last, max(time) AS last_time
           FROM telemetry GROUP BY 1, 2, 3
         WITH NO DATA`,
      );
      // Not inside a transaction block, and without parameters (extended protocol would be one).
      await pool.query(`CALL refresh_continuous_aggregate('${r.view}', NULL, NULL)`);
      log(`${r.view}: continuous aggregate created`);
    }
    // The refresh window reaches back as far as late samples are accepted, and stays inside the
    // retention (the configuration checks it), so dropping raw chunks never empties old buckets.
    const window = { start: interval(settings.lateWindowMs + 3 * r.endOffsetMs), end: interval(r.endOffsetMs) };
    await ensurePolicy(pool, 'policy_refresh_continuous_aggregate', r.view, {
      add: [
        `SELECT add_continuous_aggregate_policy($1::regclass, start_offset => $2::interval,
                end_offset => $3::interval, schedule_interval => $4::interval)`,
        [r.view, window.start, window.end, interval(r.scheduleMs)],
      ],
      config: { start_offset: window.start, end_offset: window.end },
      schedule: interval(r.scheduleMs),
    });
  }
  const { rows: area } = await pool.query<{ relkind: string }>(
    `SELECT relkind FROM pg_class WHERE relname = 'telemetry_area_1h' AND relnamespace = 'public'::regnamespace`,
  );
  if (area[0] && area[0].relkind !== 'v') {
    await pool.query('DROP TABLE telemetry_area_1h');
    log('telemetry_area_1h: table replaced by a view over telemetry_1h');
  }
  await pool.query(AREA_ROLLUP_VIEW);

  const { rows: compression } = await pool.query<{ enabled: boolean }>(
    `SELECT compression_enabled AS enabled FROM timescaledb_information.hypertables
      WHERE hypertable_schema = 'public' AND hypertable_name = 'telemetry'`,
  );
  if (!compression[0]?.enabled) {
    await pool.query(
      `ALTER TABLE telemetry SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_key, metric_id',
                                  timescaledb.compress_orderby = 'time DESC')`,
    );
  }
  const compressAfter = interval(settings.compressAfterDays * 86_400_000);
  await ensurePolicy(pool, 'policy_compression', 'telemetry', {
    add: [`SELECT add_compression_policy('telemetry', compress_after => $1::interval)`, [compressAfter]],
    config: { compress_after: compressAfter },
  });

  for (const relation of ['telemetry', 'device_events', 'telemetry_1m']) {
    if (settings.retentionDays === 0) {
      await pool.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [relation]);
      continue;
    }
    const dropAfter = interval(settings.retentionDays * 86_400_000);
    await ensurePolicy(pool, 'policy_retention', relation, {
      add: ['SELECT add_retention_policy($1::regclass, drop_after => $2::interval)', [relation, dropAfter]],
      config: { drop_after: dropAfter },
    });
  }
}

interface PolicySpec {
  /** The statement that adds the policy, and its parameters. */
  add: [string, unknown[]];
  /** Intervals of the job's config, by key. */
  config: Record<string, string>;
  schedule?: string;
}

/**
 * Adds a policy only when the relation has none, and otherwise brings the job's settings to the
 * configured ones with alter_job: the job keeps its id and run history, and no start leaves a
 * relation without its policy.
 */
async function ensurePolicy(pool: Pool, proc: string, relation: string, spec: PolicySpec): Promise<void> {
  const { rows } = await pool.query<{ id: number }>(
    `SELECT job_id AS id FROM timescaledb_information.jobs
      WHERE proc_name = $1 AND hypertable_schema = 'public' AND hypertable_name = $2`,
    [proc, relation],
  );
  if (rows.length === 0) {
    await pool.query(...spec.add);
    return;
  }
  // Built in SQL, so the intervals have the text form TimescaleDB stores and an unchanged job is left alone.
  await pool.query(
    `WITH wanted AS (
       SELECT j.job_id, j.config || (SELECT jsonb_object_agg(k, v::interval) FROM unnest($2::text[], $3::text[]) AS x(k, v)) AS config,
              coalesce($4::interval, j.schedule_interval) AS schedule
         FROM timescaledb_information.jobs j WHERE j.job_id = $1
     )
     SELECT alter_job(w.job_id, config => w.config, schedule_interval => w.schedule)
       FROM wanted w JOIN timescaledb_information.jobs j USING (job_id)
      WHERE w.config <> j.config OR w.schedule <> j.schedule_interval`,
    [rows[0].id, Object.keys(spec.config), Object.values(spec.config), spec.schedule ?? null],
  );
}

/** The storage's jobs whose last scheduled run failed, with the error of that run. */
export async function failingJobs(pool: Pool): Promise<NonNullable<HealthDto['database']['failingJobs']>> {
  const { rows } = await pool.query<{ id: number; job: string; relation: string; failed_at: string | null; error: string | null }>(
    `SELECT j.job_id AS id, j.proc_name AS job, j.hypertable_name AS relation,
            to_char(s.last_run_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS failed_at,
            (SELECT e.err_message FROM timescaledb_information.job_errors e
              WHERE e.job_id = j.job_id ORDER BY e.start_time DESC LIMIT 1) AS error
       FROM timescaledb_information.jobs j
       JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
      WHERE j.hypertable_schema = 'public' AND s.last_run_status = 'Failed'
      ORDER BY j.job_id`,
  );
  return rows.map((r) => ({ id: r.id, job: r.job, relation: r.relation, failedAt: r.failed_at, error: r.error }));
}

/** A partitioned table of the plain layout becomes a hypertable of the same name, rows kept. */
async function rebuildAsHypertable(pool: Pool, h: (typeof HYPERTABLES)[number], chunk: string): Promise<void> {
  const client = await pool.connect();
  const old = `${h.table}_partitioned`;
  try {
    await client.query('BEGIN');
    await client.query(`ALTER TABLE ${h.table} RENAME TO ${old}`);
    // Free the index names for the new table.
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass`,
      [old],
    );
    for (const { name } of rows) {
      await client.query(`ALTER INDEX ${client.escapeIdentifier(name)} RENAME TO ${client.escapeIdentifier(`${name}_old`)}`);
    }
    await client.query(`CREATE TABLE ${h.table} (${h.columns})`);
    for (const index of h.indexes) await client.query(index);
    await client.query(`SELECT create_hypertable($1::regclass, 'time', chunk_time_interval => $2::interval)`, [h.table, chunk]);
    await client.query(`INSERT INTO ${h.table} SELECT * FROM ${old}`);
    await client.query(`DROP TABLE ${old}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
