-- Discrete events from devices (camera analytics and the like). A redelivered event is a no-op.
CREATE TABLE device_events (
  time         timestamptz NOT NULL,
  device_key   integer NOT NULL,
  type         text NOT NULL,
  confidence   real,
  snapshot_url text,
  attributes   jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (device_key, type, time)
);
CREATE INDEX device_events_time_idx ON device_events (time DESC);
