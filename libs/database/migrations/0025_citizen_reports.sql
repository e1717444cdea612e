-- Triage of reports: an incident merged into another (the same problem reported again) names it,
-- and a rejected citizen's report keeps the reason the citizen is told. Both close the incident.
ALTER TABLE incidents
  ADD COLUMN merged_into_id   bigint REFERENCES incidents (id),
  ADD COLUMN rejection_reason text,
  ADD CONSTRAINT incidents_merged_check CHECK (merged_into_id IS NULL OR (state = 'closed' AND merged_into_id <> id)),
  ADD CONSTRAINT incidents_rejected_check CHECK (rejection_reason IS NULL OR (state = 'closed' AND source = 'citizen'));
CREATE INDEX incidents_merged_into_idx ON incidents (merged_into_id) WHERE merged_into_id IS NOT NULL;

-- Photos of an incident: a citizen's, sent with the report (no phase, no author), or one taken by
-- staff before or after the work. The image is in the photo store under storage_key, re-encoded
-- without its metadata; the row says what it is.
CREATE TABLE incident_photos (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id  bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  phase        text CHECK (phase IN ('before', 'after')),
  note         text,
  storage_key  text NOT NULL UNIQUE,
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  bytes        integer NOT NULL CHECK (bytes > 0),
  width        integer NOT NULL CHECK (width > 0),
  height       integer NOT NULL CHECK (height > 0),
  taken_by_id  integer REFERENCES users (id) ON DELETE SET NULL,
  taken_by     text,
  taken_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT incident_photos_author_check CHECK ((taken_by IS NULL) = (phase IS NULL))
);
CREATE INDEX incident_photos_incident_idx ON incident_photos (incident_id, id);

-- A timeline step may name another incident (merged, report_joined) or a photo (photo_added).
ALTER TABLE incident_timeline
  ADD COLUMN related_incident_id bigint REFERENCES incidents (id),
  ADD COLUMN photo_id            bigint REFERENCES incident_photos (id) ON DELETE SET NULL;
ALTER TABLE incident_timeline DROP CONSTRAINT incident_timeline_step_check;
ALTER TABLE incident_timeline ADD CONSTRAINT incident_timeline_step_check
  CHECK (step IN ('opened', 'alert_opened', 'alert_resolved', 'device_joined', 'device_left', 'reopened',
                  'acknowledged', 'dispatched', 'on_site', 'resolved', 'closed', 'comment', 'deadline_breached',
                  'escalated', 'rejected', 'merged', 'report_joined', 'photo_added'));

-- A citizen's field report (POST /api/reports): the tracking code the citizen holds, the incident it
-- opened (which keeps what was reported: category, description, place, phone), a keyed hash of the
-- sender's address (never the address), and the rating once the work is done. rated_incident_id is
-- the incident rated: the report's own, or the one it was merged into.
CREATE TABLE citizen_reports (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code              text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{10}$'),
  incident_id       bigint NOT NULL UNIQUE REFERENCES incidents (id) ON DELETE CASCADE,
  sender_hash       bytea NOT NULL,
  submitted_at      timestamptz NOT NULL DEFAULT now(),
  rating            smallint CHECK (rating BETWEEN 1 AND 5),
  rating_comment    text,
  rated_at          timestamptz,
  rated_incident_id bigint REFERENCES incidents (id),
  CONSTRAINT citizen_reports_rated_check CHECK (
    (rating IS NULL) = (rated_at IS NULL) AND (rating IS NULL) = (rated_incident_id IS NULL)
    AND (rating IS NOT NULL OR rating_comment IS NULL))
);
CREATE INDEX citizen_reports_rated_idx ON citizen_reports (rated_incident_id, rated_at) WHERE rating IS NOT NULL;

-- Sliding-window limits of the public routes, per sender: one row per counted request, keyed by a
-- keyed hash of the client address or the phone number. Rows past their window are deleted as new
-- ones are written, so the table holds about an hour (a day for phones) of requests.
CREATE TABLE public_rate_events (
  scope text NOT NULL CHECK (scope IN ('report_address', 'report_phone', 'rating_address')),
  key   bytea NOT NULL,
  at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX public_rate_events_key_idx ON public_rate_events (scope, key, at);
CREATE INDEX public_rate_events_at_idx ON public_rate_events (scope, at);
