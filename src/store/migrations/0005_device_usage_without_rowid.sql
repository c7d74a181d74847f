-- device_usage as one b-tree on its primary key (SQLite: WITHOUT ROWID). With a rowid, SQLite
-- keeps the rows in one b-tree and the (device_id, tag) key in a second one, so every usage row
-- of a report was three b-tree inserts with the va_tag index; now two, and the table is a fifth
-- smaller. PostgreSQL has no rowid (@@WITHOUT_ROWID@@ expands to nothing there): the table is
-- rebuilt the same, unchanged in effect. Columns, keys and indexes are as in 0002 and 0003.
CREATE TABLE device_usage_keyed (
  device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  va_id BIGINT NOT NULL,
  count BIGINT NOT NULL CHECK (count >= 0),
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  report_id TEXT NOT NULL,
  PRIMARY KEY (device_id, tag)
) @@WITHOUT_ROWID@@;
INSERT INTO device_usage_keyed (device_id, tag, va_id, count, period_start, period_end, report_id)
  SELECT device_id, tag, va_id, count, period_start, period_end, report_id FROM device_usage;
DROP TABLE device_usage;
ALTER TABLE device_usage_keyed RENAME TO device_usage;
CREATE INDEX device_usage_va_tag ON device_usage (va_id, tag, count);
-- The outbox takes a report's devices by its reportId (0003).
CREATE INDEX device_usage_report ON device_usage (report_id);
