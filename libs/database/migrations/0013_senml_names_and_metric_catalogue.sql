-- SenML names (RFC 8428 bn + n) a device's records carry, e.g. urn:dev:ow:10e2073a01080063. The
-- array is what the registry reads; the side table, kept by a trigger, makes each name unique
-- across devices (a clash raises unique_violation on device_senml_names_pkey).
ALTER TABLE devices ADD COLUMN senml_names text[] NOT NULL DEFAULT '{}';

CREATE TABLE device_senml_names (
  name      text PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE
);

CREATE FUNCTION devices_sync_senml_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM device_senml_names WHERE device_id = NEW.id;
  INSERT INTO device_senml_names (name, device_id) SELECT unnest(NEW.senml_names), NEW.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER devices_senml_names AFTER INSERT OR UPDATE OF senml_names ON devices
  FOR EACH ROW EXECUTE FUNCTION devices_sync_senml_names();

-- The metric catalogue becomes data: the built-in metrics are seeded (and their units kept) by the
-- server at start; an administrator adds others. `kinds`: the device kinds that may send it.
ALTER TABLE metrics
  ADD COLUMN unit      text,
  ADD COLUMN precision smallint,
  ADD COLUMN kinds     text[] NOT NULL DEFAULT '{}',
  ADD COLUMN built_in  boolean NOT NULL DEFAULT false;
