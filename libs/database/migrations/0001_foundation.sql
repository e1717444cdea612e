-- Places: a tree of named polygons (province, district, ward/commune, operator zones).
CREATE TABLE areas (
  id         text PRIMARY KEY,
  parent_id  text REFERENCES areas (id) ON DELETE SET NULL,
  name       text NOT NULL,
  level      text NOT NULL CHECK (level IN ('province', 'district', 'commune', 'ward', 'zone')),
  geometry   jsonb NOT NULL,
  version    integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The device registry. `key` is the compact id that telemetry rows carry.
CREATE TABLE devices (
  id         text PRIMARY KEY,
  key        integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  kind       text NOT NULL,
  name       text NOT NULL,
  lat        double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng        double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  area_ids   text[] NOT NULL DEFAULT '{}',
  metadata   jsonb NOT NULL DEFAULT '{}',
  status     text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline')),
  last_seen  timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_area_ids_idx ON devices USING gin (area_ids);

CREATE TABLE metrics (
  id   smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE
);

-- Narrow samples. Rows outlive a deleted device: history is evidence.
-- The primary key makes a redelivered QoS 1 message a no-op.
CREATE TABLE telemetry (
  time       timestamptz NOT NULL,
  device_key integer NOT NULL,
  metric_id  smallint NOT NULL,
  value      double precision NOT NULL,
  PRIMARY KEY (device_key, metric_id, time)
);

-- Newest value per (device, metric), kept by the writer so the map never scans history.
CREATE TABLE telemetry_latest (
  device_key integer NOT NULL,
  metric_id  smallint NOT NULL,
  time       timestamptz NOT NULL,
  value      double precision NOT NULL,
  PRIMARY KEY (device_key, metric_id)
);

CREATE TABLE dead_letters (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  topic       text NOT NULL,
  device_id   text,
  reason      text NOT NULL,
  message     text NOT NULL,
  payload     text NOT NULL
);
CREATE INDEX dead_letters_received_at_idx ON dead_letters (received_at DESC);

CREATE TABLE rules (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('threshold')),
  metric      text NOT NULL,
  operator    text NOT NULL CHECK (operator IN ('>', '>=', '<', '<=')),
  threshold   double precision NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
  device_kind text,
  device_id   text,
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id     integer REFERENCES rules (id) ON DELETE SET NULL,
  rule_name   text NOT NULL,
  severity    text NOT NULL,
  device_id   text NOT NULL,
  metric      text NOT NULL,
  operator    text NOT NULL,
  threshold   double precision NOT NULL,
  value       double precision NOT NULL,
  state       text NOT NULL CHECK (state IN ('open', 'resolved')),
  opened_at   timestamptz NOT NULL,
  resolved_at timestamptz
);
-- At most one open alert per (rule, device).
CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (rule_id, device_id) WHERE state = 'open';
CREATE INDEX alerts_opened_at_idx ON alerts (opened_at DESC);
