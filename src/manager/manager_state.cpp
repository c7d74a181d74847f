#include "manager/manager_state.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

namespace licsat::manager {
namespace {

using nlohmann::json;
using store::Connection;
using store::Row;
using store::TxMode;
using store::Value;

// Schema steps; step i brings the schema from version i to i+1. Only append.
const std::vector<const char*>& schema_steps() {
  static const std::vector<const char*> steps = {
      R"sql(
CREATE TABLE IF NOT EXISTS devices (
  pid TEXT NOT NULL, sn TEXT NOT NULL, hostname TEXT NOT NULL, virtual_account TEXT NOT NULL,
  account TEXT NOT NULL, licenses TEXT NOT NULL, imported_at INTEGER NOT NULL,
  PRIMARY KEY (pid, sn));
CREATE TABLE IF NOT EXISTS usage_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  report_id TEXT NOT NULL UNIQUE,
  requested_account TEXT NOT NULL,
  account TEXT NOT NULL,
  virtual_account TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  sent_at INTEGER,
  via TEXT NOT NULL DEFAULT '',
  ack TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS usage_outbox_unsent ON usage_outbox (sent_at, seq);
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY, body TEXT NOT NULL, synced_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS license_pools (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, virtual_account TEXT NOT NULL,
  tag TEXT NOT NULL, body TEXT NOT NULL, synced_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL DEFAULT 0,
  mode TEXT NOT NULL, server TEXT NOT NULL, outcome TEXT NOT NULL, failure_class TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '', reports_sent INTEGER NOT NULL DEFAULT 0, pools INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS trusted_key (
  id INTEGER PRIMARY KEY CHECK (id = 1), server TEXT NOT NULL, public_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL, pinned_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS offline_requests (
  nonce TEXT PRIMARY KEY, created_at INTEGER NOT NULL, report_ids TEXT NOT NULL,
  answered_at INTEGER NOT NULL DEFAULT 0);
)sql",
  };
  return steps;
}

std::string licenses_text(const std::vector<DeviceLicense>& ls) {
  json a = json::array();
  for (const auto& l : ls) a.push_back({{"tag", l.tag}, {"count", l.count}});
  return a.dump();
}

std::vector<DeviceLicense> licenses_of(const std::string& text) {
  std::vector<DeviceLicense> out;
  auto a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& l : a) out.push_back({l.value("tag", ""), l.value("count", int64_t{0})});
  return out;
}

Result<std::string> get_meta(Connection& c, const std::string& key) {
  auto rows = c.query("SELECT value FROM manager_meta WHERE key = $1", {key});
  if (!rows) return fail(rows.error());
  return rows->empty() ? std::string() : (*rows)[0].str(0);
}

Status set_meta(Connection& c, const std::string& key, const std::string& value) {
  auto r = c.exec("INSERT INTO manager_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
                  {key, value});
  if (!r) return fail(r.error());
  return {};
}

const char* kReportColumns =
    "requested_account, account, virtual_account, body, created_at, attempts, last_error, COALESCE(sent_at, 0), via";

Result<QueuedReport> report_of(const Row& r) {
  QueuedReport q;
  q.account = r.str(1).empty() ? r.str(0) : r.str(1);
  q.virtual_account = r.str(2);
  auto j = json::parse(r.str(3), nullptr, false);
  auto rep = usage_report_from_json(j);
  if (!rep) return fail(Error::internal("a queued report in the state is damaged: " + rep.error().message));
  q.report = std::move(*rep);
  q.created_at = r.i64(4);
  q.attempts = r.i64(5);
  q.last_error = r.str(6);
  q.sent_at = r.i64(7);
  q.via = r.str(8);
  return q;
}

// Stores accounts and replaces the pools of every account the answer covers.
Status write_view(Connection& c, const std::vector<Account>& accounts, const std::vector<LicensePool>& pools,
                  int64_t now) {
  for (const auto& a : accounts) {
    auto r = c.exec(
        "INSERT INTO accounts (name, body, synced_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (name) DO UPDATE SET body = $2, synced_at = $3",
        {a.name, to_json(a).dump(), now});
    if (!r) return fail(r.error());
  }
  std::vector<std::string> seen;
  for (const auto& a : accounts) seen.push_back(a.name);
  for (const auto& p : pools)
    if (std::find(seen.begin(), seen.end(), p.account) == seen.end()) seen.push_back(p.account);
  for (const auto& name : seen)
    if (auto r = c.exec("DELETE FROM license_pools WHERE account = $1", {name}); !r) return fail(r.error());
  for (const auto& p : pools) {
    auto r = c.exec(
        "INSERT INTO license_pools (account, virtual_account, tag, body, synced_at) VALUES ($1, $2, $3, $4, $5)",
        {p.account, p.virtual_account, p.tag, to_json(p).dump(), now});
    if (!r) return fail(r.error());
  }
  return {};
}

}  // namespace

std::string new_report_id() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = crypto::to_hex(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

Result<std::unique_ptr<ManagerState>> ManagerState::open(const std::string& dir, const Clock& clock) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Error::unavailable("cannot create the state directory '" + dir + "': " + ec.message()));
  std::string path = dir + "/manager.db";
  if (::access(dir.c_str(), W_OK) != 0)
    return fail(Error::unavailable("the state directory '" + dir + "' is not writable"));
  // The state holds this manager's signing key: owner-only, whatever the umask (SQLite gives its
  // -wal and -shm files the database file's mode).
  if (int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  auto db = store::open_sqlite(path);
  if (!db) return fail(Error::unavailable("cannot open the state database " + path + ": " + db.error().message));
  std::unique_ptr<ManagerState> s(new ManagerState(std::move(*db), clock));
  if (auto m = s->migrate(); !m) return fail(m.error());
  return s;
}

Status ManagerState::migrate() {
  return db_->transact(TxMode::kWrite, [](Connection& c) -> Status {
    if (auto s = c.exec_script("CREATE TABLE IF NOT EXISTS manager_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);");
        !s)
      return s;
    auto v = get_meta(c, "schema_version");
    if (!v) return fail(v.error());
    int64_t have = v->empty() ? 0 : std::stoll(*v);
    const auto& steps = schema_steps();
    if (have > static_cast<int64_t>(steps.size()))
      return fail(Error::invalid("the state was written by a newer licsat (schema version " + *v +
                                 "); use that version or another --state directory"));
    for (auto i = static_cast<size_t>(have); i < steps.size(); ++i)
      if (auto s = c.exec_script(steps[i]); !s) return s;
    return set_meta(c, "schema_version", std::to_string(steps.size()));
  });
}

Status ManagerState::replace_devices(const std::vector<Device>& devices) {
  int64_t now = clock_.now();
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto r = c.exec("DELETE FROM devices"); !r) return fail(r.error());
    for (const auto& d : devices) {
      auto r = c.exec(
          "INSERT INTO devices (pid, sn, hostname, virtual_account, account, licenses, imported_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {d.pid, d.sn, d.hostname, d.virtual_account, d.account, licenses_text(d.licenses), now});
      if (!r) return fail(r.error());
    }
    return {};
  });
}

