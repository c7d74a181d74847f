// LicenseStore in portable SQL.
//
// Usage ingestion is the hot path (a report may carry 100,000 devices): devices and their counts
// are written with multi-row upserts of batch_rows() rows each, inside the one transaction of the
// report, so a 100,000-device report costs about 1,600 statements on SQLite and 400 on PostgreSQL,
// not a few hundred thousand.
#include <algorithm>
#include <bit>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>

#include "store/line_list.h"
#include "store/maintained_counts.h"
#include "store/sql_store.h"

namespace licsat::store {
namespace {

using domain::DeviceRecord;
using domain::LicensePool;
using domain::SmartAccount;
using domain::VirtualAccount;

// Rows per multi-row statement (3 parameters a row). A statement's fixed costs (on PostgreSQL a
// round trip and a plan; on SQLite starting the statement and finding its prepared form) are
// shared by its rows, so larger batches are cheaper per row. Binding is linear in the parameter
// count on both engines (the SQLite connection maps "$N" names to slots once per statement), and
// both stay far below their parameter limits (SQLite 32766, PostgreSQL 65535).
size_t batch_rows(Dialect d) { return d == Dialect::kPostgres ? 1024 : 256; }

// Rows of the next statement when `remaining` rows are left: a full batch, else the largest power
// of two that fits. Each row count is a statement of its own in the connections' prepared
// statement caches (and on the PostgreSQL server), so the counts are kept to a few fixed ones
// instead of one per possible remainder.
size_t chunk_rows(size_t remaining, size_t batch) {
  return remaining >= batch ? batch : std::bit_floor(remaining);
}

const char* kAccountCols = "id, name, domain, created_at, created_by";
const char* kVaCols = "id, account_id, name, description, is_default, created_at, created_by";
const char* kPoolCols =
    "p.id, p.va_id, v.name, p.tag, p.display_name, p.kind, p.quantity, p.starts, p.ends, p.origin, p.created_at, "
    "p.updated_at";

SmartAccount account_of(const Row& r) { return {r.i64(0), r.str(1), r.str(2), r.i64(3), r.str(4)}; }

VirtualAccount va_of(const Row& r) {
  return {r.i64(0), r.i64(1), r.str(2), r.str(3), r.i64(4) != 0, r.i64(5), r.str(6)};
}

LicensePool pool_of(const Row& r) {
  LicensePool p;
  p.id = r.i64(0);
  p.va_id = r.i64(1);
  p.virtual_account = r.str(2);
  p.tag = r.str(3);
  p.display_name = r.str(4);
  p.kind = domain::parse_license_kind(r.str(5)).value_or(domain::LicenseKind::kPerpetual);
  p.quantity = r.i64(6);
  p.starts = r.i64(7);
  p.ends = r.i64(8);
  p.origin = domain::parse_pool_origin(r.str(9)).value_or(domain::PoolOrigin::kLocal);
  p.created_at = r.i64(10);
  p.updated_at = r.i64(11);
  return p;
}

Status change_one(Connection& c, const std::string& sql, const std::vector<Value>& params, const std::string& what) {
  auto n = c.exec(sql, params);
  if (!n) return fail(n.error());
  if (*n == 0) return fail(Error::not_found(what + " does not exist"));
  return {};
}

// "($1, $4, $5), ($1, $6, $7), …" for `rows` rows: each row is `shape` with every '#' replaced
// by the next parameter number, counting from after the `fixed` shared parameters.
std::string values_list(size_t rows, size_t fixed, const std::string& shape) {
  std::string out;
  size_t n = fixed;
  for (size_t r = 0; r < rows; ++r) {
    if (r) out += ", ";
    std::string row;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == '#') {
        row += '$';  // appended apart: GCC 12 warns falsely (-Wrestrict) on "$" + std::to_string(n)
        row += std::to_string(++n);
      } else {
        row += shape[i];
      }
    }
    out += row;
  }
  return out;
}

std::string key_of(const std::string& pid, const std::string& sn) { return pid + '\x1f' + sn; }

