import type { Pool, PoolClient } from 'pg';
import type { HealthDto } from '@ioc/contracts';
import { inTransaction } from '@ioc/database';
import { PACKED_TIME, PACKED_VALUE, UNNEST_PACKED } from './packer';
import { interval, type StorageSettings } from './storage-settings';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The TimescaleDB layout, made from the plain one of migration 0006 at start-up and re-applied
 * at every start (policies and chunk intervals follow the settings, and keep their jobs):
 * hypertables instead of partitioned tables, a continuous aggregate of the raw rows under the
 * hourly rollup's name, no 1-minute rollup (minutes are read from the raw rows), and the area
 * rollup (migration 0008) as a continuous aggregate of the hourly one.
 */
const HYPERTABLES = [
  {
    table: 'telemetry',
    columns: `time timestamptz NOT NULL, device_key integer NOT NULL, metric_id smallint NOT NULL,
              value double precision, value_milli bigint, PRIMARY KEY (device_key, metric_id, time)`,
    /** What the plain layout's rows give the new table. */
    copied: 'time, device_key, metric_id, value',
    indexes: [] as string[],
    segmentBy: 'device_key, metric_id',
  },
  {
    table: 'device_events',
    columns: `time timestamptz NOT NULL, device_key integer NOT NULL, type text NOT NULL, confidence real,
              snapshot_url text, attributes jsonb NOT NULL DEFAULT '{}', PRIMARY KEY (device_key, type, time)`,
    copied: 'time, device_key, type, confidence, snapshot_url, attributes',
    indexes: ['CREATE INDEX device_events_time_idx ON device_events (time DESC)'],
    segmentBy: 'device_key',
  },
];

/**
 * A reading as stored: most readings are decimals of at most three places (as the stations report
 * them), which TimescaleDB compresses as integers (delta of delta) in about a quarter of the room
 * its float compression takes. A reading that is exactly n / 1000 is kept as n in `value_milli`,
 * any other in `value`; n / 1000 in floating point gives back the very same number.
 */
export const READING = 'COALESCE(value, value_milli::float8 / 1000)';

const SPLIT_TRIGGER = [
  `CREATE OR REPLACE FUNCTION telemetry_split_reading() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF abs(NEW.value) < 1e12 AND round(NEW.value * 1000) / 1000 = NEW.value THEN
       NEW.value_milli := round(NEW.value * 1000);
       NEW.value := NULL;
     END IF;
     RETURN NEW;
   END $$`,
  `CREATE OR REPLACE TRIGGER telemetry_split_reading BEFORE INSERT ON telemetry
     FOR EACH ROW EXECUTE FUNCTION telemetry_split_reading()`,
];
const READINGS_VIEW = `CREATE OR REPLACE VIEW telemetry_values AS SELECT device_key, metric_id, time, ${READING} AS value FROM telemetry`;

/**
 * Same columns as the plain hourly rollup, so history queries do not know which they read. Made
 * from the raw rows: a 1-minute aggregate under it took more room than the samples it summed (38
 * bytes a sample compressed, against 8 for a compressed raw sample, at one reading a minute).
 */
const HOURLY = {
  view: 'telemetry_1h',
  endOffsetMs: HOUR,
  scheduleMs: 15 * 60_000,
  select: `SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, device_key, metric_id,
                  min(${READING}) AS min, max(${READING}) AS max, sum(${READING}) AS sum, count(*) AS count,
                  last(${READING}, time) AS last, max(time) AS last_time
             FROM telemetry GROUP BY 1, 2, 3`,
};

const ROLLUP_COLUMNS = 'bucket, device_key, metric_id, min, max, sum, count, last, last_time';

/**
 * The plain layout's `telemetry_1m` (migration 0006), left empty: history reads every minute from
 * the raw rows here (`minute_rollup_above` NULL, migration 0016), and its shared SQL still names it.
 */
