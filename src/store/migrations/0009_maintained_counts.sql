-- Reads independent of data size (issue 17): the totals that license views, alerts, usage
-- history and device pages show are kept in counters instead of aggregated over device_usage
-- and devices at read time (a million devices made those reads take hundreds of milliseconds).
--
-- va_tag_usage holds, per (virtual account, tag), the SUM(count) (`in_use`) and COUNT(*)
-- (`usage_rows`) of device_usage WHERE va_id = va_id AND tag = tag; a pair without usage rows has no
-- counter row. va_devices holds, per virtual account, COUNT(*) of devices WHERE va_id = va_id;
-- a virtual account without devices may have a row with 0. The store updates both in the same
-- transaction as every change of device_usage or devices (usage report ingest, virtual account
-- deletion), by per-report deltas, not per row; deleting a virtual account or smart account
-- cascades to its counters. They are backfilled here from the rows they count.
CREATE TABLE va_tag_usage (
  va_id BIGINT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  in_use BIGINT NOT NULL,
  usage_rows BIGINT NOT NULL,
  PRIMARY KEY (va_id, tag)
);
INSERT INTO va_tag_usage (va_id, tag, in_use, usage_rows)
  SELECT u.va_id, u.tag, SUM(u.count), COUNT(*) FROM device_usage u
  WHERE u.va_id IN (SELECT id FROM virtual_accounts) GROUP BY u.va_id, u.tag;

CREATE TABLE va_devices (
  va_id BIGINT NOT NULL PRIMARY KEY REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  devices BIGINT NOT NULL
);
INSERT INTO va_devices (va_id, devices) SELECT va_id, COUNT(*) FROM devices GROUP BY va_id;

-- Pages by cursor (`after`/`next`) are index range scans in the list's order: devices of an
-- account by id (devices_va serves those of one virtual account), events newest first for each
-- filter of the Event Log (action, outcome, actor). events_action (action, time) becomes
-- (action, id), which also serves the action filter's list of distinct actions.
CREATE INDEX devices_account ON devices (account_id, id);
DROP INDEX events_action;
CREATE INDEX events_action ON events (action, id);
CREATE INDEX events_outcome ON events (outcome, id);
CREATE INDEX events_actor ON events (actor, id);
