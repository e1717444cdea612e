-- Failed logins are counted per username and client address, not per account: a stranger guessing
-- a password slows only their own tries, and the owner logging in from elsewhere is not locked out.
-- Usernames that do not exist are counted the same way, so the answers do not tell them apart.
CREATE TABLE login_throttle (
  username     text NOT NULL,
  ip           text NOT NULL,
  failures     integer NOT NULL,
  locked_until timestamptz,
  -- Past this, the failures are forgotten and the row may be deleted.
  forget_after timestamptz NOT NULL,
  PRIMARY KEY (username, ip)
);
CREATE INDEX login_throttle_forget_after_idx ON login_throttle (forget_after);

ALTER TABLE users
  DROP COLUMN failed_logins,
  DROP COLUMN locked_until;

-- Every refresh token a session has replaced. Presenting one again (beyond the single retry of a
-- lost answer) means the token was copied: the whole session is revoked.
CREATE TABLE session_retired_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  retired_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_retired_tokens_session_id_idx ON session_retired_tokens (session_id);
INSERT INTO session_retired_tokens (token_hash, session_id)
SELECT previous_token_hash, id FROM sessions WHERE previous_token_hash IS NOT NULL;