Result<std::vector<Device>> ManagerState::devices() {
  std::vector<Device> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(
        "SELECT pid, sn, hostname, virtual_account, account, licenses FROM devices "
        "ORDER BY account, virtual_account, pid, sn");
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows)
      out.push_back({r.str(0), r.str(1), r.str(2), r.str(3), r.str(4), licenses_of(r.str(5))});
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<QueuedReport>> ManagerState::queue_usage(const std::string& manager_name) {
  auto devs = devices();
  if (!devs) return fail(devs.error());
  std::map<std::pair<std::string, std::string>, std::vector<Device>> groups;
  for (auto& d : *devs) {
    std::sort(d.licenses.begin(), d.licenses.end(), [](const auto& a, const auto& b) { return a.tag < b.tag; });
    groups[{d.account, d.virtual_account}].push_back(d);
  }
  std::vector<QueuedReport> made;
  int64_t now = clock_.now();
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    made.clear();
    for (const auto& [key, group] : groups) {
      const auto& [account, va] = key;
      UsageReport content;
      content.devices = group;
      std::string hash = crypto::sha256_hex(to_json(content)["devices"].dump());
      auto newest = c.query(
          "SELECT content_hash FROM usage_outbox WHERE requested_account = $1 AND virtual_account = $2 "
          "AND sent_at IS NULL ORDER BY seq DESC LIMIT 1",
          {account, va});
      if (!newest) return fail(newest.error());
      if (!newest->empty() && (*newest)[0].str(0) == hash) continue;
      auto last = c.query(
          "SELECT body FROM usage_outbox WHERE requested_account = $1 AND virtual_account = $2 ORDER BY seq DESC LIMIT 1",
          {account, va});
      if (!last) return fail(last.error());
      int64_t start = 0;
      if (!last->empty()) {
        auto prev = usage_report_from_json(json::parse((*last)[0].str(0), nullptr, false));
        if (prev) start = prev->period_end;
      }
      if (start == 0) {
        auto first = c.query("SELECT MIN(imported_at) FROM devices WHERE virtual_account = $1", {va});
        if (!first) return fail(first.error());
        start = first->empty() ? now : (*first)[0].i64(0);
      }
      QueuedReport q;
      q.account = account;
      q.virtual_account = va;
      q.report = UsageReport{new_report_id(), manager_name, std::min(start, now), now, group};
      q.created_at = now;
      auto r = c.exec(
          "INSERT INTO usage_outbox (report_id, requested_account, account, virtual_account, content_hash, body, "
          "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {q.report.report_id, account, account, va, hash, to_json(q.report).dump(), now});
      if (!r) return fail(r.error());
      made.push_back(std::move(q));
    }
    return {};
  });
  if (!s) return fail(s.error());
  return made;
}

