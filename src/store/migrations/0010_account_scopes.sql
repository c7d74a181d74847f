-- Per-account access (tenancy): a user or a grant may be limited to smart accounts. `accounts`
-- holds the smart account names, one per line, or NULL for every account. Existing users and
-- grants keep NULL: every account, as before. A token reaches the intersection of its grant's
-- and its user's accounts, read on each request, so a change applies at once.
ALTER TABLE users ADD COLUMN accounts TEXT;
ALTER TABLE api_grants ADD COLUMN accounts TEXT;