const EMPTY_MINUTES = `CREATE TABLE telemetry_1m (
  bucket timestamptz NOT NULL, device_key integer NOT NULL, metric_id smallint NOT NULL,
  min double precision NOT NULL, max double precision NOT NULL, sum double precision NOT NULL,
  count bigint NOT NULL, last double precision NOT NULL, last_time timestamptz NOT NULL,
  PRIMARY KEY (device_key, metric_id, bucket))`;

/** Where the hours of an hourly rollup being rebuilt wait until the new aggregate has them. */
const PREVIOUS_HOURS = 'telemetry_1h_previous';

/**
 * The areas of each device as rows: an aggregate may join a regular table, not unnest an array.
 * Kept equal to `devices.area_ids` by a trigger; made and filled in one transaction.
 */
const DEVICE_AREAS = [
  `CREATE TABLE device_areas (device_key integer NOT NULL, area_id text NOT NULL, PRIMARY KEY (area_id, device_key))`,
  `CREATE INDEX device_areas_device_idx ON device_areas (device_key)`,
  `CREATE OR REPLACE FUNCTION device_areas_follow() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'UPDATE' AND OLD.area_ids = NEW.area_ids THEN RETURN NULL; END IF;
     IF TG_OP <> 'INSERT' THEN DELETE FROM device_areas WHERE device_key = OLD.key; END IF;
     IF TG_OP <> 'DELETE' THEN
       INSERT INTO device_areas (device_key, area_id) SELECT NEW.key, a FROM unnest(NEW.area_ids) AS a ON CONFLICT DO NOTHING;
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER device_areas_follow AFTER INSERT OR UPDATE OF area_ids OR DELETE ON devices
     FOR EACH ROW EXECUTE FUNCTION device_areas_follow()`,
  `INSERT INTO device_areas (device_key, area_id)
   SELECT DISTINCT d.key, a.area_id FROM devices d CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)`,
];

/**
 * The plain `telemetry_area_1h`'s columns, as an aggregate of the hourly one over the areas'
 * devices: an hour counts in the areas its devices were in when it was materialized, as on plain
 * PostgreSQL (real-time hours: the areas of now). A device's hourly row is one device, so
 * `devices` is the count of rows. Materialized an hour behind the hourly aggregate, so its
 * refresh finds the hours there.
 */
const AREA = {
  view: 'telemetry_area_1h',
  select: `SELECT time_bucket(INTERVAL '1 hour', h.bucket) AS bucket, a.area_id, h.metric_id,
                  min(h.min) AS min, max(h.max) AS max, sum(h.sum) AS sum, sum(h.count)::bigint AS count, count(*)::int AS devices
             FROM ${HOURLY.view} h JOIN device_areas a ON a.device_key = h.device_key
            GROUP BY 1, 2, 3`,
  // Reads ask for one area and metric over a range: one index instead of one per grouped column.
  index: `CREATE INDEX telemetry_area_1h_area_idx ON telemetry_area_1h (area_id, metric_id, bucket)`,
  lagMs: HOUR,
};

