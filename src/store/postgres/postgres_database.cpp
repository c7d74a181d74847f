// PostgreSQL implementation of Database on libpq.
//
// A pool of up to `pool_size` connections, opened lazily (one at start to check the URL) and
// replaced when they break. Statements run as named prepared statements, prepared once per
// connection per distinct SQL text, with every parameter sent in text form: int64 parameters are
// declared int8 so that arithmetic on them stays 64-bit, text and NULL parameters are left for
// the server to type from their context (with a fallback for the rare statement where that does
// not resolve, see PgConnection::prepare). Result columns of integer and boolean types come back
// as int64_t (and integral NUMERIC values too, so SUM() reads like it does on SQLite).
//
// Error mapping: 23xxx integrity violations -> kConflict, 22xxx data exceptions -> kInvalidArgument,
// serialization failures, deadlocks and connection failures -> kUnavailable, everything else ->
// kInternal. No message ever contains the password of the URL.
//
// Unlike SQLite, a failed statement aborts the whole PostgreSQL transaction: once a statement in
// a transact() function failed, the function must return an error (transact() turns a "success"
// over an aborted transaction into the error of the statement that failed).
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>

#include "store/db.h"
#include "store/outage_notice.h"

namespace licsat::store {
namespace {

// Type OIDs from pg_type.h (server headers are not needed for these stable values).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kNumericOid = 1700;

// Advisory lock for migrations, in the two-int4 key space (job locks use the single-bigint key
// space, which PostgreSQL keeps separate, so no job key can collide with it).
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_lock(1818845043, 1)";      // 'licS', 1
constexpr const char* kMigrationUnlockSql = "SELECT pg_advisory_unlock(1818845043, 1)";

constexpr int kMaxAttempts = 5;                        // transact() tries per call
constexpr auto kAcquireTimeout = std::chrono::seconds(30);  // waiting for a free pooled connection
constexpr size_t kMaxCachedStatements = 1000;          // per connection, then DEALLOCATE ALL

// libpq messages span lines ("…failed: Connection refused\n\tIs the server running…"): one line
// reads better in a log.
std::string one_line(const std::string& in) {
  std::string s;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!s.empty() && s.back() != ' ') s.push_back(' ');
    } else {
      s.push_back(c);
    }
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Everything this process knows about where the database is; shared read-only by all connections.
struct Target {
  std::string url;          // as given: holds the password, never put in a message
  std::string description;  // postgresql://user:***@host:port/db
  std::vector<std::string> secrets;

