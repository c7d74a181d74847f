-- Usage over time (issue 8): the Licenses page charts "in use" against the quantity of a pool.
-- device_usage keeps each device's latest count only, so each accepted usage report also
-- records, in its own transaction, the resulting totals of every (virtual account, tag) of its
-- smart account: one row per (virtual account, tag) and time bucket (one hour by default,
-- [usage_history] bucket), the bucket's last report winning. Rows whose bucket is older than
-- the retention ([usage_history] retention, 90 days by default) are pruned by the same
-- transaction. The cost is one row per (virtual account, tag) per report, not one per device.
--
-- `at` is when the bucket's last report was received (Unix seconds); `in_use` is the sum of the
-- latest counts of the virtual account's devices for the tag; `quantity` is the pool's quantity
-- then (0 when the tag has no pool).
CREATE TABLE usage_history (
  va_id BIGINT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  bucket BIGINT NOT NULL,
  at BIGINT NOT NULL,
  in_use BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  PRIMARY KEY (va_id, tag, bucket)
);
-- Pruning takes the oldest buckets.
CREATE INDEX usage_history_bucket ON usage_history (bucket);