export async function applyTimescaleLayout(pool: Pool, settings: StorageSettings, log: (line: string) => void): Promise<void> {
  for (const h of HYPERTABLES) {
    if ((await relkind(pool, h.table)) === 'p') {
      await rebuildAsHypertable(pool, h, settings.partitionIntervalMs);
      log(`${h.table}: partitioned table rebuilt as a hypertable`);
    }
    await followChunkInterval(pool, h.table, settings.partitionIntervalMs, log);
  }
  await ensureSplitReadings(pool, log);

  // The plain layout's hourly table gives way to a real-time continuous aggregate: reads add no
  // raw rows of their own, and nothing is recorded for a refresher (migration 0010). Minutes all
  // come from the raw rows (migration 0016).
  await pool.query(`UPDATE telemetry_rollup_state SET threshold = 'infinity', materialized = 'infinity', minute_rollup_above = NULL`);
  await ensureDeviceAreas(pool, log);
  await ensureHourlyAggregate(pool, log);
  const refresh = refreshWindow(settings);
  await ensureRefreshPolicy(pool, HOURLY.view, refresh, HOURLY.scheduleMs);
  await finishHourlyRebuild(pool, log);
  await emptyMinuteRollup(pool, log);
  const areaRefresh = { startMs: refresh.startMs + AREA.lagMs, endMs: refresh.endMs + AREA.lagMs };
  await ensureAreaAggregate(pool, areaRefresh.endMs, log);
  await ensureRefreshPolicy(pool, AREA.view, areaRefresh, HOURLY.scheduleMs);

  // Chunks are compressed a few days in, inside the late-sample window: a late sample is written
  // into its compressed chunk (TimescaleDB keeps it beside the compressed rows, and the policy
  // compresses it at its next run), and a redelivered one is still found and skipped.
  const compressAfter = interval(settings.compressAfterDays * DAY);
  for (const h of HYPERTABLES) {
    const { rows } = await pool.query<{ enabled: boolean }>(
      `SELECT compression_enabled AS enabled FROM timescaledb_information.hypertables
        WHERE hypertable_schema = 'public' AND hypertable_name = $1`,
      [h.table],
    );
    if (!rows[0]?.enabled) {
      await pool.query(
        `ALTER TABLE ${h.table} SET (timescaledb.compress, timescaledb.compress_segmentby = '${h.segmentBy}',
                                     timescaledb.compress_orderby = 'time DESC')`,
      );
    }
    await ensurePolicy(pool, 'policy_compression', h.table, {
      add: [`SELECT add_compression_policy($1::regclass, compress_after => $2::interval)`, [h.table, compressAfter]],
      config: { compress_after: compressAfter },
    });
  }
  // An aggregate's chunk is compressed a day after its refresh window has passed it, so no
  // refresh rewrites a compressed chunk.
  await compressAggregate(pool, HOURLY.view, 'device_key, metric_id', refresh.startMs + DAY);
  await compressAggregate(pool, AREA.view, 'area_id, metric_id', areaRefresh.startMs + DAY);

  // The hourly aggregate outlives the raw rows.
  for (const { table: relation } of HYPERTABLES) {
    if (settings.retentionDays === 0) {
      await pool.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [relation]);
      continue;
    }
    const dropAfter = interval(settings.retentionDays * DAY);
    await ensurePolicy(pool, 'policy_retention', relation, {
      add: ['SELECT add_retention_policy($1::regclass, drop_after => $2::interval)', [relation, dropAfter]],
      config: { drop_after: dropAfter },
    });
  }
}

async function compressAggregate(pool: Pool, view: string, segmentBy: string, afterMs: number): Promise<void> {
  const { rows } = await pool.query<{ enabled: boolean }>(
    `SELECT compression_enabled AS enabled FROM timescaledb_information.continuous_aggregates
      WHERE view_schema = 'public' AND view_name = $1`,
    [view],
  );
  if (!rows[0].enabled) {
    await pool.query(
      `ALTER MATERIALIZED VIEW ${view} SET (timescaledb.compress = true,
         timescaledb.compress_segmentby = '${segmentBy}', timescaledb.compress_orderby = 'bucket DESC')`,
    );
  }
  const after = interval(afterMs);
  await ensurePolicy(pool, 'policy_compression', view, {
    add: [`SELECT add_compression_policy($1::regclass, compress_after => $2::interval)`, [view, after]],
    config: { compress_after: after },
  });
}

/**
 * The refresh window reaches back as far as late samples are accepted, and stays inside the
 * retention (the configuration checks it), so dropping raw chunks never empties old buckets.
 */
function refreshWindow(settings: StorageSettings): { startMs: number; endMs: number } {
  return { startMs: settings.lateWindowMs + 3 * HOURLY.endOffsetMs, endMs: HOURLY.endOffsetMs };
}

async function relkind(db: Pool | PoolClient, relation: string): Promise<string | null> {
  const { rows } = await db.query<{ relkind: string }>(
    `SELECT relkind FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace`,
    [relation],
  );
  return rows[0]?.relkind ?? null;
}

