-- A satellite's link with its upstream authority (DESIGN.md section 1, issue 7).
--
-- sync_outbox: usage reports on their way upstream. A report's forwarded body is fixed the first
-- time it is taken for sending (from the latest usage its devices hold), so that every re-send
-- after a cut carries the same body under the same reportId and the authority counts it once.
-- The row goes, and usage_reports.forwarded_at is set, in one transaction once the authority has
-- acknowledged the report.
CREATE TABLE sync_outbox (
  usage_report_id BIGINT PRIMARY KEY REFERENCES usage_reports(id) ON DELETE CASCADE,
  account TEXT NOT NULL,
  virtual_account TEXT NOT NULL,
  forward_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

-- Offline requests this satellite exported: the answer to one is applied once (replays refused),
-- and only its own reports are marked forwarded by it.
CREATE TABLE sync_requests (
  nonce TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  forward_ids TEXT NOT NULL DEFAULT '',
  answered_at BIGINT,
  answer_nonce TEXT
);

-- The outbox takes a report's devices by its reportId.
CREATE INDEX device_usage_report ON device_usage (report_id);