// On PostgreSQL, waits for the other writers of a smart account's devices and counts (usage
// reports, virtual account deletions) to commit, and keeps the next ones waiting until this
// transaction ends. Nothing on SQLite, whose writers take turns anyway.
Status lock_account_counts(Connection& c, int64_t account_id) {
  if (c.dialect() != Dialect::kPostgres) return {};
  auto r = c.query("SELECT id FROM smart_accounts WHERE id = $1 FOR NO KEY UPDATE", {account_id});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace

Result<SmartAccount> SqlStore::create_account(const SmartAccount& a, const Event& e) {
  SmartAccount out = a;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto rows = c.query("INSERT INTO smart_accounts (name, domain, created_at, created_by) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (name) DO NOTHING RETURNING id",
                        {a.name, a.domain, a.created_at, a.created_by});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return fail(Error::exists("smart account '" + a.name + "' already exists"));
    out.id = rows->front().i64(0);
    return insert_event(c, e);
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<SmartAccount>> SqlStore::find_account(const std::string& key) {
  std::optional<SmartAccount> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    // The name wins over a domain that happens to equal another account's name.
    auto rows = c.query(std::string("SELECT ") + kAccountCols +
                            " FROM smart_accounts WHERE name = $1 OR (domain = $1 AND domain <> '') "
                            "ORDER BY CASE WHEN name = $1 THEN 0 ELSE 1 END, id LIMIT 1",
                        {key});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = account_of(rows->front());
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<SmartAccount>> SqlStore::list_accounts() {
  std::vector<SmartAccount> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kAccountCols + " FROM smart_accounts ORDER BY name");
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) out.push_back(account_of(r));
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::update_account(const SmartAccount& a, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto taken = c.query("SELECT id FROM smart_accounts WHERE name = $1 AND id <> $2", {a.name, a.id});
    if (!taken) return fail(taken.error());
    if (!taken->empty()) return fail(Error::exists("smart account '" + a.name + "' already exists"));
    if (auto s = change_one(c, "UPDATE smart_accounts SET name = $1, domain = $2 WHERE id = $3", {a.name, a.domain, a.id},
                            "smart account '" + a.name + "'");
        !s)
      return s;
    return insert_event(c, e);
  });
}

Status SqlStore::delete_account(int64_t id, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c, "DELETE FROM smart_accounts WHERE id = $1", {id}, "smart account"); !s) return s;
    return insert_event(c, e);
  });
}

Result<VirtualAccount> SqlStore::create_virtual_account(const VirtualAccount& v, const Event& e) {
  VirtualAccount out = v;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto any = c.query("SELECT COUNT(*) FROM virtual_accounts WHERE account_id = $1", {v.account_id});
    if (!any) return fail(any.error());
    out.is_default = any->front().i64(0) == 0;
    auto rows = c.query(
        "INSERT INTO virtual_accounts (account_id, name, description, is_default, created_at, created_by) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, name) DO NOTHING RETURNING id",
        {v.account_id, v.name, v.description, int64_t{out.is_default}, v.created_at, v.created_by});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return fail(Error::exists("virtual account '" + v.name + "' already exists"));
    out.id = rows->front().i64(0);
    return insert_event(c, e);
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<VirtualAccount>> SqlStore::list_virtual_accounts(int64_t account_id) {
  std::vector<VirtualAccount> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kVaCols + " FROM virtual_accounts WHERE account_id = $1 ORDER BY name",
                        {account_id});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) out.push_back(va_of(r));
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<VirtualAccount>> SqlStore::find_virtual_account(int64_t account_id, const std::string& name) {
  std::optional<VirtualAccount> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kVaCols + " FROM virtual_accounts WHERE account_id = $1 AND name = $2",
                        {account_id, name});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = va_of(rows->front());
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::update_virtual_account(const VirtualAccount& v, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto taken = c.query("SELECT id FROM virtual_accounts WHERE account_id = $1 AND name = $2 AND id <> $3",
                         {v.account_id, v.name, v.id});
    if (!taken) return fail(taken.error());
    if (!taken->empty()) return fail(Error::exists("virtual account '" + v.name + "' already exists"));
    if (auto s = change_one(c, "UPDATE virtual_accounts SET name = $1, description = $2 WHERE id = $3",
                            {v.name, v.description, v.id}, "virtual account '" + v.name + "'");
        !s)
      return s;
    return insert_event(c, e);
  });
}

