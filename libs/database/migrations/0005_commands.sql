-- Commands sent down to devices (speakers, street lights...) and how each ended.
CREATE TABLE commands (
  id           uuid PRIMARY KEY,
  device_id    text NOT NULL,
  name         text NOT NULL,
  params       jsonb NOT NULL DEFAULT '{}',
  state        text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'timed_out')),
  requested_by text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  answered_at  timestamptz,
  message      text
);
CREATE INDEX commands_device_idx ON commands (device_id, created_at DESC);
CREATE INDEX commands_pending_idx ON commands (expires_at) WHERE state = 'pending';
