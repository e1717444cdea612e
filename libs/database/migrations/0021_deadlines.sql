-- Deadlines (SLA) per severity: by when an incident must be acknowledged and resolved (NULL: no
-- deadline), and the escalation steps while it stays unacknowledged: a JSON list of
-- {"afterS": seconds past the acknowledge deadline, "notifyRoles": [...]}, one level each.
CREATE TABLE deadline_policies (
  severity      text PRIMARY KEY CHECK (severity IN ('critical', 'warning', 'info')),
  acknowledge_s integer CHECK (acknowledge_s > 0),
  resolve_s     integer CHECK (resolve_s > 0),
  escalation    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(escalation) = 'array'),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    text
);
INSERT INTO deadline_policies (severity, acknowledge_s, resolve_s, escalation) VALUES
  ('critical', 300, 14400, '[{"afterS": 0, "notifyRoles": ["supervisor"]}, {"afterS": 900, "notifyRoles": ["admin"]}]'),
  ('warning', 1800, 86400, '[{"afterS": 0, "notifyRoles": ["supervisor"]}, {"afterS": 3600, "notifyRoles": ["admin"]}]'),
  ('info', NULL, NULL, '[]');

-- Each incident carries its own due times, fixed when it opens (or reopens); a breach is marked
-- once, with the due time it passed.
ALTER TABLE incidents
  ADD COLUMN acknowledge_due_at      timestamptz,
  ADD COLUMN resolve_due_at          timestamptz,
  ADD COLUMN acknowledge_breached_at timestamptz,
  ADD COLUMN resolve_breached_at     timestamptz;

-- Incidents from before take the default deadlines; those already past are marked breached
-- without a timeline entry, so the first sweep does not announce old news.
UPDATE incidents i
   SET acknowledge_due_at = i.created_at + make_interval(secs => p.acknowledge_s),
       resolve_due_at = i.created_at + make_interval(secs => p.resolve_s)
  FROM deadline_policies p
 WHERE p.severity = i.severity;
UPDATE incidents SET acknowledge_breached_at = acknowledge_due_at WHERE acknowledge_due_at < COALESCE(acknowledged_at, now());
UPDATE incidents SET resolve_breached_at = resolve_due_at WHERE resolve_due_at < COALESCE(resolved_at, closed_at, now());

-- What the deadline sweep reads: the active incidents with a due time not yet breached.
DROP INDEX incidents_unacknowledged_idx;
CREATE INDEX incidents_acknowledge_due_idx ON incidents (acknowledge_due_at) WHERE state = 'open';
CREATE INDEX incidents_resolve_due_idx ON incidents (resolve_due_at)
  WHERE resolve_breached_at IS NULL AND state IN ('open', 'acknowledged', 'dispatched');

ALTER TABLE incident_timeline
  ADD COLUMN deadline     text CHECK (deadline IN ('acknowledge', 'resolve')),
  ADD COLUMN notify_roles text[];
ALTER TABLE incident_timeline DROP CONSTRAINT incident_timeline_step_check;
ALTER TABLE incident_timeline ADD CONSTRAINT incident_timeline_step_check
  CHECK (step IN ('opened', 'alert_opened', 'alert_resolved', 'device_joined', 'device_left', 'reopened',
                  'acknowledged', 'dispatched', 'on_site', 'resolved', 'closed', 'comment', 'deadline_breached',
                  'escalated'));

-- Rules stored before deadlines existed take their severity's.
UPDATE rules SET definition = definition || '{"deadlines": {}}' WHERE NOT definition ? 'deadlines';
UPDATE rule_versions SET definition = definition || '{"deadlines": {}}' WHERE NOT definition ? 'deadlines';
