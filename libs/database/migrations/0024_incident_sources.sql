-- Incidents people report (citizens, operators taking a hotline call) besides those rules open:
-- what opened it, what it is about, where, and who to call back. A reported incident has no device.
ALTER TABLE incidents
  ADD COLUMN source         text NOT NULL DEFAULT 'rule' CHECK (source IN ('rule', 'citizen', 'manual')),
  ADD COLUMN category       text CHECK (category IN ('flooding', 'fallen_tree', 'broken_street_light', 'traffic_accident',
                                                     'pollution', 'illegal_dumping', 'other', 'salinity', 'air_quality',
                                                     'device_fault')),
  ADD COLUMN description    text,
  ADD COLUMN lat            double precision CHECK (lat BETWEEN -90 AND 90),
  ADD COLUMN lng            double precision CHECK (lng BETWEEN -180 AND 180),
  ADD COLUMN reporter_phone text,
  ADD COLUMN created_by     text,
  ADD CONSTRAINT incidents_location_check CHECK ((lat IS NULL) = (lng IS NULL)),
  ADD CONSTRAINT incidents_reported_check CHECK (source = 'rule' OR (lat IS NOT NULL AND category IS NOT NULL));
ALTER TABLE incidents ALTER COLUMN device_id DROP NOT NULL;
CREATE INDEX incidents_source_opened_idx ON incidents (source, opened_at);

UPDATE rules SET definition = definition || '{"category": null}' WHERE NOT definition ? 'category';
UPDATE rule_versions SET definition = definition || '{"category": null}' WHERE NOT definition ? 'category';
