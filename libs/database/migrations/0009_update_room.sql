-- Rows that every write batch updates (rollup buckets, newest values, devices' last-seen time)
-- get room on their page, so an update can stay on it (a HOT update): no new index entries and
-- less to vacuum. Existing pages keep their fill; new ones follow the setting.
-- Tables only: on TimescaleDB the rollups are continuous aggregates by now.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
              AND c.relname IN ('telemetry_1h', 'telemetry_area_1h', 'telemetry_latest', 'devices') LOOP
    EXECUTE format('ALTER TABLE %I SET (fillfactor = 70)', t.relname);
  END LOOP;
END
$$;

-- A partitioned table has no storage settings of its own: they are set on its partitions, and a
-- new partition takes those of its table's default partition.
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN SELECT name FROM storage_partitions('telemetry_1m') LOOP
    EXECUTE format('ALTER TABLE %I SET (fillfactor = 70)', p.name);
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION storage_create_partition(parent regclass, key text, name text, lower timestamptz, upper timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  fallback text := parent::text || '_default';
  lo text := to_char(lower AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00';
  hi text := to_char(upper AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00';
  fill text := coalesce(
    (SELECT o.option_value FROM pg_class c, pg_options_to_table(c.reloptions) o
      WHERE c.oid = fallback::regclass AND o.option_name = 'fillfactor'),
    '100');
BEGIN
  EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = %s)',
                 name, parent, fill::int);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 fallback, key, lo, key, hi, name);
  -- The check lets the attach skip its validating scan of the new table.
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I >= %L AND %I < %L)', name, name || '_range', key, lo, key, hi);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name, lo, hi);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name, name || '_range');
END
$$;