Status SqlStore::delete_virtual_account(int64_t va_id, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto owner = c.query("SELECT account_id FROM virtual_accounts WHERE id = $1", {va_id});
    if (!owner) return fail(owner.error());
    if (owner->empty()) return fail(Error::not_found("virtual account does not exist"));
    if (auto st = lock_account_counts(c, owner->front().i64(0)); !st) return st;
    // The virtual account's devices go with it (and their counter rows with its own): their
    // usage rows that count for another virtual account (older rows a report that moved the
    // device did not replace) leave those counters.
    auto elsewhere = c.query(
        "SELECT u.va_id, u.tag, CAST(SUM(u.count) AS BIGINT), COUNT(*) FROM devices d JOIN device_usage u ON u.device_id = d.id "
        "WHERE d.va_id = $1 AND u.va_id <> $1 GROUP BY u.va_id, u.tag",
        {va_id});
    if (!elsewhere) return fail(elsewhere.error());
    CountDeltas deltas;
    for (const Row& r : *elsewhere) deltas.usage_rows(r.i64(0), r.str(1), -r.i64(2), -r.i64(3));
    if (auto st = deltas.apply(c); !st) return st;
    // device_usage has no foreign key to its virtual account (it follows its device); the rows
    // that count for this one and their counters (by cascade) go.
    if (auto r = c.exec("DELETE FROM device_usage WHERE va_id = $1", {va_id}); !r) return fail(r.error());
    if (auto s = change_one(c, "DELETE FROM virtual_accounts WHERE id = $1", {va_id}, "virtual account"); !s) return s;
    return insert_event(c, e);
  });
}

Result<LicensePool> SqlStore::create_pool(const LicensePool& p, const Event& e) {
  LicensePool out = p;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto rows = c.query(
        "INSERT INTO license_pools (va_id, tag, display_name, kind, quantity, starts, ends, origin, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (va_id, tag) DO NOTHING RETURNING id",
        {p.va_id, p.tag, p.display_name, std::string(domain::license_kind_name(p.kind)), p.quantity, p.starts, p.ends,
         std::string(domain::pool_origin_name(p.origin)), p.created_at});
    if (!rows) return fail(rows.error());
    if (rows->empty())
      return fail(Error::exists("a license pool for tag '" + p.tag + "' already exists in virtual account '" +
                                p.virtual_account + "'"));
    out.id = rows->front().i64(0);
    out.updated_at = p.created_at;
    return insert_event(c, e);
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::update_pool(const LicensePool& p, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c,
                            "UPDATE license_pools SET display_name = $1, kind = $2, quantity = $3, starts = $4, ends = $5, "
                            "updated_at = $6 WHERE id = $7",
                            {p.display_name, std::string(domain::license_kind_name(p.kind)), p.quantity, p.starts, p.ends,
                             p.updated_at, p.id},
                            "license pool '" + p.tag + "'");
        !s)
      return s;
    return insert_event(c, e);
  });
}

Status SqlStore::delete_pool(int64_t pool_id, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c, "DELETE FROM license_pools WHERE id = $1", {pool_id}, "license pool"); !s) return s;
    return insert_event(c, e);
  });
}

