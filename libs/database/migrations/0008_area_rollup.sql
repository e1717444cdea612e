-- Hourly rollup per area: what an area's history reads at 1h and 1d, one row per (area, metric,
-- hour) instead of one per device. Kept by the same trigger as the other rollups. With
-- TimescaleDB the server replaces it at start-up by a view of the same name and columns over the
-- continuous aggregate telemetry_1h (libs/storage, timescale-layout.ts).
--
-- The area of a sample is the device's area(s) when the sample is stored: a device moved to
-- another area keeps its past hours in the old one. The backfill below can only use the areas
-- devices are in now.

-- `devices`: how many distinct devices have samples in the area, metric and hour. Kept beyond the
-- retention of raw data, as telemetry_1h is.
CREATE TABLE telemetry_area_1h (
  bucket    timestamptz NOT NULL,
  area_id   text NOT NULL,
  metric_id smallint NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  sum       double precision NOT NULL,
  count     bigint NOT NULL,
  devices   integer NOT NULL,
  PRIMARY KEY (area_id, metric_id, bucket)
);

INSERT INTO telemetry_area_1h (bucket, area_id, metric_id, min, max, sum, count, devices)
SELECT h.bucket, a.area_id, h.metric_id, min(h.min), max(h.max), sum(h.sum), sum(h.count), count(*)
  FROM telemetry_1h h
  JOIN devices d ON d.key = h.device_key
 CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
 GROUP BY 1, 2, 3;

-- As in 0006, plus the area rollup. The inserted rows are grouped by (device, metric, hour) once;
-- the hourly upsert returns which of its rows are new (xmax = 0: inserted, not updated), and a
-- new (device, metric, hour) is one more device in that device's areas for the hour. All
-- upserts go in key order, and the area upsert sorts its input, so every writer has taken its
-- telemetry_1h rows before it takes any area row: concurrent writers cannot deadlock.
CREATE OR REPLACE FUNCTION telemetry_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
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

  WITH hours AS (
    SELECT date_bin('1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, device_key, metric_id,
           min(value) AS min, max(value) AS max, sum(value) AS sum, count(*) AS count,
           (max(ARRAY[extract(epoch FROM time)::float8, value]))[2] AS last, max(time) AS last_time
      FROM inserted GROUP BY 1, device_key, metric_id
  ), upserted AS (
    INSERT INTO telemetry_1h AS r (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
    SELECT bucket, device_key, metric_id, min, max, sum, count, last, last_time
      FROM hours ORDER BY device_key, metric_id, bucket
    ON CONFLICT (device_key, metric_id, bucket) DO UPDATE
      SET min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
          sum = r.sum + excluded.sum, count = r.count + excluded.count,
          last = CASE WHEN excluded.last_time >= r.last_time THEN excluded.last ELSE r.last END,
          last_time = greatest(r.last_time, excluded.last_time)
    RETURNING r.device_key, r.metric_id, r.bucket, (r.xmax = 0) AS fresh
  )
  INSERT INTO telemetry_area_1h AS r (bucket, area_id, metric_id, min, max, sum, count, devices)
  SELECT h.bucket, a.area_id, h.metric_id, min(h.min), max(h.max), sum(h.sum), sum(h.count)::bigint,
         (count(*) FILTER (WHERE u.fresh))::int
    FROM hours h
    JOIN upserted u ON u.device_key = h.device_key AND u.metric_id = h.metric_id AND u.bucket = h.bucket
    JOIN devices d ON d.key = h.device_key
   CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
   GROUP BY a.area_id, h.metric_id, h.bucket ORDER BY a.area_id, h.metric_id, h.bucket
  ON CONFLICT (area_id, metric_id, bucket) DO UPDATE
    SET min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
        sum = r.sum + excluded.sum, count = r.count + excluded.count, devices = r.devices + excluded.devices;
  RETURN NULL;
END
$$;
