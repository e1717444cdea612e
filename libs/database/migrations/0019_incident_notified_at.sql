-- When people were last told of an incident by its rule: a rule firing again within its minimum
-- notify interval still goes on the timeline, but tells nobody again.
ALTER TABLE incidents ADD COLUMN notified_at timestamptz;
UPDATE incidents SET notified_at = opened_at;