Result<std::vector<LicensePool>> SqlStore::list_pools(int64_t account_id) {
  std::vector<LicensePool> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kPoolCols +
                            " FROM license_pools p JOIN virtual_accounts v ON v.id = p.va_id WHERE v.account_id = $1 "
                            "ORDER BY v.name, p.tag",
                        {account_id});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) out.push_back(pool_of(r));
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<domain::TagUsage>> SqlStore::usage_totals(int64_t account_id) {
  std::vector<domain::TagUsage> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    // The maintained counters (0009_maintained_counts.sql): a few rows per virtual account.
    auto rows = c.query(
        "SELECT u.va_id, u.tag, u.in_use FROM va_tag_usage u "
        "WHERE u.va_id IN (SELECT id FROM virtual_accounts WHERE account_id = $1) ORDER BY u.va_id, u.tag",
        {account_id});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) out.push_back({r.i64(0), r.str(1), r.i64(2)});
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<domain::DevicePage> SqlStore::list_devices(int64_t account_id, std::optional<int64_t> va_id, int64_t limit,
                                                  int64_t offset, std::optional<int64_t> after) {
  domain::DevicePage page;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    // One index range each: devices_va (va_id, id) or devices_account (account_id, id).
    std::string where = va_id ? "account_id = $1 AND va_id = $2" : "account_id = $1 AND $2 = 0";
    std::vector<Value> p = {account_id, va_id.value_or(0)};
    // The maintained device counts (0009_maintained_counts.sql), not a COUNT(*) over the devices.
    auto total = c.query(va_id ? "SELECT COALESCE(SUM(devices), 0) FROM va_devices WHERE va_id = $2 AND $1 = $1"
                               : "SELECT COALESCE(SUM(devices), 0) FROM va_devices WHERE va_id IN "
                                 "(SELECT id FROM virtual_accounts WHERE account_id = $1) AND $2 = 0",
                         p);
    if (!total) return fail(total.error());
    page.total = total->front().i64(0);
    // One device more than the page: whether another page follows.
    p.push_back(limit + 1);
    p.push_back(offset);
    p.push_back(after.value_or(0));
    auto rows = c.query(
        "SELECT d.id, d.pid, d.sn, d.hostname, v.name, d.last_report, u.tag, u.count FROM "
        "(SELECT id, va_id, pid, sn, hostname, last_report FROM devices WHERE " +
            where +
            " AND id > $5 ORDER BY id LIMIT $3 OFFSET $4) d "
            "JOIN virtual_accounts v ON v.id = d.va_id LEFT JOIN device_usage u ON u.device_id = d.id "
            "ORDER BY d.id, u.tag",
        p);
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      if (page.devices.empty() || page.devices.back().id != r.i64(0)) {
        DeviceRecord d;
        d.id = r.i64(0);
        d.pid = r.str(1);
        d.sn = r.str(2);
        d.hostname = r.str(3);
        d.virtual_account = r.str(4);
        d.last_report = r.i64(5);
        page.devices.push_back(std::move(d));
      }
      if (!r.is_null(6)) page.devices.back().licenses.push_back({r.str(6), r.i64(7)});
    }
    if (static_cast<int64_t>(page.devices.size()) > limit) {
      page.devices.pop_back();
      page.next = page.devices.back().id;
    }
    return {};
  });
  if (!s) return fail(s.error());
  return page;
}