Result<std::vector<QueuedReport>> ManagerState::pending() {
  std::vector<QueuedReport> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kReportColumns + " FROM usage_outbox WHERE sent_at IS NULL ORDER BY seq");
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      auto q = report_of(r);
      if (!q) return fail(q.error());
      out.push_back(std::move(*q));
    }
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<QueuedReport>> ManagerState::report(const std::string& report_id) {
  std::optional<QueuedReport> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kReportColumns + " FROM usage_outbox WHERE report_id = $1", {report_id});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return {};
    auto q = report_of((*rows)[0]);
    if (!q) return fail(q.error());
    out = std::move(*q);
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status ManagerState::set_report_account(const std::string& report_id, const std::string& account) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec("UPDATE usage_outbox SET account = $2 WHERE report_id = $1", {report_id, account});
    if (!r) return fail(r.error());
    return {};
  });
}

Status ManagerState::note_attempt(const std::string& report_id, const std::string& error) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec("UPDATE usage_outbox SET attempts = attempts + 1, last_error = $2 WHERE report_id = $1",
                    {report_id, error});
    if (!r) return fail(r.error());
    return {};
  });
}

Status ManagerState::mark_sent(const std::string& report_id, const Acknowledgement& ack, const std::string& via) {
  int64_t now = clock_.now();
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec(
        "UPDATE usage_outbox SET sent_at = $2, via = $3, ack = $4, last_error = '' WHERE report_id = $1 AND sent_at IS NULL",
        {report_id, now, via, to_json(ack).dump()});
    if (!r) return fail(r.error());
    return {};
  });
}

Status ManagerState::save_view(const std::vector<Account>& accounts, const std::vector<LicensePool>& pools) {
  int64_t now = clock_.now();
  return db_->transact(TxMode::kWrite, [&](Connection& c) { return write_view(c, accounts, pools, now); });
}

Result<std::vector<Account>> ManagerState::accounts() {
  std::vector<Account> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT body FROM accounts ORDER BY name");
    if (!rows) return fail(rows.error());
    json list = json::array();
    for (const auto& r : *rows) list.push_back(json::parse(r.str(0), nullptr, false));
    auto a = accounts_from_json(json{{"accounts", list}});
    if (!a) return fail(Error::internal("the stored accounts are damaged: " + a.error().message));
    out = std::move(*a);
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<LicensePool>> ManagerState::pools() {
  std::vector<LicensePool> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT account, body FROM license_pools ORDER BY account, virtual_account, tag, seq");
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      auto p = license_pool_from_json(json::parse(r.str(1), nullptr, false), r.str(0));
      if (!p) return fail(Error::internal("a stored license pool is damaged: " + p.error().message));
      out.push_back(std::move(*p));
    }
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<int64_t> ManagerState::begin_sync(const std::string& mode, const std::string& server) {
  int64_t id = 0;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto rows = c.query(
        "INSERT INTO sync_history (started_at, mode, server, outcome) VALUES ($1, $2, $3, 'running') RETURNING id",
        {clock_.now(), mode, server});
    if (!rows) return fail(rows.error());
    id = (*rows)[0].i64(0);
    return {};
  });
  if (!s) return fail(s.error());
  return id;
}

Status ManagerState::finish_sync(int64_t id, const std::string& outcome, const std::string& failure_class,
                                 const std::string& message, int64_t reports_sent,
                                 const std::vector<LicensePool>& pools) {
  json result = json::array();
  for (const auto& p : pools) result.push_back(to_json(p));
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec(
        "UPDATE sync_history SET finished_at = $2, outcome = $3, failure_class = $4, message = $5, reports_sent = $6, "
        "pools = $7, result = $8 WHERE id = $1",
        {id, clock_.now(), outcome, failure_class, message, reports_sent, static_cast<int64_t>(pools.size()),
         result.dump()});
    if (!r) return fail(r.error());
    return {};
  });
}