/** A changed interval applies from the next chunk on; the chunks made so far keep theirs. */
async function followChunkInterval(pool: Pool, table: string, ms: number, log: (line: string) => void): Promise<void> {
  const { rows } = await pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM time_interval)::float8 * 1000 AS ms FROM timescaledb_information.dimensions
      WHERE hypertable_schema = 'public' AND hypertable_name = $1 AND column_name = 'time'`,
    [table],
  );
  if (rows[0].ms === ms) return;
  await pool.query('SELECT set_chunk_time_interval($1::regclass, $2::interval)', [table, interval(ms)]);
  log(`${table}: new chunks span ${ms / 3_600_000} h (were ${rows[0].ms / 3_600_000} h)`);
}

/**
 * Makes the hourly rollup a continuous aggregate of the raw rows, in place of the plain layout's
 * table or of the aggregate an earlier release made on a 1-minute one. The hours the table or old
 * aggregate held are kept aside (they outlive the raw rows' retention) until finishHourlyRebuild
 * has the new aggregate.
 */
async function ensureHourlyAggregate(pool: Pool, log: (line: string) => void): Promise<void> {
  const kind = await relkind(pool, HOURLY.view);
  if (kind === 'v' && (await hourlyCurrent(pool))) return;
  const client = await pool.connect();
  try {
    await inTransaction(client, async () => {
      await dropAreaRollup(client);
      if (kind === 'v') {
        await client.query(`CREATE TABLE ${PREVIOUS_HOURS} AS SELECT ${ROLLUP_COLUMNS} FROM ${HOURLY.view}`);
        await client.query(`DROP MATERIALIZED VIEW ${HOURLY.view}`);
      } else if (kind !== null) {
        await client.query(`ALTER TABLE ${HOURLY.view} RENAME TO ${PREVIOUS_HOURS}`);
      }
      // Real-time: hours not yet materialized are computed from the raw rows at query time, so
      // reads answer the same from the moment this commits.
      await client.query(
        `CREATE MATERIALIZED VIEW ${HOURLY.view} WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
         ${HOURLY.select} WITH NO DATA`,
      );
      await createAreaAggregate(client);
    });
  } finally {
    client.release();
  }
  log(`${HOURLY.view}: continuous aggregate of the raw rows ${kind === 'v' ? 'rebuilt' : 'created'}`);
}

/**
 * Whether the hourly aggregate is this release's: on the raw rows (an earlier release made it on
 * the 1-minute one) and reading both columns of a reading (one before stored floats only).
 */
async function hourlyCurrent(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ source: string; definition: string }>(
    `SELECT hypertable_name AS source, view_definition AS definition FROM timescaledb_information.continuous_aggregates
      WHERE view_schema = 'public' AND view_name = $1`,
    [HOURLY.view],
  );
  return rows[0].source === 'telemetry' && rows[0].definition.includes('value_milli');
}

/** Readings split as READING says, on a table converted now or by an earlier release. */
async function ensureSplitReadings(pool: Pool, log: (line: string) => void): Promise<void> {
  const { rows } = await pool.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'telemetry' AND column_name = 'value_milli'`,
  );
  if (rows.length === 0) {
    await pool.query('ALTER TABLE telemetry ADD COLUMN value_milli bigint');
    await pool.query('ALTER TABLE telemetry ALTER COLUMN value DROP NOT NULL');
    log('telemetry: readings of at most three decimals are stored as integers from now on');
  }
  for (const statement of [...SPLIT_TRIGGER, READINGS_VIEW]) await pool.query(statement);
}

/**
 * Makes the area rollup an aggregate of the hourly one, in place of the plain layout's table or an
 * earlier release's view, and fills it when it has nothing materialized: new, or left so by a
 * crash before its first refresh. It then ends where its refresh policy does.
 */