Result<IngestOutcome> SqlStore::ingest_usage(const UsageIngest& in, const Event& e) {
  IngestOutcome out;
  const domain::UsageReport& rep = *in.report;
  const size_t batch = batch_rows(db_->dialect());
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    out = {};
    // The report row first: its unique (account, reportId) decides between a new report and a
    // repeat, also between two nodes racing on PostgreSQL (the second waits, then sees the first).
    auto made = c.query(
        "INSERT INTO usage_reports (account_id, va_id, report_id, manager, body_hash, period_start, period_end, "
        "devices, warnings, received_at, received_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (account_id, report_id) DO NOTHING RETURNING id",
        {in.account_id, in.va_id, rep.report_id, rep.manager, in.body_hash, rep.period_start, rep.period_end,
         static_cast<int64_t>(rep.devices.size()), join_lines(in.warnings), in.received_at, in.received_by});
    if (!made) return fail(made.error());
    if (made->empty()) {
      auto old = c.query("SELECT body_hash, devices, warnings, received_at FROM usage_reports "
                         "WHERE account_id = $1 AND report_id = $2",
                         {in.account_id, rep.report_id});
      if (!old) return fail(old.error());
      if (old->empty()) return fail(Error::unavailable("usage report '" + rep.report_id + "' vanished; send it again"));
      const Row& r = old->front();
      if (r.str(0) != in.body_hash)
        return fail(Error::conflict("usage report '" + rep.report_id +
                                    "' was already received with a different body; a new report needs a new reportId"));
      out.repeat = true;
      out.ack = {rep.report_id, r.i64(1), split_lines(r.str(2)), r.i64(3)};
      return {};
    }

    // The counts' deltas below come from the devices' state read before they are written. On
    // PostgreSQL (READ COMMITTED, several nodes) that state must not change under this report:
    // reports of one smart account (whose devices are its own) and deletions of its virtual
    // accounts take turns on the account's row. NO KEY UPDATE leaves the key-share locks of the
    // account's other writes free. SQLite has one writer at a time.
    if (auto st = lock_account_counts(c, in.account_id); !st) return st;

    // A device of this account with an id above the largest one before this report (read under
    // the lock above) is a device this report creates, which has no rows of older reports. On
    // SQLite (one writer, AUTOINCREMENT ids) the stale-tag DELETE below skips them too; on
    // PostgreSQL other accounts' concurrent reports take ids out of commit order, so that DELETE
    // looks at every device.
    auto top = c.query("SELECT COALESCE(MAX(id), 0) FROM devices", {});
    if (!top) return fail(top.error());
    const int64_t max_before = top->front().i64(0);
    const int64_t old_devices_below = db_->dialect() == Dialect::kSqlite ? max_before + 1 : INT64_MAX;

    // Devices, `batch` at a time: upsert, learn their ids and virtual accounts, move the devices
    // of other virtual accounts, read what their old counts were, then write their counts. The
    // upsert leaves va_id as it was so that RETURNING tells the virtual account a device leaves.
    const std::string dev_head =
        "INSERT INTO devices (account_id, va_id, last_report, last_report_id, pid, sn, hostname) VALUES ";
    const std::string dev_tail =
        " ON CONFLICT (account_id, pid, sn) DO UPDATE SET hostname = excluded.hostname, "
        "last_report_id = excluded.last_report_id, "
        "last_report = CASE WHEN excluded.last_report > devices.last_report THEN excluded.last_report "
        "ELSE devices.last_report END RETURNING id, pid, sn, va_id";
    const std::string use_head =
        "INSERT INTO device_usage (va_id, period_start, period_end, report_id, device_id, tag, count) VALUES ";
    const std::string use_tail =
        " ON CONFLICT (device_id, tag) DO UPDATE SET va_id = excluded.va_id, count = excluded.count, "
        "period_start = excluded.period_start, period_end = excluded.period_end, report_id = excluded.report_id "
        "WHERE device_usage.period_end <= excluded.period_end";
    // Statement texts by row count (see chunk_rows()).
    std::unordered_map<size_t, std::string> dev_sql, use_sql;
    auto sql_for = [](std::unordered_map<size_t, std::string>& cache, size_t n, auto make) -> const std::string& {
      auto it = cache.find(n);
      if (it == cache.end()) it = cache.emplace(n, make(n)).first;
      return it->second;
    };

    // The usage rows of stored devices before this report writes theirs, summed per (virtual
    // account, tag) for the rows that go, one by one for the rows newer than the report (rare).
    const std::string old_use_head =
        "SELECT CASE WHEN period_end <= $1 THEN 0 ELSE device_id END, va_id, tag, CAST(SUM(count) AS BIGINT), "
        "COUNT(*) FROM device_usage WHERE device_id IN (";
    const std::string old_use_tail = ") GROUP BY 1, 2, 3";
    const std::string move_head = "UPDATE devices SET va_id = $1 WHERE id IN (";
    std::unordered_map<size_t, std::string> old_use_sql, move_sql;
    // What this report changes in the maintained counts (maintained_counts.h). Every usage row of
    // a reported device whose period ends no later than the report's goes: the report overwrites
    // it or the stale-tag DELETE below removes it; a later one stays, and the report's count for
    // that (device, tag) is not written. The domain merged duplicate devices and tags first.
    CountDeltas deltas;
    std::set<std::pair<int64_t, std::string>> kept;  // (device id, tag) rows newer than the report
    std::vector<int64_t> stored, moved;              // the batch's devices stored before; those moving here
    // Runs `head` + "#, …)" + `tail` over `list`, in statements of chunk_rows() ids, after `first`.
    auto by_ids = [&](const std::vector<int64_t>& list, const Value& first, const std::string& head,
                      const std::string& tail, std::unordered_map<size_t, std::string>& cache,
                      const std::function<void(const Row&)>& each) -> Status {
      std::vector<Value> p;
      for (size_t from = 0, m; from < list.size(); from += m) {
        m = chunk_rows(list.size() - from, batch);
        p.assign(1, first);
        for (size_t k = from; k < from + m; ++k) p.emplace_back(list[k]);
        const auto& sql = sql_for(cache, m, [&](size_t k) { return head + values_list(k, 1, "#") + tail; });
        auto rows = c.query(sql, p);
        if (!rows) return fail(rows.error());
        for (const Row& r : *rows) each(r);
      }
      return {};
    };

    std::vector<Value> params;
    params.reserve(4 + 3 * batch);
    std::vector<std::pair<int64_t, const domain::TagCount*>> pending;  // (device id, count) to write
    pending.reserve(batch);
    std::vector<int64_t> ids;  // the ids of the current batch's devices, in report order
    std::unordered_map<std::string, size_t> slot_of;  // pid/sn -> place in the batch, when rows come back out of order

    auto flush_usage = [&]() -> Status {
      for (size_t from = 0, n; from < pending.size(); from += n) {
        n = chunk_rows(pending.size() - from, batch);
        params.clear();
        params.insert(params.end(), {in.va_id, rep.period_start, rep.period_end, rep.report_id});
        for (size_t k = from; k < from + n; ++k) {
          params.emplace_back(pending[k].first);
          params.emplace_back(pending[k].second->tag);
          params.emplace_back(pending[k].second->count);
        }
        const auto& sql = sql_for(use_sql, n, [&](size_t rows) {
          return use_head + values_list(rows, 4, "($1, $2, $3, $4, #, #, #)") + use_tail;
        });
        auto r = c.exec(sql, params);
        if (!r) return fail(r.error());
      }
      pending.clear();
      return {};
    };

    const auto& devs = rep.devices;
    for (size_t start = 0, n; start < devs.size(); start += n) {
      n = chunk_rows(devs.size() - start, batch);
      params.clear();
      params.insert(params.end(), {in.account_id, in.va_id, in.received_at, rep.report_id});
      for (size_t i = start; i < start + n; ++i) {
        params.emplace_back(devs[i].pid);
        params.emplace_back(devs[i].sn);
        params.emplace_back(devs[i].hostname);
      }
      const auto& sql = sql_for(dev_sql, n, [&](size_t k) {
        return dev_head + values_list(k, 4, "($1, $2, $3, $4, #, #, #)") + dev_tail;
      });
      auto rows = c.query(sql, params);
      if (!rows) return fail(rows.error());
      // RETURNING promises no order; both engines keep the VALUES order, which is checked row by
      // row, with a lookup by pid/sn for any row that is elsewhere.
      ids.assign(n, -1);
      slot_of.clear();
      stored.clear();
      moved.clear();
      for (size_t k = 0; k < rows->size(); ++k) {
        const Row& r = (*rows)[k];
        const auto* pid = std::get_if<std::string>(&r.cols.at(1));
        const auto* sn = std::get_if<std::string>(&r.cols.at(2));
        size_t at = k;
        if (!(k < n && pid && sn && *pid == devs[start + k].pid && *sn == devs[start + k].sn)) {
          if (slot_of.empty())
            for (size_t i = 0; i < n; ++i) slot_of.emplace(key_of(devs[start + i].pid, devs[start + i].sn), i);
          auto it = slot_of.find(key_of(r.str(1), r.str(2)));
          if (it == slot_of.end()) continue;
          at = it->second;
        }
        if (ids[at] >= 0) continue;
        ids[at] = r.i64(0);
        const int64_t was_in = r.i64(3);
        if (ids[at] > max_before) {
          deltas.device(in.va_id, +1);
          continue;
        }
        stored.push_back(ids[at]);
        if (was_in != in.va_id) {
          moved.push_back(ids[at]);
          deltas.device(was_in, -1);
          deltas.device(in.va_id, +1);
        }
      }
      if (auto st = by_ids(moved, in.va_id, move_head, ") RETURNING id", move_sql, [](const Row&) {}); !st) return st;
      if (auto st = by_ids(stored, rep.period_end, old_use_head, old_use_tail, old_use_sql,
                           [&](const Row& r) {
                             if (r.i64(0) == 0)
                               deltas.usage_rows(r.i64(1), r.str(2), -r.i64(3), -r.i64(4));
                             else
                               kept.emplace(r.i64(0), r.str(2));
                           });
          !st)
        return st;
      for (size_t i = 0; i < n; ++i) {
        const auto& d = devs[start + i];
        if (ids[i] < 0) return fail(Error::internal("device " + d.pid + "/" + d.sn + " was not stored"));
        for (const auto& tc : d.licenses) {
          if (kept.empty() || !kept.count({ids[i], tc.tag})) deltas.usage_row(in.va_id, tc.tag, tc.count, +1);
          pending.emplace_back(ids[i], &tc);
          if (pending.size() >= batch)
            if (auto st = flush_usage(); !st) return st;
        }
      }
    }
    if (auto st = flush_usage(); !st) return st;
    // Tags the report's devices no longer report (rows of theirs from older reports) are no
    // longer in use. One statement for the whole report: per-batch deletes would be planned
    // against the statistics of a table that is growing inside this transaction.
    auto stale = c.exec(
        "DELETE FROM device_usage WHERE report_id <> $1 AND period_end <= $2 AND device_id < $4 AND device_id IN "
        "(SELECT id FROM devices WHERE account_id = $3 AND last_report_id = $1 AND id < $4)",
        {rep.report_id, rep.period_end, in.account_id, old_devices_below});
    if (!stale) return fail(stale.error());
    if (auto st = deltas.apply(c); !st) return st;
    if (auto st = record_usage_history(c, in); !st) return st;
    out.ack = {rep.report_id, static_cast<int64_t>(devs.size()), in.warnings, in.received_at};
    return insert_event(c, e);
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<domain::UsageAck>> SqlStore::find_usage_report(int64_t account_id, const std::string& report_id) {
  std::optional<domain::UsageAck> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT devices, warnings, received_at FROM usage_reports WHERE account_id = $1 AND report_id = $2",
                        {account_id, report_id});
    if (!rows) return fail(rows.error());
    if (!rows->empty())
      out = domain::UsageAck{report_id, rows->front().i64(0), split_lines(rows->front().str(1)), rows->front().i64(2)};
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<domain::RegistrationToken>> SqlStore::list_registration_tokens(int64_t va_id) {
  std::vector<domain::RegistrationToken> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(
        "SELECT t.id, t.va_id, v.name, t.hint, t.description, t.expires, t.created_at, t.created_by "
        "FROM registration_tokens t JOIN virtual_accounts v ON v.id = t.va_id WHERE t.va_id = $1 ORDER BY t.id",
        {va_id});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows)
      out.push_back({r.i64(0), r.i64(1), r.str(2), r.str(3), r.str(4), r.i64(5), r.i64(6), r.str(7)});
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<domain::RegistrationToken> SqlStore::create_registration_token(const domain::RegistrationToken& t,
                                                                      const std::string& token_hash, const Event& e) {
  domain::RegistrationToken out = t;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto rows = c.query(
        "INSERT INTO registration_tokens (va_id, token_hash, hint, description, expires, created_at, created_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        {t.va_id, token_hash, t.hint, t.description, t.expires, t.created_at, t.created_by});
    if (!rows) return fail(rows.error());
    out.id = rows->front().i64(0);
    return insert_event(c, e);
  });
  if (!s) return fail(s.error());
  return out;
}

}  // namespace licsat::store
