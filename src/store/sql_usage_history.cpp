// Usage over time (0004_usage_history.sql): one sample per (virtual account, tag) and time
// bucket, written by each accepted usage report in its own transaction, read by the Licenses
// page's chart.
//
// A report records the totals of its whole smart account, not only of its own virtual account
// and tags: a report may move devices from another virtual account, and drops the tags its
// devices no longer report, which changes other totals too. The totals are the maintained
// counters (va_tag_usage, 0009_maintained_counts.sql, which the report has already brought up to
// date) joined with the account's pools and with the pairs that
// already have samples (so that a tag without a pool whose devices all left or stopped reporting
// it drops to 0 rather than keeping its last value), written by one INSERT … SELECT: a few rows
// per report whatever its number of devices.
#include "store/sql_store.h"

namespace licsat::store {

Status record_usage_history(Connection& c, const UsageIngest& in) {
  const int64_t bucket_len = in.history.bucket > 0 ? in.history.bucket : 3600;
  const int64_t bucket = in.received_at - in.received_at % bucket_len;
  // WHERE true: SQLite needs it to tell the upsert's ON CONFLICT from a join's ON. ORDER BY:
  // concurrent reports of one account (several nodes on PostgreSQL) lock the rows in one order.
  auto put = c.exec(
      "INSERT INTO usage_history (va_id, tag, bucket, at, in_use, quantity) "
      "SELECT t.va_id, t.tag, CAST($2 AS BIGINT), CAST($3 AS BIGINT), SUM(t.in_use), SUM(t.quantity) FROM ("
      "SELECT u.va_id AS va_id, u.tag AS tag, u.in_use AS in_use, 0 AS quantity FROM va_tag_usage u "
      "WHERE u.va_id IN (SELECT id FROM virtual_accounts WHERE account_id = $1) "
      "UNION ALL "
      "SELECT p.va_id, p.tag, 0, p.quantity FROM license_pools p JOIN virtual_accounts v ON v.id = p.va_id "
      "WHERE v.account_id = $1 "
      "UNION ALL "
      "SELECT DISTINCT h.va_id, h.tag, 0, 0 FROM usage_history h "
      "WHERE h.va_id IN (SELECT id FROM virtual_accounts WHERE account_id = $1)"
      ") t WHERE true GROUP BY t.va_id, t.tag ORDER BY t.va_id, t.tag "
      "ON CONFLICT (va_id, tag, bucket) DO UPDATE SET at = excluded.at, in_use = excluded.in_use, "
      "quantity = excluded.quantity",
      {in.account_id, bucket, in.received_at});
  if (!put) return fail(put.error());
  if (in.history.retention > 0) {
    auto prune = c.exec("DELETE FROM usage_history WHERE bucket < $1", {bucket - in.history.retention});
    if (!prune) return fail(prune.error());
  }
  return {};
}

Result<std::vector<domain::UsageSample>> SqlStore::usage_history(int64_t va_id, const std::string& tag, int64_t since,
                                                                 int64_t until) {
  std::vector<domain::UsageSample> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(
        "SELECT at, in_use, quantity FROM usage_history WHERE va_id = $1 AND tag = $2 AND at >= $3 AND at <= $4 "
        "ORDER BY at",
        {va_id, tag, since, until});
    if (!rows) return fail(rows.error());
    out.reserve(rows->size());
    for (const auto& r : *rows) out.push_back({r.i64(0), r.i64(1), r.i64(2)});
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

}  // namespace licsat::store
