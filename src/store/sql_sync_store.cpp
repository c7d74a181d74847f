// SyncStore in portable SQL, over the license database's tables and 0003_sync.sql's.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "store/line_list.h"
#include "store/sql_store.h"
#include "store/sync_store.h"

namespace licsat::store {
namespace {

class SqlSyncStore final : public SyncStore {
 public:
  explicit SqlSyncStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<std::vector<PendingReport>> unqueued_reports(int64_t limit) override {
    std::vector<PendingReport> out;
    auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
      out.clear();
      auto rows = c.query(
          "SELECT r.id, a.name, v.name, r.report_id, r.manager, r.period_start, r.period_end, r.received_at, "
          "r.account_id, r.va_id FROM usage_reports r JOIN smart_accounts a ON a.id = r.account_id "
          "JOIN virtual_accounts v ON v.id = r.va_id WHERE r.forwarded_at IS NULL AND NOT EXISTS "
          "(SELECT 1 FROM sync_outbox o WHERE o.usage_report_id = r.id) ORDER BY r.id LIMIT $1",
          {limit});
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows) {
        PendingReport p;
        p.id = r.i64(0);
        p.account = r.str(1);
        p.virtual_account = r.str(2);
        p.report_id = r.str(3);
        p.manager = r.str(4);
        p.period_start = r.i64(5);
        p.period_end = r.i64(6);
        int64_t received_at = r.i64(7), account_id = r.i64(8), va_id = r.i64(9);
        // The devices whose latest counts this report still holds (a later report of a device
        // carries that device instead) …
        auto used = c.query(
            "SELECT d.id, d.pid, d.sn, d.hostname, u.tag, u.count FROM device_usage u JOIN devices d ON d.id = u.device_id "
            "WHERE u.report_id = $1 AND d.account_id = $2 ORDER BY d.id, u.tag",
            {p.report_id, account_id});
        if (!used) return fail(used.error());
        int64_t last = -1;
        for (const auto& u : *used) {
          if (u.i64(0) != last) {
            p.devices.push_back({u.str(1), u.str(2), u.str(3), {}});
            last = u.i64(0);
          }
          p.devices.back().licenses.emplace_back(u.str(4), u.i64(5));
        }
        // … and the devices it reported with no licenses at all (they hold no usage row).
        auto bare = c.query(
            "SELECT d.pid, d.sn, d.hostname FROM devices d WHERE d.account_id = $1 AND d.va_id = $2 AND "
            "d.last_report = $3 AND NOT EXISTS (SELECT 1 FROM device_usage u WHERE u.device_id = d.id) ORDER BY d.id",
            {account_id, va_id, received_at});
        if (!bare) return fail(bare.error());
        for (const auto& b : *bare) p.devices.push_back({b.str(0), b.str(1), b.str(2), {}});
        out.push_back(std::move(p));
      }
      return {};
    });
    if (!s) return fail(s.error());
    return out;
  }

  Status add_to_outbox(const std::vector<OutboxEntry>& entries) override {
    if (entries.empty()) return {};
    return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      for (const auto& e : entries) {
        auto r = c.exec(
            "INSERT INTO sync_outbox (usage_report_id, account, virtual_account, forward_id, body, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (usage_report_id) DO NOTHING",
            {e.usage_report_id, e.account, e.virtual_account, e.forward_id, e.body, e.created_at});
        if (!r) return fail(r.error());
      }
      return {};
    });
  }

  Result<std::vector<OutboxEntry>> outbox(int64_t limit) override {
    std::vector<OutboxEntry> out;
    auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
      out.clear();
      auto rows = c.query(
          "SELECT usage_report_id, account, virtual_account, forward_id, body, created_at FROM sync_outbox "
          "ORDER BY usage_report_id LIMIT $1",
          {limit});
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows) out.push_back({r.i64(0), r.str(1), r.str(2), r.str(3), r.str(4), r.i64(5)});
      return {};
    });
    if (!s) return fail(s.error());
    return out;
  }

  Result<bool> mark_forwarded(const std::string& forward_id, int64_t now) override {
    bool found = false;
    auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      auto rows = c.query("SELECT usage_report_id FROM sync_outbox WHERE forward_id = $1", {forward_id});
      if (!rows) return fail(rows.error());
      found = !rows->empty();
      if (!found) return {};
      int64_t id = rows->front().i64(0);
      if (auto r = c.exec("UPDATE usage_reports SET forwarded_at = $1 WHERE id = $2 AND forwarded_at IS NULL", {now, id});
          !r)
        return fail(r.error());
      if (auto r = c.exec("DELETE FROM sync_outbox WHERE usage_report_id = $1", {id}); !r) return fail(r.error());
      return {};
    });
    if (!s) return fail(s.error());
    return found;
  }

  Result<int64_t> pending_count() override {
    int64_t n = 0;
    auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
      auto rows = c.query("SELECT COUNT(*) FROM usage_reports WHERE forwarded_at IS NULL");
      if (!rows) return fail(rows.error());
      n = rows->front().i64(0);
      return {};
    });
    if (!s) return fail(s.error());
    return n;
  }

  Result<MirrorChange> mirror_account(const std::string& account, const std::string& domain,
                                      const std::vector<std::string>& virtual_accounts,
                                      const std::vector<MirrorPool>& pools, int64_t now,
                                      const domain::Event& e) override {
    MirrorChange out;
    auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      out = {};
      const std::string by = "upstream sync";
      auto acc = c.query("SELECT id FROM smart_accounts WHERE name = $1", {account});
      if (!acc) return fail(acc.error());
      int64_t account_id;
      if (acc->empty()) {
        auto made = c.query(
            "INSERT INTO smart_accounts (name, domain, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
            {account, domain, now, by});
        if (!made) return fail(made.error());
        account_id = made->front().i64(0);
        out.account_added = true;
      } else {
        account_id = acc->front().i64(0);
      }

      // Virtual accounts: the authority's, and any a pool names.
      std::vector<std::string> vas = virtual_accounts;
      for (const auto& p : pools)
        if (std::find(vas.begin(), vas.end(), p.virtual_account) == vas.end()) vas.push_back(p.virtual_account);
      std::map<std::string, int64_t> va_id;
      auto have = c.query("SELECT id, name FROM virtual_accounts WHERE account_id = $1", {account_id});
      if (!have) return fail(have.error());
      for (const auto& r : *have) va_id[r.str(1)] = r.i64(0);
      for (const auto& name : vas) {
        if (va_id.count(name)) continue;
        auto made = c.query(
            "INSERT INTO virtual_accounts (account_id, name, description, is_default, created_at, created_by) "
            "VALUES ($1, $2, '', $3, $4, $5) RETURNING id",
            {account_id, name, int64_t{va_id.empty() ? 1 : 0}, now, by});
        if (!made) return fail(made.error());
        va_id[name] = made->front().i64(0);
        ++out.virtual_accounts_added;
      }

      // Pools: (virtual account, tag) → what is here.
      struct Here {
        int64_t id;
        std::string display_name, kind, origin;
        int64_t quantity, starts, ends;
      };
      std::map<std::pair<std::string, std::string>, Here> here;
      auto rows = c.query(
          "SELECT p.id, v.name, p.tag, p.display_name, p.kind, p.quantity, p.starts, p.ends, p.origin FROM license_pools p "
          "JOIN virtual_accounts v ON v.id = p.va_id WHERE v.account_id = $1",
          {account_id});
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows)
        here[{r.str(1), r.str(2)}] = Here{r.i64(0), r.str(3), r.str(4), r.str(8), r.i64(5), r.i64(6), r.i64(7)};

      std::set<std::pair<std::string, std::string>> wanted;
      for (const auto& p : pools) {
        auto key = std::make_pair(p.virtual_account, p.tag);
        wanted.insert(key);
        auto it = here.find(key);
        if (it == here.end()) {
          auto r = c.exec(
              "INSERT INTO license_pools (va_id, tag, display_name, kind, quantity, starts, ends, origin, created_at, "
              "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'upstream', $8, $8)",
              {va_id[p.virtual_account], p.tag, p.display_name, p.kind, p.quantity, p.starts, p.ends, now});
          if (!r) return fail(r.error());
          ++out.added;
          continue;
        }
        const Here& h = it->second;
        if (h.origin != "upstream") {
          out.conflicts.push_back(p.virtual_account + "/" + p.tag);
          continue;
        }
        if (std::tie(h.display_name, h.kind, h.quantity, h.starts, h.ends) ==
            std::tie(p.display_name, p.kind, p.quantity, p.starts, p.ends))
          continue;
        auto r = c.exec(
            "UPDATE license_pools SET display_name = $1, kind = $2, quantity = $3, starts = $4, ends = $5, "
            "updated_at = $6 WHERE id = $7",
            {p.display_name, p.kind, p.quantity, p.starts, p.ends, now, h.id});
        if (!r) return fail(r.error());
        ++out.changed;
      }
      for (const auto& [key, h] : here) {
        if (h.origin != "upstream" || wanted.count(key)) continue;
        auto r = c.exec("DELETE FROM license_pools WHERE id = $1", {h.id});
        if (!r) return fail(r.error());
        ++out.removed;
      }
      if (out.account_added || out.virtual_accounts_added || out.added || out.changed || out.removed) {
        domain::Event ev = e;
        ev.detail += ": " + std::to_string(out.added) + " pools added, " + std::to_string(out.changed) + " changed, " +
                     std::to_string(out.removed) + " removed";
        if (out.account_added) ev.detail += "; smart account created";
        if (out.virtual_accounts_added)
          ev.detail += "; " + std::to_string(out.virtual_accounts_added) + " virtual accounts created";
        return insert_event(c, ev);
      }
      return {};
    });
    if (!s) return fail(s.error());
    return out;
  }

  Status record_request(const OfflineRequestRecord& r) override {
    return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      auto x = c.exec("INSERT INTO sync_requests (nonce, created_at, forward_ids) VALUES ($1, $2, $3)",
                      {r.nonce, r.created_at, join_lines(r.forward_ids)});
      if (!x) return fail(x.error());
      return {};
    });
  }

  Result<std::optional<OfflineRequestRecord>> find_request(const std::string& nonce) override {
    std::optional<OfflineRequestRecord> out;
    auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
      auto rows = c.query("SELECT nonce, created_at, forward_ids, answered_at FROM sync_requests WHERE nonce = $1", {nonce});
      if (!rows) return fail(rows.error());
      if (rows->empty()) return {};
      const Row& r = rows->front();
      OfflineRequestRecord rec{r.str(0), r.i64(1), split_lines(r.str(2), /*skip_empty=*/true), std::nullopt};
      if (!r.is_null(3)) rec.answered_at = r.i64(3);
      out = std::move(rec);
      return {};
    });
    if (!s) return fail(s.error());
    return out;
  }

  Result<bool> mark_request_answered(const std::string& nonce, const std::string& answer_nonce, int64_t now) override {
    bool changed = false;
    auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
      auto n = c.exec("UPDATE sync_requests SET answered_at = $1, answer_nonce = $2 WHERE nonce = $3 AND answered_at IS NULL",
                      {now, answer_nonce, nonce});
      if (!n) return fail(n.error());
      changed = *n > 0;
      return {};
    });
    if (!s) return fail(s.error());
    return changed;
  }

  Result<bool> answer_applied(const std::string& answer_nonce) override {
    bool found = false;
    auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
      auto rows = c.query("SELECT 1 FROM sync_requests WHERE answer_nonce = $1", {answer_nonce});
      if (!rows) return fail(rows.error());
      found = !rows->empty();
      return {};
    });
    if (!s) return fail(s.error());
    return found;
  }

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace

std::unique_ptr<SyncStore> make_sql_sync_store(std::shared_ptr<Database> db) {
  return std::make_unique<SqlSyncStore>(std::move(db));
}

}  // namespace licsat::store
