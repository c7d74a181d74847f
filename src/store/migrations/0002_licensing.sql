-- The license database: smart accounts, virtual accounts, license pools, devices, their latest
-- usage, usage reports (idempotency and later forwarding upstream) and device registration tokens.
CREATE TABLE smart_accounts (
  id @@ID@@,
  name TEXT NOT NULL UNIQUE,
  domain TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);

CREATE TABLE virtual_accounts (
  id @@ID@@,
  account_id BIGINT NOT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (account_id, name)
);

-- One pool per (virtual account, tag). `origin` is 'local' (created here) or 'upstream'
-- (mirrored from the authority; read-only here).
CREATE TABLE license_pools (
  id @@ID@@,
  va_id BIGINT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  display_name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('perpetual', 'term', 'subscription')),
  quantity BIGINT NOT NULL CHECK (quantity >= 0),
  starts BIGINT NOT NULL DEFAULT 0,
  ends BIGINT NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'upstream')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (va_id, tag)
);

-- A device (UDI = product ID + serial number) belongs to one virtual account of its smart
-- account; a report from another virtual account moves it there.
CREATE TABLE devices (
  id @@ID@@,
  account_id BIGINT NOT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
  va_id BIGINT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  pid TEXT NOT NULL,
  sn TEXT NOT NULL,
  hostname TEXT NOT NULL DEFAULT '',
  last_report BIGINT NOT NULL,
  last_report_id TEXT NOT NULL DEFAULT '',
  UNIQUE (account_id, pid, sn)
);
CREATE INDEX devices_va ON devices (va_id, id);

-- The latest reported count of each device for each tag. inUse of a pool is
-- SUM(count) WHERE va_id = pool's virtual account AND tag = pool's tag: an indexed aggregate.
CREATE TABLE device_usage (
  device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  va_id BIGINT NOT NULL,
  count BIGINT NOT NULL CHECK (count >= 0),
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  report_id TEXT NOT NULL,
  PRIMARY KEY (device_id, tag)
);
CREATE INDEX device_usage_va_tag ON device_usage (va_id, tag, count);

-- Every accepted usage report, once. (account_id, report_id) is its identity; body_hash tells a
-- repeat (same answer again) from a different body under a used id (409). forwarded_at is set
-- when a satellite has passed the report to its authority.
CREATE TABLE usage_reports (
  id @@ID@@,
  account_id BIGINT NOT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
  va_id BIGINT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  report_id TEXT NOT NULL,
  manager TEXT NOT NULL DEFAULT '',
  body_hash TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  devices BIGINT NOT NULL,
  warnings TEXT NOT NULL DEFAULT '',
  received_at BIGINT NOT NULL,
  received_by TEXT NOT NULL DEFAULT '',
  forwarded_at BIGINT,
  UNIQUE (account_id, report_id)
);
CREATE INDEX usage_reports_unforwarded ON usage_reports (forwarded_at, id);

-- Device registration tokens, stored as keyed hashes; `hint` is the first characters, for lists.
CREATE TABLE registration_tokens (
  id @@ID@@,
  va_id BIGINT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  expires BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX registration_tokens_va ON registration_tokens (va_id, id);