async function ensureAreaAggregate(pool: Pool, endOffsetMs: number, log: (line: string) => void): Promise<void> {
  if (!(await isAggregate(pool, AREA.view))) {
    const client = await pool.connect();
    try {
      await inTransaction(client, async () => {
        await dropAreaRollup(client);
        await createAreaAggregate(client);
      });
    } finally {
      client.release();
    }
    log(`${AREA.view}: continuous aggregate of ${HOURLY.view} created`);
  }
  const target = await materialization(pool, AREA.view);
  if ((await pool.query(`SELECT 1 FROM ${target} LIMIT 1`)).rowCount) return;
  const end = new Date(Date.now() - endOffsetMs).toISOString();
  await pool.query(`CALL refresh_continuous_aggregate('${AREA.view}', NULL, '${end}')`);
  if ((await pool.query(`SELECT 1 FROM ${target} LIMIT 1`)).rowCount) log(`${AREA.view}: refreshed from ${HOURLY.view}`);
}

/** Drops the area rollup whatever it is: the plain layout's table, a view, or the aggregate. */
async function dropAreaRollup(client: PoolClient): Promise<void> {
  if (await isAggregate(client, AREA.view)) await client.query(`DROP MATERIALIZED VIEW ${AREA.view}`);
  else if ((await relkind(client, AREA.view)) === 'v') await client.query(`DROP VIEW ${AREA.view}`);
  else await client.query(`DROP TABLE IF EXISTS ${AREA.view}`);
}

/** Real-time, so reads answer the same from the moment this commits. */
async function createAreaAggregate(client: PoolClient): Promise<void> {
  await client.query(
    `CREATE MATERIALIZED VIEW ${AREA.view} WITH (timescaledb.continuous, timescaledb.materialized_only = false,
       timescaledb.create_group_indexes = false) AS ${AREA.select} WITH NO DATA`,
  );
  await client.query(AREA.index);
}

/** The areas of devices as rows (DEVICE_AREAS), made once. */
async function ensureDeviceAreas(pool: Pool, log: (line: string) => void): Promise<void> {
  if ((await relkind(pool, 'device_areas')) !== null) return;
  const client = await pool.connect();
  try {
    await inTransaction(client, async () => {
      for (const statement of DEVICE_AREAS) await client.query(statement);
    });
  } finally {
    client.release();
  }
  log('device_areas: filled from devices.area_ids, kept equal to them by a trigger');
}

async function isAggregate(db: Pool | PoolClient, view: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'public' AND view_name = $1`,
    [view],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Fills a new hourly aggregate: from the raw rows from the hour of the first one on, and before it
 * (rows dropped by retention) with the hours kept aside. Chunks, like the plain layout's
 * partitions, span whole hours and are dropped whole, so that first hour is whole in the raw rows.
 * Runs again at the next start if a crash stopped it: the kept hours go only once.
 */
async function finishHourlyRebuild(pool: Pool, log: (line: string) => void): Promise<void> {
  if ((await relkind(pool, PREVIOUS_HOURS)) === null) return;
  const target = await materialization(pool, HOURLY.view);
  const { rows } = await pool.query<{ cutoff: Date | null }>(
    `SELECT coalesce(
              (SELECT time_bucket(INTERVAL '1 hour', min(time)) FROM telemetry),
              (SELECT max(bucket) + INTERVAL '1 hour' FROM ${PREVIOUS_HOURS})) AS cutoff`,
  );
  const { cutoff } = rows[0];
  // CALL takes no parameters through the extended protocol: the time is ISO text made here.
  await pool.query(`CALL refresh_continuous_aggregate('${HOURLY.view}', ${cutoff ? `'${cutoff.toISOString()}'` : 'NULL'}, NULL)`);
  const client = await pool.connect();
  try {
    const kept = await inTransaction(client, async () => {
      // Below the aggregate's invalidation threshold and over no raw row: no refresh replaces these.
      const { rowCount } = await client.query(
        `INSERT INTO ${target} (${ROLLUP_COLUMNS}) SELECT ${ROLLUP_COLUMNS} FROM ${PREVIOUS_HOURS} WHERE bucket < $1`,
        [cutoff],
      );
      await client.query(`DROP TABLE ${PREVIOUS_HOURS}`);
      return rowCount ?? 0;
    });
    log(`${HOURLY.view}: refreshed from the raw rows, ${kept} hourly rows from before the first raw row kept`);
  } finally {
    client.release();
  }
}

/**
 * Drops the 1-minute aggregate of an earlier release, with its jobs, once the hourly one no longer
 * reads it, and empties the plain layout's minutes: TimescaleDB reads a device's minutes from its
 * compressed chunks (segmented by device and metric) in a few pages, and a 1-minute rollup is no
 * smaller than what it summarizes at one reading a minute.
 */
async function emptyMinuteRollup(pool: Pool, log: (line: string) => void): Promise<void> {
  if ((await relkind(pool, 'telemetry_1m')) === 'v') {
    const client = await pool.connect();
    try {
      await inTransaction(client, async () => {
        await client.query('DROP MATERIALIZED VIEW telemetry_1m');
        await client.query(EMPTY_MINUTES);
      });
    } finally {
      client.release();
    }
    log('telemetry_1m: continuous aggregate dropped, minutes are read from the raw rows');
  } else if ((await pool.query('SELECT 1 FROM telemetry_1m LIMIT 1')).rowCount) {
    await pool.query('TRUNCATE telemetry_1m');
    log('telemetry_1m: emptied, minutes are read from the raw rows');
  }
}

/** The qualified name of an aggregate's materialization hypertable. */
async function materialization(pool: Pool, view: string): Promise<string> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS name
       FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'public' AND view_name = $1`,
    [view],
  );
  return rows[0].name;
}

