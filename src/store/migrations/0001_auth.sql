-- Access Management, API Tool Kit, tokens, settings and the Event Log.
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  password_hash TEXT NOT NULL,
  locked INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  first_failure_at BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);

CREATE TABLE api_grants (
  id @@ID@@,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL CHECK (type IN ('resource_owner', 'client_credentials')),
  client_id TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  expires BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);

CREATE TABLE tokens (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  grant_id BIGINT REFERENCES api_grants(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  username TEXT REFERENCES users(name) ON DELETE CASCADE,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  expires BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  parent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tokens_grant ON tokens (grant_id);
CREATE INDEX tokens_user ON tokens (username);
CREATE INDEX tokens_parent ON tokens (parent);
CREATE INDEX tokens_expires ON tokens (expires);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE events (
  id @@ID@@,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_time ON events (time);
CREATE INDEX events_action ON events (action, time);
