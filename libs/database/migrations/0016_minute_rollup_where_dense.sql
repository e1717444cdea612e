-- The 1-minute rollup is kept only where it is smaller than the samples it summarizes. At one
-- reading a minute a 1-minute row holds one sample and costs more than the raw row, so for each
-- (device, metric, hour) the minutes are materialized only when the hour holds more than
-- `minute_rollup_above` samples (two a minute on average); the minutes of the other hours are read
-- from the raw rows, at most that many per hour. History reads tell the two apart by the hour's
-- count in telemetry_1h. NULL: no 1-minute rollup at all, every minute is read from the raw rows
-- (TimescaleDB, whose compressed chunks read a device's samples in a few pages).
ALTER TABLE telemetry_rollup_state ADD COLUMN minute_rollup_above bigint;
UPDATE telemetry_rollup_state SET minute_rollup_above = 120;

DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'telemetry'::regclass) = 'p' THEN
    -- Sparse hours lose their minutes; an hour still being materialized is counted so far, as
    -- the refresher counts it.
    DELETE FROM telemetry_1m m
     USING telemetry_1h h
     WHERE h.device_key = m.device_key AND h.metric_id = m.metric_id
       AND h.bucket = date_bin('1 hour', m.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')
       AND h.count <= 120;
    -- The value in the primary key's index: a device's samples of a metric are read from its
    -- leaf pages in time order (an index-only scan), not from heap pages shared with every other
    -- device written in the same seconds.
    ALTER TABLE telemetry DROP CONSTRAINT telemetry_pkey;
    ALTER TABLE telemetry ADD PRIMARY KEY (device_key, metric_id, time) INCLUDE (value);
  END IF;
END
$$;