/** A continuous aggregate's refresh job, over `window` (offsets back from now), every `scheduleMs`. */
async function ensureRefreshPolicy(pool: Pool, view: string, window: { startMs: number; endMs: number }, scheduleMs: number): Promise<void> {
  await ensurePolicy(pool, 'policy_refresh_continuous_aggregate', view, {
    add: [
      `SELECT add_continuous_aggregate_policy($1::regclass, start_offset => $2::interval,
              end_offset => $3::interval, schedule_interval => $4::interval)`,
      [view, interval(window.startMs), interval(window.endMs), interval(scheduleMs)],
    ],
    config: { start_offset: interval(window.startMs), end_offset: interval(window.endMs) },
    schedule: interval(scheduleMs),
  });
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
async function rebuildAsHypertable(pool: Pool, h: (typeof HYPERTABLES)[number], chunkMs: number): Promise<void> {
  const client = await pool.connect();
  const old = `${h.table}_partitioned`;
  try {
    await inTransaction(client, async () => {
      // Made again over the new table (ensureSplitReadings).
      if (h.table === 'telemetry') await client.query('DROP VIEW IF EXISTS telemetry_values');
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
      if (h.table === 'telemetry') for (const statement of SPLIT_TRIGGER) await client.query(statement);
      for (const index of h.indexes) await client.query(index);
      await client.query(`SELECT create_hypertable($1::regclass, 'time', chunk_time_interval => $2::interval)`, [h.table, interval(chunkMs)]);
      await client.query(`INSERT INTO ${h.table} (${h.copied}) SELECT ${h.copied} FROM ${old}`);
      await client.query(`DROP TABLE ${old}`);
      if (h.table === 'telemetry') await unpackTelemetry(client);
    });
  } finally {
    client.release();
  }
}

/**
 * Plain PostgreSQL packs old telemetry (packer.ts); TimescaleDB compresses its chunks instead, so
 * a database moved to it has its packed samples written back as rows, then compressed by policy.
 */
async function unpackTelemetry(client: PoolClient): Promise<void> {
  await client.query(
    `INSERT INTO telemetry (time, device_key, metric_id, value)
     SELECT ${PACKED_TIME('p', 's')}, p.device_key, p.metric_id, ${PACKED_VALUE('p', 's')}
       FROM telemetry_packed p CROSS JOIN LATERAL ${UNNEST_PACKED('p', 's')}
     ON CONFLICT DO NOTHING`,
  );
  await client.query('DELETE FROM telemetry_packed');
  await client.query(`UPDATE telemetry_pack_state SET packed = '{}', minutes_to_drop = '{}'`);
}
