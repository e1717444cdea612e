-- Plain PostgreSQL: the rollups leave the write path. A writer inserts raw rows only; the server
-- materializes the 1-minute, hourly and area rollups in the background (libs/storage,
-- rollup-refresher.ts), as TimescaleDB's continuous aggregates do:
--  * samples before `materialized` are in the rollups; history reads take later ones from the raw
--    rows, so a read never waits for the refresher;
--  * a sample stored with a time before `threshold` (a late one) is recorded by the trigger below
--    in telemetry_rollup_invalidations, and the refresher recomputes its minutes, hours and area
--    hours from the raw rows;
--  * the refresher raises `threshold` first, takes a snapshot after that commit, and materializes
--    up to the new threshold only once every transaction of that snapshot has ended: a writer
--    either saw the new threshold (and recorded its late rows) or had committed before the rows
--    are read.
-- With TimescaleDB the rollups are real-time continuous aggregates, and the server sets both
-- times to 'infinity' (nothing to add from raw rows, nothing to record).

DROP TRIGGER IF EXISTS telemetry_rollup ON telemetry;
DROP FUNCTION IF EXISTS telemetry_rollup();

CREATE TABLE telemetry_rollup_state (
  id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
  threshold          timestamptz NOT NULL,
  materialized       timestamptz NOT NULL,
  -- Taken after `threshold` last moved; `snapshot_of` is the threshold it was taken for.
  threshold_snapshot pg_snapshot,
  snapshot_of        timestamptz
);
-- Where samples exist, the trigger kept their rollups until now, the current minute included:
-- start after that minute, so its samples still to come are recomputed (replaced), never added a
-- second time. An empty database starts at the current minute, and records nothing as late.
INSERT INTO telemetry_rollup_state (threshold, materialized)
SELECT b, b
  FROM (SELECT date_bin('1 minute', now(), TIMESTAMPTZ '2000-01-01 00:00:00+00')
               + CASE WHEN EXISTS (SELECT 1 FROM telemetry) THEN INTERVAL '1 minute' ELSE INTERVAL '0' END) AS s(b);

-- One row per device and write statement that stored samples older than the threshold.
-- `upper` is the time of the newest such sample (inclusive).
CREATE TABLE telemetry_rollup_invalidations (
  device_key integer NOT NULL,
  lower      timestamptz NOT NULL,
  upper      timestamptz NOT NULL
);

-- `inserted` holds only the rows the statement really inserted: a redelivered sample skipped by
-- ON CONFLICT DO NOTHING invalidates nothing. In the usual case no row is older than the
-- threshold and the statement costs one pass over the transition table.
CREATE FUNCTION telemetry_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO telemetry_rollup_invalidations (device_key, lower, upper)
  SELECT device_key, min(time), max(time)
    FROM inserted
   WHERE time < (SELECT threshold FROM telemetry_rollup_state)
   GROUP BY device_key;
  RETURN NULL;
END
$$;

-- The plain layout only: a hypertable takes no transition tables, and keeps its own time index.
-- The BRIN index lets the refresher read the newest minutes in page order without a time-first
-- B-tree the size of the table; rows arrive nearly in time order, so its ranges stay narrow.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'telemetry'::regclass) = 'p' THEN
    CREATE TRIGGER telemetry_invalidate AFTER INSERT ON telemetry
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION telemetry_invalidate();
    CREATE INDEX telemetry_time_brin ON telemetry USING brin (time) WITH (pages_per_range = 32, autosummarize = on);
  END IF;
END
$$;
