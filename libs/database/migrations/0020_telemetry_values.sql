-- Reads of raw readings go through this view. On plain PostgreSQL it is the table itself; the
-- TimescaleDB layout (libs/storage, timescale-layout.ts) redefines it over readings stored as
-- integer thousandths where they are exactly that, which its compression packs four times tighter.
CREATE VIEW telemetry_values AS SELECT device_key, metric_id, time, value FROM telemetry;
