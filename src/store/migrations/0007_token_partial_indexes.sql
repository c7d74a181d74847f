-- Tokens of client_credentials grants (the bulk of them) have no user and no parent: index only
-- the tokens that have one, so that storing such a token writes four index entries instead of
-- six. Lookups by user (`username = ?`, as the foreign key's cascade does) imply `username IS
-- NOT NULL`; the lookup by parent says `parent <> ''` itself (SqlStore::revoke_token).
DROP INDEX tokens_user;
CREATE INDEX tokens_user ON tokens (username) WHERE username IS NOT NULL;
DROP INDEX tokens_parent;
CREATE INDEX tokens_parent ON tokens (parent) WHERE parent <> '';