  // Removes every form of the password from a message (libpq and server messages should not
  // contain it, but a URL fragment quoted in a parse error might).
  std::string scrub(std::string m) const {
    for (const auto& s : secrets) {
      if (s.empty()) continue;
      for (size_t pos = 0; (pos = m.find(s, pos)) != std::string::npos; pos += 3) m.replace(pos, s.size(), "***");
    }
    return m;
  }
};

// The password as written in the URL (user info or ?password=), raw and percent-decoded.
std::vector<std::string> url_secrets(const std::string& url) {
  std::vector<std::string> out;
  auto add = [&](const std::string& raw) {
    if (raw.empty()) return;
    out.push_back(raw);
    if (auto d = percent_decode(raw); d != raw) out.push_back(d);
  };
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    auto start = scheme + 3;
    auto end = url.find_first_of("/?", start);
    std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto at = authority.rfind('@');
    if (at != std::string::npos) {
      auto colon = authority.find(':');
      if (colon != std::string::npos && colon < at) add(authority.substr(colon + 1, at - colon - 1));
    }
  }
  for (size_t pos = 0; (pos = url.find("password=", pos)) != std::string::npos;) {
    pos += 9;
    auto end = url.find_first_of("& ", pos);
    add(url.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
  }
  // Keep the longest first, so that a decoded form containing the raw one is replaced whole.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

struct PgResult {
  PGresult* r = nullptr;
  PgResult() = default;
  explicit PgResult(PGresult* p) : r(p) {}
  PgResult(PgResult&& o) noexcept : r(std::exchange(o.r, nullptr)) {}
  PgResult& operator=(PgResult&& o) noexcept {
    if (this != &o) {
      PQclear(r);
      r = std::exchange(o.r, nullptr);
    }
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(r); }
  ExecStatusType status() const { return r ? PQresultStatus(r) : PGRES_FATAL_ERROR; }
  bool ok() const {
    auto s = status();
    return r && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY);
  }
  std::string sqlstate() const {
    const char* s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
  }
};

// What went wrong in the current transaction attempt, for transact() to decide on a retry.
enum class Failure {
  kNone,
  kRetry,  // serialization failure, deadlock, stale prepared statement: running again may succeed
  kLost,   // the connection broke: running again on another connection may succeed
};

bool starts_with_keyword(std::string_view sql, std::string_view kw) {
  size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  if (sql.size() - i < kw.size()) return false;
  for (size_t k = 0; k < kw.size(); ++k)
    if (std::toupper(static_cast<unsigned char>(sql[i + k])) != kw[k]) return false;
  size_t after = i + kw.size();
  return after == sql.size() || !std::isalnum(static_cast<unsigned char>(sql[after]));
}

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, const Target* target) : conn_(conn), target_(target) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    auto res = run(sql, params);
    if (!res) return fail(res.error());
    PGresult* r = res->r;
    std::vector<Row> rows;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return rows;
    const int nrows = PQntuples(r), ncols = PQnfields(r);
    std::vector<Oid> types(ncols);
    for (int j = 0; j < ncols; ++j) types[j] = PQftype(r, j);
    rows.reserve(nrows);
    for (int i = 0; i < nrows; ++i) {
      Row row;
      row.cols.reserve(ncols);
      for (int j = 0; j < ncols; ++j) {
        if (PQgetisnull(r, i, j)) {
          row.cols.emplace_back(nullptr);
          continue;
        }
        const char* v = PQgetvalue(r, i, j);
        const int len = PQgetlength(r, i, j);
        switch (types[j]) {
          case kBoolOid: row.cols.emplace_back(int64_t{v[0] == 't'}); continue;
          case kInt2Oid:
          case kInt4Oid:
          case kInt8Oid:
          case kNumericOid: {
            int64_t n = 0;
            auto [p, ec] = std::from_chars(v, v + len, n);
            if (ec == std::errc() && p == v + len) {  // NUMERIC with a fraction or out of range stays text
              row.cols.emplace_back(n);
              continue;
            }
            break;
          }
          default: break;
        }
        row.cols.emplace_back(std::string(v, len));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
    auto res = run(sql, params);
    if (!res) return fail(res.error());
    const char* n = PQcmdTuples(res->r);
    int64_t count = 0;
    if (n && *n) std::from_chars(n, n + std::strlen(n), count);
    return count;
  }

  Status exec_script(std::string_view sql) override {
    const auto before = PQtransactionStatus(conn_);
    if (before == PQTRANS_IDLE) reset_tracking();  // tracking covers one transaction
    const bool was_failed = before == PQTRANS_INERROR;
    PgResult res(PQexec(conn_, std::string(sql).c_str()));
    if (!res.ok()) return fail(error_of(res));
    // COMMIT of a transaction that an earlier error aborted "succeeds" as a ROLLBACK.
    if (was_failed && std::strcmp(PQcmdStatus(res.r), "ROLLBACK") == 0 &&
        (starts_with_keyword(sql, "COMMIT") || starts_with_keyword(sql, "END"))) {
      return fail(first_error_.value_or(
          Error::internal("postgresql: the transaction was rolled back because a statement in it failed")));
    }
    return {};
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  PGconn* raw() const { return conn_; }
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  PGTransactionStatusType tx_status() const { return PQtransactionStatus(conn_); }
  Failure failure() const { return failure_; }
  const std::optional<Error>& first_error() const { return first_error_; }
  void reset_tracking() {
    failure_ = Failure::kNone;
    first_error_.reset();
  }
  // Ends whatever transaction is open, ignoring errors (a broken connection is dropped anyway).
  void rollback_quietly() {
    if (healthy() && tx_status() != PQTRANS_IDLE) PgResult(PQexec(conn_, "ROLLBACK"));
  }

 private:
  struct Params {
    std::string sig;                  // one letter per parameter: i(nt64) s(tring) n(ull)
    std::vector<std::string> text;    // int64 parameters as decimal text
    std::vector<const char*> values;  // what libpq sends (nullptr = NULL)
  };

  Result<Params> encode(const std::vector<Value>& params) {
    Params p;
    p.sig.reserve(params.size());
    p.text.reserve(params.size());
    for (const auto& v : params) {
      if (std::holds_alternative<std::nullptr_t>(v)) {
        p.sig.push_back('n');
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        p.sig.push_back('i');
        p.text.push_back(std::to_string(*n));
      } else {
        const auto& s = std::get<std::string>(v);
        if (s.find('\0') != std::string::npos)
          return fail(Error::invalid("text values cannot contain NUL characters (PostgreSQL rejects them)"));
        p.sig.push_back('s');
      }
    }
    size_t t = 0;
    p.values.reserve(params.size());
    for (size_t k = 0; k < params.size(); ++k) {
      if (p.sig[k] == 'n') p.values.push_back(nullptr);
      else if (p.sig[k] == 'i') p.values.push_back(p.text[t++].c_str());
      else p.values.push_back(std::get<std::string>(params[k]).c_str());
    }
    return p;
  }

  // Runs one statement as a prepared statement; the result is a success (tuples or command).
  Result<PgResult> run(std::string_view sql, const std::vector<Value>& params) {
    auto p = encode(params);
    if (!p) return fail(p.error());
    // The key is built in a buffer kept between calls: a large report's statements are tens of
    // kilobytes long.
    key_.assign(p->sig);
    key_ += '|';
    key_.append(sql);
    auto it = stmts_.find(key_);
    if (it == stmts_.end()) {
      auto name = prepare(sql, p->sig);
      if (!name) return fail(name.error());
      it = stmts_.emplace(key_, std::move(*name)).first;
    }
    PgResult res(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(p->values.size()), p->values.data(),
                                nullptr, nullptr, 0));
    if (res.ok()) return res;
    const std::string state = res.sqlstate();
    // The statement was deallocated behind our back (DISCARD ALL), or the schema changed its
    // result type (a migration): forget it so that it is prepared again, and let transact() retry.
    const bool stale = state == "26000" || state == "0A000";
    Error e = error_of(res, stale);
    if (stale) stmts_.erase(it);
    return fail(std::move(e));
  }

  // Prepares `sql` under a new name. Parameters are typed by `sig`: int64 as int8, text and NULL
  // left to the server. Where the server cannot type a parameter that way (a text parameter used
  // only as `$1 IS NULL`, a parameter the statement does not use, an int64 passed to a function
  // taking int4 …) the next typing in a short list is tried. Inside a transaction the attempts run
  // under a savepoint, since a failed prepare would abort the transaction.
  Result<std::string> prepare(std::string_view sql, const std::string& sig) {
    if (stmts_.size() >= kMaxCachedStatements && tx_status() != PQTRANS_INERROR) {
      PgResult d(PQexec(conn_, "DEALLOCATE ALL"));
      if (!d.ok()) return fail(error_of(d));
      stmts_.clear();
    }
    const bool has_int = sig.find('i') != std::string::npos;
    const bool has_untyped = sig.find_first_of("sn") != std::string::npos;
    auto typing = [&](Oid for_int, Oid for_other) {
      std::vector<Oid> t;
      for (char c : sig) t.push_back(c == 'i' ? for_int : for_other);
      return t;
    };
    std::vector<std::vector<Oid>> candidates = {typing(kInt8Oid, 0)};
    if (has_int) candidates.push_back(typing(0, 0));
    if (has_untyped) candidates.push_back(typing(kInt8Oid, kTextOid));
    if (has_int && has_untyped) candidates.push_back(typing(0, kTextOid));

    const bool savepoint = candidates.size() > 1 && tx_status() == PQTRANS_INTRANS;
    if (savepoint) {
      PgResult s(PQexec(conn_, "SAVEPOINT licsat_prepare"));
      if (!s.ok()) return fail(error_of(s));
    }
    const std::string text(sql);
    std::string name = "licsat_" + std::to_string(++next_stmt_);
    for (size_t k = 0; k < candidates.size(); ++k) {
      PgResult res(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(sig.size()),
                             candidates[k].data()));
      if (res.ok()) {
        if (savepoint) {
          PgResult rel(PQexec(conn_, "RELEASE SAVEPOINT licsat_prepare"));
          if (!rel.ok()) return fail(error_of(rel));
        }
        return name;
      }
      const std::string state = res.sqlstate();
      const bool typing_problem = state == "42P18" || state == "42883" || state == "42804" || state == "42725";
      if (!typing_problem || k + 1 == candidates.size()) {
        // Record the failure of the statement itself; the savepoint stays (the transaction is aborted).
        return fail(error_of(res));
      }
      if (savepoint) {
        PgResult back(PQexec(conn_, "ROLLBACK TO SAVEPOINT licsat_prepare"));
        if (!back.ok()) return fail(error_of(back));
      }
    }
    return fail(Error::internal("postgresql: cannot prepare statement"));  // not reached
  }

  // Maps a failed result to an Error and records it for transact().
  Error error_of(const PgResult& res, bool stale_statement = false) {
    const std::string state = res.sqlstate();
    const char* primary = res.r ? PQresultErrorField(res.r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string msg = primary ? std::string(primary) : one_line(PQerrorMessage(conn_));
    if (msg.empty()) msg = "unknown error";
    msg = target_->scrub(msg);
    const std::string suffix = state.empty() ? "" : " (SQLSTATE " + state + ")";

    Error e;
    Failure f = Failure::kNone;
    if (!healthy() || state == "57P01" || state == "57P02" ||
        (state.starts_with("08") && state != "08P01")) {
      e = Error::unavailable("lost the connection to " + target_->description + ": " + msg + suffix);
      f = Failure::kLost;
    } else if (state == "40001" || state == "40P01") {
      e = Error::unavailable("postgresql: " + msg + suffix + "; try again");
      f = Failure::kRetry;
    } else if (state.starts_with("23")) {
      e = Error::conflict("constraint violation: " + msg + suffix);
    } else if (state.starts_with("22")) {
      e = Error::invalid("postgresql rejected a value: " + msg + suffix);
    } else if (state.starts_with("53") || state == "57P03" || state == "55P03" || state == "57014") {
      // insufficient resources, server starting up, lock timeout, statement timeout
      e = Error::unavailable("postgresql: " + msg + suffix);
    } else {
      e = Error::internal("postgresql: " + msg + suffix);
      if (stale_statement) f = Failure::kRetry;
    }
    if (static_cast<int>(f) > static_cast<int>(failure_)) failure_ = f;
    if (!first_error_) first_error_ = e;
    return e;
  }

  PGconn* conn_;
  const Target* target_;
  std::unordered_map<std::string, std::string> stmts_;  // sig|sql -> prepared statement name
  std::string key_;                                      // run()'s lookup key, reused
  uint64_t next_stmt_ = 0;
  Failure failure_ = Failure::kNone;
  std::optional<Error> first_error_;
};

