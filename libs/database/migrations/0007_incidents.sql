-- What people handle. An alert opens an incident; a rule firing again for the same device while its
-- incident is active (open, acknowledged, dispatched) adds to that incident instead of opening another.
-- The *_by columns repeat the timeline's actor for the list; the timeline is the record.
CREATE TABLE incidents (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id          integer REFERENCES rules (id) ON DELETE SET NULL,
  alert_id         bigint REFERENCES alerts (id) ON DELETE SET NULL,
  device_id        text NOT NULL,
  area_ids         text[] NOT NULL DEFAULT '{}',
  severity         text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
  title            text NOT NULL,
  state            text NOT NULL DEFAULT 'open'
                   CHECK (state IN ('open', 'acknowledged', 'dispatched', 'resolved', 'closed')),
  alert_active     boolean NOT NULL DEFAULT true,
  team_id          integer REFERENCES teams (id) ON DELETE SET NULL,
  escalation_level smallint NOT NULL DEFAULT 0,
  opened_at        timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  dispatched_at    timestamptz,
  dispatched_by    text,
  on_site_at       timestamptz,
  on_site_by       text,
  resolved_at      timestamptz,
  resolved_by      text,
  closed_at        timestamptz,
  closed_by        text,
  escalated_at     timestamptz
);
CREATE UNIQUE INDEX incidents_one_active_idx ON incidents (rule_id, device_id)
  WHERE state IN ('open', 'acknowledged', 'dispatched');
CREATE INDEX incidents_updated_at_idx ON incidents (updated_at);
CREATE INDEX incidents_team_idx ON incidents (team_id, id DESC) WHERE team_id IS NOT NULL;
CREATE INDEX incidents_area_ids_idx ON incidents USING gin (area_ids);
-- What the escalation sweep scans.
CREATE INDEX incidents_unacknowledged_idx ON incidents (created_at) WHERE state = 'open';

-- Every step of every incident, with who (null: the system) and when. Rows are only ever added.
CREATE TABLE incident_timeline (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  step        text NOT NULL CHECK (step IN ('opened', 'alert_opened', 'alert_resolved', 'acknowledged', 'dispatched',
                                            'on_site', 'resolved', 'closed', 'comment', 'escalated')),
  actor_id    integer REFERENCES users (id) ON DELETE SET NULL,
  actor_name  text,
  note        text,
  team_id     integer REFERENCES teams (id) ON DELETE SET NULL,
  alert_id    bigint,
  value       double precision,
  level       smallint
);
CREATE INDEX incident_timeline_incident_idx ON incident_timeline (incident_id, id);
CREATE INDEX incident_timeline_alert_idx ON incident_timeline (alert_id) WHERE alert_id IS NOT NULL;
