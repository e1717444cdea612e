-- Plain PostgreSQL: telemetry partitions that no sample can still arrive into are packed into one
-- row per (device, metric, hour), and the raw partition and its 1-minute rollup are dropped
-- (libs/storage, packer.ts). A raw row with its index costs about 100 bytes a sample; a packed
-- hour of minute samples about 10. History reads take packed rows where the raw rows and the
-- 1-minute rollup are gone; the hourly rollups stay. TimescaleDB compresses chunks instead and
-- leaves these tables empty.

-- Per sample, in time order: milliseconds since the hour, and the microseconds beyond them (NULL
-- when every sample is on a whole millisecond). Values are integers of `decimals` decimal places
-- where every value of the row reads back bit for bit (value = scaled / 10^decimals), otherwise
-- the doubles themselves (`exact`); one of the two arrays is set.
CREATE TABLE telemetry_packed (
  device_key integer NOT NULL,
  metric_id  smallint NOT NULL,
  hour       timestamptz NOT NULL,
  decimals   smallint,
  ms         integer[] NOT NULL,
  us         smallint[],
  scaled     integer[],
  exact      double precision[],
  PRIMARY KEY (device_key, metric_id, hour)
);

-- `packed`: the time ranges whose samples are in telemetry_packed. `minutes_to_drop`: those whose
-- 1-minute rollup rows may still exist (dropped in a transaction after the packing, so that no
-- transaction holds two tables' exclusive locks); reads ignore 1-minute rows in packed ranges.
CREATE TABLE telemetry_pack_state (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  packed          tstzmultirange NOT NULL DEFAULT '{}',
  minutes_to_drop tstzmultirange NOT NULL DEFAULT '{}'
);
INSERT INTO telemetry_pack_state DEFAULT VALUES;

-- One definition of a packed value, for the packer's check and for every read.
CREATE FUNCTION telemetry_unpack_value(scaled integer, decimals smallint, exact double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(exact, scaled / 10::float8 ^ decimals)
$$;

-- Whether `v` stored with `k` decimal places reads back bit for bit (-0, NaN and huge values do not).
CREATE FUNCTION telemetry_fits_decimals(v double precision, k integer)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN abs(v) * 10::float8 ^ k < 2e9
              THEN float8send(telemetry_unpack_value(round(v * 10::float8 ^ k)::integer, k::smallint, NULL)) = float8send(v)
              ELSE false END
$$;
