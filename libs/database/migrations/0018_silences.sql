-- Maintenance windows: alerts of what a silence matches (every column set must match) are recorded
-- but open no incident. Ending one early moves its end to that moment and says who.
CREATE TABLE silences (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id    integer REFERENCES rules (id),
  device_id  text,
  area_id    text,
  reason     text NOT NULL,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_by   text,
  CHECK (ends_at >= starts_at),
  CHECK (rule_id IS NOT NULL OR device_id IS NOT NULL OR area_id IS NOT NULL)
);
CREATE INDEX silences_ends_at_idx ON silences (ends_at DESC);

-- What held an alert back from opening an incident: a silence, or an offline gateway (or the
-- device itself for its no-data alerts). Released when that ends while the alert still fires.
ALTER TABLE alerts
  ADD COLUMN silence_id   bigint REFERENCES silences (id),
  ADD COLUMN inhibited_by text;
CREATE INDEX alerts_held_idx ON alerts (silence_id, inhibited_by) WHERE state = 'open';
