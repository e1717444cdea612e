-- The refresh token a rotation replaced stays good for a short while: when the answer to a refresh
-- is lost (a page reloaded mid-request, a phone dropping off the network), the console retries with
-- the token it still holds instead of being logged out.
ALTER TABLE sessions
  ADD COLUMN previous_token_hash  text,
  ADD COLUMN previous_token_until timestamptz;
CREATE INDEX sessions_previous_token_hash_idx ON sessions (previous_token_hash) WHERE previous_token_hash IS NOT NULL;