Result<std::unique_ptr<PgConnection>> connect(const Target& t) {
  // Entries before dbname are defaults that the URL may override. synchronous_commit=on for the
  // session, whatever the server's default: a COMMIT returns only once its WAL record is flushed,
  // so every answer that promises something (an acknowledged report, a revocation, a new secret)
  // survives a crash of the database host.
  const char* keys[] = {"connect_timeout", "fallback_application_name", "options", "dbname", nullptr};
  const char* vals[] = {"10", "licsat", "-c synchronous_commit=on", t.url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, vals, 1);
  if (!c) return fail(Error::unavailable("cannot connect to " + t.description + ": out of memory"));
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = t.scrub(one_line(PQerrorMessage(c)));
    PQfinish(c);
    return fail(Error::unavailable("cannot connect to " + t.description + ": " + m));
  }
  // Server notices ("relation … already exists, skipping") would otherwise go to stderr.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  return std::make_unique<PgConnection>(c, &t);
}

class Pool {
 public:
  Pool(const Target& t, int cap) : target_(t), cap_(cap) {}
  ~Pool() = default;

  // A pooled connection; goes back to the pool (or is closed, when broken) at scope exit.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<PgConnection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), c_(std::move(o.c_)), discard_(o.discard_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (c_) pool_->release(std::move(c_), discard_);
    }
    PgConnection& operator*() const { return *c_; }
    PgConnection* operator->() const { return c_.get(); }
    void discard() { discard_ = true; }

   private:
    Pool* pool_;
    std::unique_ptr<PgConnection> c_;
    bool discard_ = false;
  };

  void seed(std::unique_ptr<PgConnection> c) {
    std::lock_guard lock(mu_);
    ++open_;
    idle_.push_back(std::move(c));
  }

  Result<Lease> acquire() {
    const auto deadline = std::chrono::steady_clock::now() + kAcquireTimeout;
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        if (c->healthy()) return Lease(this, std::move(c));
        --open_;
        lock.unlock();
        c.reset();
        lock.lock();
        continue;
      }
      if (open_ < cap_) {
        ++open_;
        lock.unlock();
        auto c = connect(target_);
        if (!c) {
          lock.lock();
          --open_;
          cv_.notify_one();
          return fail(c.error());
        }
        return Lease(this, std::move(*c));
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= cap_) {
        return fail(Error::unavailable("all " + std::to_string(cap_) + " connections to " + target_.description +
                                       " stayed busy for " + std::to_string(kAcquireTimeout.count()) + " s"));
      }
    }
  }

  // Closes the idle connections: after one connection broke, the others (opened to the same
  // server) most likely did too; they are reopened on demand.
  void drain_idle() {
    std::vector<std::unique_ptr<PgConnection>> dead;
    {
      std::lock_guard lock(mu_);
      dead.swap(idle_);
      open_ -= static_cast<int>(dead.size());
    }
    cv_.notify_all();
  }

 private:
  void release(std::unique_ptr<PgConnection> c, bool discard) {
    std::unique_ptr<PgConnection> dead;
    {
      std::lock_guard lock(mu_);
      if (discard || !c->healthy() || c->tx_status() != PQTRANS_IDLE) {
        --open_;
        dead = std::move(c);
      } else {
        idle_.push_back(std::move(c));
      }
    }
    cv_.notify_one();
  }

  const Target& target_;
  const int cap_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle plus leased
};

void backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int> ms(1, 10 * attempt * attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::unique_ptr<Target> target, int pool_size)
      : target_(std::move(target)), pool_(*target_, pool_size), outage_(target_->description) {}

  ~PostgresDatabase() override {
    // Closing a session releases its advisory locks, but only once the server has noticed the
    // close; unlocking first hands the jobs over to other nodes at once.
    std::lock_guard lock(jobs_mu_);
    for (auto& [key, c] : held_)
      if (c->healthy()) (void)c->exec_script("SELECT pg_advisory_unlock_all()");
    held_.clear();
  }

  void seed(std::unique_ptr<PgConnection> c) { pool_.seed(std::move(c)); }

  Status transact(TxMode mode, const std::function<Status(Connection&)>& fn) override {
    // kWriteLazySync: COMMIT returns without waiting for its WAL flush (the session is
    // synchronous_commit=on otherwise); the next synchronous commit flushes it too.
    const char* begin = mode == TxMode::kRead             ? "BEGIN READ ONLY"
                        : mode == TxMode::kWriteLazySync ? "BEGIN; SET LOCAL synchronous_commit = off"
                                                          : "BEGIN";
    for (int attempt = 1;; ++attempt) {
      bool retry = false;
      Status s = attempt_once(begin, fn, retry);
      if (s || !retry || attempt >= kMaxAttempts) {
        outage_.observe(s);
        return s;
      }
      backoff(attempt);
    }
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string describe() const override { return target_->description; }

  Status with_migration_lock(const std::function<Status(Connection&)>& fn) override {
    auto lease = pool_.acquire();
    if (!lease) return fail(lease.error());
    PgConnection& c = **lease;
    if (auto s = c.exec_script(kMigrationLockSql); !s) return s;
    // Should fn throw, the session (and with it the lock) must not go back to the pool.
    struct DiscardUnlessDone {
      Pool::Lease& lease;
      bool done = false;
      ~DiscardUnlessDone() {
        if (!done) lease.discard();
      }
    } guard{*lease};
    Status s = fn(c);
    guard.done = true;
    c.rollback_quietly();  // a migration that failed half-way may have left its transaction open
    if (auto u = c.exec_script(kMigrationUnlockSql); !u) {
      lease->discard();  // closing the session is what releases the lock now
      if (s) return u;
    }
    return s;
  }

  Result<bool> try_job_lock(int64_t key) override {
    std::lock_guard lock(jobs_mu_);
    if (held_.contains(key)) return false;  // held by another job of this process
    std::unique_ptr<PgConnection> c;
    if (spare_ && spare_->healthy()) {
      c = std::move(spare_);
    } else {
      spare_.reset();
      auto n = connect(*target_);
      if (!n) return fail(n.error());
      c = std::move(*n);
    }
    auto r = c->query("SELECT pg_try_advisory_lock($1)", {key});
    if (!r) return fail(r.error());  // the connection is dropped
    const bool taken = !r->empty() && r->front().i64(0) != 0;
    if (taken) held_.emplace(key, std::move(c));
    else spare_ = std::move(c);
    return taken;
  }

  void release_job_lock(int64_t key) override {
    std::lock_guard lock(jobs_mu_);
    auto it = held_.find(key);
    if (it == held_.end()) return;
    auto c = std::move(it->second);
    held_.erase(it);
    auto r = c->query("SELECT pg_advisory_unlock($1)", {key});
    // When the unlock failed the connection is closed, which releases the lock as well.
    if (r && c->healthy() && c->tx_status() == PQTRANS_IDLE) spare_ = std::move(c);
  }

 private:
  Status attempt_once(const char* begin, const std::function<Status(Connection&)>& fn, bool& retry) {
    auto lease = pool_.acquire();
    if (!lease) return fail(lease.error());
    PgConnection& c = **lease;
    c.reset_tracking();
    auto lost = [&] {
      if (c.failure() == Failure::kLost) pool_.drain_idle();
    };

    if (auto b = c.exec_script(begin); !b) {
      retry = c.failure() != Failure::kNone;  // nothing ran yet: safe to run on another connection
      lost();
      return b;
    }
    Status s = fn(c);
    if (s && c.tx_status() == PQTRANS_INERROR) {
      // fn went on after a failed statement; PostgreSQL has aborted the transaction.
      s = fail(c.first_error().value_or(Error::internal("postgresql: the transaction was aborted")));
    }
    if (!s) {
      retry = c.failure() != Failure::kNone;
      lost();
      c.rollback_quietly();
      return s;
    }
    if (auto cm = c.exec_script("COMMIT"); !cm) {
      // A serialization failure at COMMIT rolled everything back: retry. A connection lost during
      // COMMIT leaves the outcome unknown: report it and do not run fn again.
      retry = c.failure() == Failure::kRetry;
      if (c.failure() == Failure::kLost) {
        pool_.drain_idle();
        return fail(Error::unavailable(cm.error().message +
                                       " (during COMMIT: the transaction may or may not have been committed)"));
      }
      c.rollback_quietly();
      return cm;
    }
    return {};
  }

  std::unique_ptr<Target> target_;
  Pool pool_;
  std::mutex jobs_mu_;
  std::map<int64_t, std::unique_ptr<PgConnection>> held_;  // job locks held, each on its own session
  std::unique_ptr<PgConnection> spare_;                    // a lock session kept for the next try
  OutageNotice outage_;
};

