-- Public warnings (CAP 1.2) published from incidents. A warning row holds what the warning says
-- now, for the lists and the feed; every CAP message sent for it (the Alert, each Update, the
-- Cancel) is kept as sent, XML included: later messages name earlier ones by (sender, identifier,
-- sent), and a reader following those references must get the very message it names.
CREATE TABLE warnings (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id   bigint NOT NULL REFERENCES incidents (id),
  type          text NOT NULL CHECK (type IN ('flood', 'salinity', 'air_quality', 'storm')),
  severity      text NOT NULL CHECK (severity IN ('Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown')),
  urgency       text NOT NULL CHECK (urgency IN ('Immediate', 'Expected', 'Future', 'Past', 'Unknown')),
  certainty     text NOT NULL CHECK (certainty IN ('Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown')),
  area_id       text NOT NULL,
  area_name     text NOT NULL,
  -- {"vi": {headline, description, instruction}, "en": {...}}
  texts         jsonb NOT NULL,
  expires_at    timestamptz NOT NULL,
  published_at  timestamptz NOT NULL,
  published_by  text,
  updated_at    timestamptz NOT NULL,
  cancelled_at  timestamptz,
  cancelled_by  text,
  cancel_reason text,
  CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL))
);
-- The feed and the public list: not cancelled, not expired.
CREATE INDEX warnings_active_idx ON warnings (expires_at) WHERE cancelled_at IS NULL;
CREATE INDEX warnings_incident_idx ON warnings (incident_id);

CREATE TABLE warning_messages (
  warning_id     bigint NOT NULL REFERENCES warnings (id),
  seq            integer NOT NULL,
  identifier     text NOT NULL UNIQUE,
  sender         text NOT NULL,
  -- Whole seconds, as CAP writes it; later than the warning's previous message.
  sent           timestamptz NOT NULL,
  msg_type       text NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
  -- CAP references: "sender,identifier,sent" of every earlier message, separated by spaces.
  cap_references text,
  note           text,
  -- The whole warning as this message says it (type, CAP fields, texts, area, expiry).
  content        jsonb NOT NULL,
  actor_id       integer REFERENCES users (id) ON DELETE SET NULL,
  actor_name     text,
  xml            text NOT NULL,
  PRIMARY KEY (warning_id, seq),
  CHECK ((seq = 1) = (msg_type = 'Alert')),
  CHECK ((msg_type = 'Alert') = (cap_references IS NULL))
);
