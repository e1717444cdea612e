-- Each device's MQTT secret, kept as a SHA-256 hash (secrets are 256 random bits, so a slow
-- hash adds nothing but connection latency), and the gateway that may publish for it.
ALTER TABLE devices
  ADD COLUMN secret_hash text,
  ADD COLUMN credentials_issued_at timestamptz,
  ADD COLUMN credentials_revoked_at timestamptz,
  ADD COLUMN gateway_id text REFERENCES devices (id) ON DELETE SET NULL;
CREATE INDEX devices_gateway_id_idx ON devices (gateway_id) WHERE gateway_id IS NOT NULL;
