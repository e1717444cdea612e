-- Small tables whose rows every write batch updates (hourly and area rollups, newest values,
-- devices' last-seen time) get room on their pages, so an update can stay on its page (a HOT
-- update): no new index entries and less to vacuum. The 1-minute rollup keeps full pages: its
-- rows are updated only within their minute, and it is as large as the raw data. Tables only: on
-- TimescaleDB the rollups are continuous aggregates by now.
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