Result<std::vector<SyncRecord>> ManagerState::history(int64_t limit) {
  std::vector<SyncRecord> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(
        "SELECT id, started_at, finished_at, mode, server, outcome, failure_class, message, reports_sent, pools "
        "FROM sync_history ORDER BY id DESC LIMIT $1",
        {limit});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows)
      out.push_back({r.i64(0), r.i64(1), r.i64(2), r.str(3), r.str(4), r.str(5), r.str(6), r.str(7), r.i64(8), r.i64(9)});
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status ManagerState::pin_key(const std::string& server, const std::string& raw_public_key) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec(
        "INSERT INTO trusted_key (id, server, public_key, fingerprint, pinned_at) VALUES (1, $1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET server = $1, public_key = $2, fingerprint = $3, pinned_at = $4",
        {server, crypto::to_hex(raw_public_key), crypto::sha256_hex(raw_public_key), clock_.now()});
    if (!r) return fail(r.error());
    return {};
  });
}

Result<std::optional<PinnedKey>> ManagerState::pinned_key() {
  std::optional<PinnedKey> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT server, public_key, fingerprint, pinned_at FROM trusted_key WHERE id = 1");
    if (!rows) return fail(rows.error());
    if (rows->empty()) return {};
    auto raw = crypto::from_hex((*rows)[0].str(1));
    if (!raw || raw->size() != 32) return fail(Error::internal("the pinned server key in the state is damaged"));
    out = PinnedKey{(*rows)[0].str(0), *raw, (*rows)[0].str(2), (*rows)[0].i64(3)};
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<crypto::SigningKey> ManagerState::manager_key() {
  crypto::SigningKey key;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto have = get_meta(c, "signing_key");
    if (!have) return fail(have.error());
    if (have->empty()) {
      key = crypto::generate_signing_key();
      return set_meta(c, "signing_key", crypto::to_hex(key.secret_key));
    }
    auto raw = crypto::from_hex(*have);
    if (!raw || raw->size() != 64) return fail(Error::internal("the manager's key in the state is damaged"));
    key.secret_key = *raw;
    key.public_key = raw->substr(32);
    return {};
  });
  if (!s) return fail(s.error());
  return key;
}

Result<std::string> ManagerState::manager_name(const std::string& wanted) {
  std::string name;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto have = get_meta(c, "manager_name");
    if (!have) return fail(have.error());
    name = !wanted.empty() ? wanted : *have;
    if (name.empty()) {
      char host[256] = {0};
      ::gethostname(host, sizeof host - 1);
      name = host[0] ? host : "licsat-manager";
    }
    if (name != *have) return set_meta(c, "manager_name", name);
    return {};
  });
  if (!s) return fail(s.error());
  return name;
}

Status ManagerState::record_request(const RequestRecord& r) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto x = c.exec("INSERT INTO offline_requests (nonce, created_at, report_ids) VALUES ($1, $2, $3)",
                    {r.nonce, r.created_at, json(r.report_ids).dump()});
    if (!x) return fail(x.error());
    return {};
  });
}

Result<std::optional<RequestRecord>> ManagerState::request(const std::string& nonce) {
  std::optional<RequestRecord> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT nonce, created_at, report_ids, answered_at FROM offline_requests WHERE nonce = $1", {nonce});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return {};
    RequestRecord r{(*rows)[0].str(0), (*rows)[0].i64(1), {}, (*rows)[0].i64(3)};
    auto ids = json::parse((*rows)[0].str(2), nullptr, false);
    if (ids.is_array())
      for (const auto& i : ids) r.report_ids.push_back(i.get<std::string>());
    out = std::move(r);
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status ManagerState::apply_answer(const std::string& request_nonce, const std::vector<Acknowledgement>& acks,
                                  const std::vector<Account>& accounts, const std::vector<LicensePool>& pools,
                                  int64_t answer_created) {
  int64_t now = clock_.now();
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    // Only one import of an answer can win, even when two run at once.
    auto claimed = c.exec("UPDATE offline_requests SET answered_at = $2 WHERE nonce = $1 AND answered_at = 0",
                          {request_nonce, now});
    if (!claimed) return fail(claimed.error());
    if (*claimed != 1) return fail(Error::conflict("this answer was already imported"));
    for (const auto& a : acks) {
      auto r = c.exec(
          "UPDATE usage_outbox SET sent_at = $2, via = 'offline', ack = $3, last_error = '' "
          "WHERE report_id = $1 AND sent_at IS NULL",
          {a.report_id, now, to_json(a).dump()});
      if (!r) return fail(r.error());
    }
    if (auto m = set_meta(c, "last_answer_created", std::to_string(answer_created)); !m) return m;
    return write_view(c, accounts, pools, now);
  });
}

Result<std::optional<int64_t>> ManagerState::last_answer_created() {
  std::optional<int64_t> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto v = get_meta(c, "last_answer_created");
    if (!v) return fail(v.error());
    if (v->empty()) return {};
    try {
      out = std::stoll(*v);
    } catch (...) {
      return fail(Error::internal("the time of the last offline answer in the state is damaged"));
    }
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

}  // namespace licsat::manager
