-- Where a user is emailed of incidents; NULL: never. Not unique: a shift may share a mailbox.
ALTER TABLE users ADD COLUMN email text;

-- Who is told of what by email, as a supervisor chose: the changes, the incidents (an empty filter
-- array matches any value) and the people (users of these roles, users of these teams).
CREATE TABLE notification_routes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL,
  steps      text[] NOT NULL,
  severities text[] NOT NULL DEFAULT '{}',
  area_ids   text[] NOT NULL DEFAULT '{}',
  sources    text[] NOT NULL DEFAULT '{}',
  categories text[] NOT NULL DEFAULT '{}',
  roles      text[] NOT NULL DEFAULT '{}',
  team_ids   integer[] NOT NULL DEFAULT '{}',
  enabled    boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);

-- The email outbox: one row per (incident change, address), written in the transaction of the
-- change with the message as rendered then, and why it was sent (routes, or the dispatch and
-- escalation rules). Sent oldest first per (address, incident); a row being sent is leased by
-- moving next_attempt_at past the SMTP timeout, as webhook_deliveries are.
CREATE TABLE email_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id      bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  entry_id         bigint NOT NULL,
  step             text NOT NULL,
  user_id          integer REFERENCES users (id) ON DELETE SET NULL,
  address          text NOT NULL,
  route_ids        bigint[] NOT NULL DEFAULT '{}',
  rules            text[] NOT NULL DEFAULT '{}',
  subject          text NOT NULL,
  text_body        text NOT NULL,
  html_body        text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  -- The SMTP server's reply code of the last attempt; NULL: no reply (refused, timed out).
  last_status_code smallint,
  last_error       text,
  delivered_at     timestamptz
);
-- The claim: due rows, and whether an older one to the same address about the same incident still waits.
CREATE INDEX email_deliveries_due_idx ON email_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX email_deliveries_queue_idx ON email_deliveries (address, incident_id, id) WHERE status = 'pending';
-- The delivery log, newest first, all of it or of one status.
CREATE INDEX email_deliveries_log_idx ON email_deliveries (status, id DESC);
