-- Rules are data: the current definition (the JSON of the alerting contracts), and every earlier
-- version kept, so an alert and its incident name the version that fired. A deleted rule is
-- marked, not removed: its incidents and versions still name it.
ALTER TABLE rules
  ADD COLUMN version    integer NOT NULL DEFAULT 1,
  ADD COLUMN definition jsonb,
  ADD COLUMN updated_by text,
  ADD COLUMN deleted_at timestamptz;

UPDATE rules SET definition = jsonb_build_object(
  'name', name,
  'severity', severity,
  'scope', CASE
             WHEN device_id IS NOT NULL THEN jsonb_build_object('type', 'devices', 'deviceIds', jsonb_build_array(device_id))
             WHEN device_kind IS NOT NULL THEN jsonb_build_object('type', 'deviceKind', 'deviceKind', device_kind)
             ELSE jsonb_build_object('type', 'all')
           END,
  'conditions', jsonb_build_array(jsonb_build_object(
    'kind', 'threshold', 'metric', metric, 'operator', operator, 'value', threshold, 'forS', 0)),
  'combine', 'any',
  'messages', jsonb_build_object(
    'vi', '{device}: {metric} = {value} {unit} (ngưỡng ' || operator || ' {threshold})',
    'en', '{device}: {metric} = {value} {unit} (threshold ' || operator || ' {threshold})'),
  'enabled', enabled,
  'dampingS', 300,
  'minNotifyIntervalS', 0,
  'grouping', 'device');

ALTER TABLE rules
  ALTER COLUMN definition SET NOT NULL,
  DROP COLUMN name,
  DROP COLUMN kind,
  DROP COLUMN metric,
  DROP COLUMN operator,
  DROP COLUMN threshold,
  DROP COLUMN severity,
  DROP COLUMN device_kind,
  DROP COLUMN device_id,
  DROP COLUMN enabled;

CREATE TABLE rule_versions (
  rule_id    integer NOT NULL REFERENCES rules (id),
  version    integer NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  PRIMARY KEY (rule_id, version)
);
INSERT INTO rule_versions (rule_id, version, definition, created_at)
SELECT id, version, definition, updated_at FROM rules;

-- Alerts say what fired in the rule's own words; the columns of the threshold-only rules go.
ALTER TABLE alerts
  ADD COLUMN rule_version integer,
  ADD COLUMN message_vi   text,
  ADD COLUMN message_en   text,
  ADD COLUMN incident_id  bigint REFERENCES incidents (id) ON DELETE SET NULL;
UPDATE alerts SET
  message_vi = rule_name || ': ' || metric || ' ' || operator || ' ' || threshold,
  message_en = rule_name || ': ' || metric || ' ' || operator || ' ' || threshold;
UPDATE alerts a SET incident_id = t.incident_id
  FROM incident_timeline t
 WHERE t.alert_id = a.id AND t.step IN ('opened', 'alert_opened');
ALTER TABLE alerts
  ALTER COLUMN message_vi SET NOT NULL,
  ALTER COLUMN message_en SET NOT NULL,
  ALTER COLUMN metric DROP NOT NULL,
  ALTER COLUMN value DROP NOT NULL,
  DROP COLUMN operator,
  DROP COLUMN threshold;

-- One active incident per (rule, group): a device, or for an area-grouped rule its area, which
-- gathers every device of the area that fires.
ALTER TABLE incidents
  ADD COLUMN rule_version     integer,
  ADD COLUMN group_area_id    text,
  ADD COLUMN alert_cleared_at timestamptz,
  ADD COLUMN group_key        text GENERATED ALWAYS AS
    (CASE WHEN group_area_id IS NULL THEN 'device:' || device_id ELSE 'area:' || group_area_id END) STORED;
DROP INDEX incidents_one_active_idx;
CREATE UNIQUE INDEX incidents_one_active_idx ON incidents (rule_id, group_key)
  WHERE state IN ('open', 'acknowledged', 'dispatched');
-- A rule firing again finds its group's newest incident: to join, or to reopen within damping.
CREATE INDEX incidents_rule_group_idx ON incidents (rule_id, group_key, id DESC);

CREATE TABLE incident_devices (
  incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  device_id   text NOT NULL,
  firing      boolean NOT NULL,
  joined_at   timestamptz NOT NULL,
  PRIMARY KEY (incident_id, device_id)
);
INSERT INTO incident_devices (incident_id, device_id, firing, joined_at)
SELECT id, device_id, alert_active AND state <> 'closed', opened_at FROM incidents;

ALTER TABLE incident_timeline ADD COLUMN device_id text;
UPDATE incident_timeline t SET device_id = i.device_id
  FROM incidents i
 WHERE i.id = t.incident_id AND t.alert_id IS NOT NULL;
ALTER TABLE incident_timeline DROP CONSTRAINT incident_timeline_step_check;
ALTER TABLE incident_timeline ADD CONSTRAINT incident_timeline_step_check
  CHECK (step IN ('opened', 'alert_opened', 'alert_resolved', 'device_joined', 'device_left', 'reopened',
                  'acknowledged', 'dispatched', 'on_site', 'resolved', 'closed', 'comment', 'escalated'));

-- What the live evaluators know of each (rule, device), saved when its phase changes (pending,
-- firing, cleared) so a restart neither fires twice nor forgets what was pending. `wake_at`: when
-- the clock must look at it again. A state of another rule version is started afresh.
CREATE TABLE alert_states (
  rule_id      integer NOT NULL REFERENCES rules (id),
  device_id    text NOT NULL,
  rule_version integer NOT NULL,
  state        jsonb NOT NULL,
  wake_at      timestamptz,
  saved_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, device_id)
);