std::string host_part(const char* host) {
  std::string h = host ? host : "";
  if (h.find(':') != std::string::npos && h.find(',') == std::string::npos && h.front() != '[') return "[" + h + "]";
  return h;
}

}  // namespace

Result<std::unique_ptr<Database>> open_postgres(const std::string& url, int pool_size) {
  auto target = std::make_unique<Target>();
  target->url = url;
  target->secrets = url_secrets(url);
  {
    std::string shown = redact_url(url);
    if (auto q = shown.find('?'); q != std::string::npos) shown.erase(q);
    target->description = target->scrub(shown);
  }
  if (!PQisthreadsafe()) return fail(Error::internal("the libpq in use is not thread-safe"));

  char* perr = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &perr);
  if (!opts) {
    std::string m = perr ? one_line(perr) : "out of memory";
    PQfreemem(perr);
    return fail(Error::invalid("invalid PostgreSQL URL " + target->description + ": " + target->scrub(m)));
  }
  bool has_password = false;
  for (auto* o = opts; o->keyword; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val && *o->val) {
      has_password = true;
      std::string pw = o->val;
      if (std::find(target->secrets.begin(), target->secrets.end(), pw) == target->secrets.end())
        target->secrets.push_back(pw);
    }
  }
  PQconninfoFree(opts);
  std::sort(target->secrets.begin(), target->secrets.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });

  // One connection now, so that a wrong URL, password or unreachable server is reported at start.
  auto first = connect(*target);
  if (!first) return fail(first.error());
  {
    // Describe what the connection actually reached (defaults and environment applied).
    PGconn* pc = (*first)->raw();
    const std::string user = PQuser(pc) ? PQuser(pc) : "";
    const std::string host = host_part(PQhost(pc));
    const std::string port = PQport(pc) ? PQport(pc) : "";
    const std::string db = PQdb(pc) ? PQdb(pc) : "";
    std::string d = "postgresql://" + user + (has_password ? ":***" : "") + "@";
    if (host.starts_with("/")) d += "/" + db + "?host=" + host + (port.empty() ? "" : "&port=" + port);
    else d += host + (port.empty() ? "" : ":" + port) + "/" + db;
    target->description = target->scrub(d);
  }
  auto db = std::make_unique<PostgresDatabase>(std::move(target), std::max(pool_size, 2));
  db->seed(std::move(*first));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace licsat::store
