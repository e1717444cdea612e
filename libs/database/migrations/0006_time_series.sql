-- Time-series layout of plain PostgreSQL: telemetry, its 1-minute rollup and device events are
-- range-partitioned by time, and two rollups are kept current by a trigger. The server creates
-- partitions ahead of time and drops old ones (libs/storage). With TimescaleDB the server turns
-- this layout into hypertables and continuous aggregates of the same names at start-up.

-- Rows that fall outside every partition land in the DEFAULT partition, so a write never fails
-- for want of a partition; the server moves them into their own partition later.

ALTER TABLE telemetry RENAME TO telemetry_unpartitioned;
ALTER INDEX telemetry_pkey RENAME TO telemetry_unpartitioned_pkey;
CREATE TABLE telemetry (
  time       timestamptz NOT NULL,
  device_key integer NOT NULL,
  metric_id  smallint NOT NULL,
  value      double precision NOT NULL,
  PRIMARY KEY (device_key, metric_id, time)
) PARTITION BY RANGE (time);
CREATE TABLE telemetry_default PARTITION OF telemetry DEFAULT;

-- Rollups: per (device, metric, bucket) the minimum, maximum, sum, count and the newest value.
-- The average is sum / count, so buckets of a rollup can be combined into longer ones exactly.
CREATE TABLE telemetry_1m (
  bucket     timestamptz NOT NULL,
  device_key integer NOT NULL,
  metric_id  smallint NOT NULL,
  min        double precision NOT NULL,
  max        double precision NOT NULL,
  sum        double precision NOT NULL,
  count      bigint NOT NULL,
  last       double precision NOT NULL,
  last_time  timestamptz NOT NULL,
  PRIMARY KEY (device_key, metric_id, bucket)
) PARTITION BY RANGE (bucket);
CREATE TABLE telemetry_1m_default PARTITION OF telemetry_1m DEFAULT;

-- Kept beyond the retention of raw data: hours of a year are a few rows per device and metric.
CREATE TABLE telemetry_1h (LIKE telemetry_1m, PRIMARY KEY (device_key, metric_id, bucket));

INSERT INTO telemetry (time, device_key, metric_id, value)
SELECT time, device_key, metric_id, value FROM telemetry_unpartitioned;
DROP TABLE telemetry_unpartitioned;

INSERT INTO telemetry_1m (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
SELECT date_bin('1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00'), device_key, metric_id,
       min(value), max(value), sum(value), count(*), (max(ARRAY[extract(epoch FROM time)::float8, value]))[2], max(time)
  FROM telemetry GROUP BY 1, 2, 3;
INSERT INTO telemetry_1h (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
SELECT date_bin('1 hour', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00'), device_key, metric_id,
       min(min), max(max), sum(sum), sum(count), (max(ARRAY[extract(epoch FROM last_time)::float8, last]))[2], max(last_time)
  FROM telemetry_1m GROUP BY 1, 2, 3;

-- Statement-level, with the rows the statement really inserted: a redelivered sample that
-- ON CONFLICT DO NOTHING skipped is not in `inserted`, so it is never counted twice. Groups are
-- upserted in key order so that concurrent writers lock rollup rows in the same order. The
-- newest value is the greatest (time, value) pair: no sort per group.
CREATE FUNCTION telemetry_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO telemetry_1m AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
  SELECT date_bin('1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b, device_key, metric_id,
         min(value), max(value), sum(value), count(*), (max(ARRAY[extract(epoch FROM time)::float8, value]))[2], max(time)
    FROM inserted GROUP BY device_key, metric_id, b ORDER BY device_key, metric_id, b
  ON CONFLICT (device_key, metric_id, bucket) DO UPDATE
    SET min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
        sum = r.sum + excluded.sum, count = r.count + excluded.count,
        last = CASE WHEN excluded.last_time >= r.last_time THEN excluded.last ELSE r.last END,
        last_time = greatest(r.last_time, excluded.last_time);
  INSERT INTO telemetry_1h AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
  SELECT date_bin('1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b, device_key, metric_id,
         min(value), max(value), sum(value), count(*), (max(ARRAY[extract(epoch FROM time)::float8, value]))[2], max(time)
    FROM inserted GROUP BY device_key, metric_id, b ORDER BY device_key, metric_id, b
  ON CONFLICT (device_key, metric_id, bucket) DO UPDATE
    SET min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
        sum = r.sum + excluded.sum, count = r.count + excluded.count,
        last = CASE WHEN excluded.last_time >= r.last_time THEN excluded.last ELSE r.last END,
        last_time = greatest(r.last_time, excluded.last_time);
  RETURN NULL;
END
$$;
CREATE TRIGGER telemetry_rollup AFTER INSERT ON telemetry
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION telemetry_rollup();

ALTER TABLE device_events RENAME TO device_events_unpartitioned;
ALTER INDEX device_events_pkey RENAME TO device_events_unpartitioned_pkey;
ALTER INDEX device_events_time_idx RENAME TO device_events_unpartitioned_time_idx;
CREATE TABLE device_events (
  time         timestamptz NOT NULL,
  device_key   integer NOT NULL,
  type         text NOT NULL,
  confidence   real,
  snapshot_url text,
  attributes   jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (device_key, type, time)
) PARTITION BY RANGE (time);
CREATE INDEX device_events_time_idx ON device_events (time DESC);
CREATE TABLE device_events_default PARTITION OF device_events DEFAULT;
INSERT INTO device_events SELECT time, device_key, type, confidence, snapshot_url, attributes FROM device_events_unpartitioned;
DROP TABLE device_events_unpartitioned;

-- The time range of each partition of a table (NULL bounds: the default partition).
CREATE FUNCTION storage_partitions(parent regclass)
RETURNS TABLE (name text, lower timestamptz, upper timestamptz) LANGUAGE sql STABLE AS $$
  SELECT c.relname::text, b[1]::timestamptz, b[2]::timestamptz
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    LEFT JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') AS b ON true
   WHERE i.inhparent = parent
$$;

-- A new partition [lower, upper) of `parent`, partitioned on `key`, taking over the rows its
-- default partition holds for that range. Built apart and attached, so writers to other ranges
-- wait only for the attach.
CREATE FUNCTION storage_create_partition(parent regclass, key text, name text, lower timestamptz, upper timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  fallback text := parent::text || '_default';
  lo text := to_char(lower AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00';
  hi text := to_char(upper AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00';
BEGIN
  EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name, parent);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 fallback, key, lo, key, hi, name);
  -- The check lets the attach skip its validating scan of the new table.
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I >= %L AND %I < %L)', name, name || '_range', key, lo, key, hi);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name, lo, hi);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name, name || '_range');
END
$$;
