-- A reload in the middle of a refresh can send the old page's refresh after the new page's, with
-- the same token: the new page holds the first answer's token, the second answer is lost. The
-- successor that the retry replaced stays good (a sibling) until either of the two is used; then
-- the other is retired like any replaced token.
ALTER TABLE sessions ADD COLUMN sibling_token_hash text;
CREATE INDEX sessions_sibling_token_hash_idx ON sessions (sibling_token_hash) WHERE sibling_token_hash IS NOT NULL;
