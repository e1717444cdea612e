-- Webhook subscriptions: where incident changes are sent, in which shape, and which incidents.
-- An empty filter array matches any value. The secret signs each request (HMAC-SHA256), so it is
-- kept as given, not hashed.
CREATE TABLE webhook_subscriptions (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name             text NOT NULL,
  url              text NOT NULL,
  format           text NOT NULL CHECK (format IN ('pagerduty', 'alertmanager')),
  routing_key      text,
  secret           text NOT NULL,
  severities       text[] NOT NULL DEFAULT '{}',
  area_ids         text[] NOT NULL DEFAULT '{}',
  sources          text[] NOT NULL DEFAULT '{}',
  events           text[] NOT NULL DEFAULT '{trigger,acknowledge,resolve}',
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  updated_by       text,
  secret_issued_at timestamptz NOT NULL DEFAULT now()
);

-- The outbox: one row per (subscription, incident change), written in the transaction of the
-- change, with the body as rendered then. Sent oldest first per (subscription, incident); a row
-- being sent is leased by moving next_attempt_at past the request's timeout.
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  bigint NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  incident_id      bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  -- The timeline step that made it.
  entry_id         bigint NOT NULL,
  event            text NOT NULL CHECK (event IN ('trigger', 'acknowledge', 'resolve')),
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_status_code smallint,
  last_error       text,
  delivered_at     timestamptz
);
-- The claim: due rows, and whether an older one of the same (subscription, incident) still waits.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (subscription_id, incident_id, id) WHERE status = 'pending';
-- The delivery log of a subscription, newest first.
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, id DESC);
