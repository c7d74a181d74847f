// AuthStore in portable SQL.
#include <algorithm>
#include <string>

#include "store/line_list.h"
#include "store/sql_store.h"

namespace licsat::store {
namespace {

using domain::Role;

const char* kUserCols =
    "name, role, password_hash, locked, failed_logins, first_failure_at, created_at, created_by, locked_until, lockouts, "
    "accounts";
const char* kGrantCols =
    "id, name, description, type, client_id, secret_hash, role, expires, created_at, created_by, accounts";

// An account scope in its column (0010_account_scopes.sql): NULL for every account, else the
// names one per line.
Value scope_value(const domain::AccountScope& a) {
  if (a.is_every()) return Value(nullptr);
  return Value(join_lines(a.names()));
}

domain::AccountScope scope_of(const Row& r, size_t i) {
  if (r.is_null(i)) return domain::AccountScope::every();
  return domain::AccountScope::only(split_lines(r.str(i), true));
}

User user_of(const Row& r) {
  User u;
  u.name = r.str(0);
  u.role = domain::parse_role(r.str(1)).value_or(Role::kViewer);
  u.password_hash = r.str(2);
  u.locked = r.i64(3) != 0;
  u.failed_logins = r.i64(4);
  u.first_failure_at = r.i64(5);
  u.created_at = r.i64(6);
  u.created_by = r.str(7);
  u.locked_until = r.i64(8);
  u.lockouts = r.i64(9);
  u.accounts = scope_of(r, 10);
  return u;
}

Grant grant_of(const Row& r) {
  Grant g;
  g.id = r.i64(0);
  g.name = r.str(1);
  g.description = r.str(2);
  g.type = domain::parse_grant_type(r.str(3)).value_or(domain::GrantType::kResourceOwner);
  g.client_id = r.str(4);
  g.secret_hash = r.str(5);
  g.role = domain::parse_role(r.str(6)).value_or(Role::kViewer);
  g.expires = r.i64(7);
  g.created_at = r.i64(8);
  g.created_by = r.str(9);
  g.accounts = scope_of(r, 10);
  return g;
}

std::string role_str(Role r) { return std::string(domain::role_name(r)); }

// Runs an UPDATE/DELETE that must touch one row; a miss is kNotFound naming `what`.
Status change_one(Connection& c, const std::string& sql, const std::vector<Value>& params, const std::string& what) {
  auto n = c.exec(sql, params);
  if (!n) return fail(n.error());
  if (*n == 0) return fail(Error::not_found(what + " does not exist"));
  return {};
}

Status insert_token(Connection& c, const Token& t) {
  Value grant = t.grant_id ? Value(*t.grant_id) : Value(nullptr);
  Value user = t.username.empty() ? Value(nullptr) : Value(t.username);
  auto r = c.exec(
      "INSERT INTO tokens (hash, kind, grant_id, client_id, username, role, scope, expires, created_at, revoked, parent) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)",
      {t.hash, std::string(t.kind == domain::TokenKind::kAccess ? "access" : "refresh"), grant, t.client_id, user,
       role_str(t.role), t.scope, t.expires, t.created_at, t.parent});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace

Status SqlStore::create_user(const User& u, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec(std::string("INSERT INTO users (") + kUserCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    {u.name, role_str(u.role), u.password_hash, int64_t{u.locked}, u.failed_logins, u.first_failure_at,
                     u.created_at, u.created_by, u.locked_until, u.lockouts, scope_value(u.accounts)});
    if (!r) {
      if (r.error().code == ErrorCode::kConflict) return fail(Error::exists("user '" + u.name + "' already exists"));
      return fail(r.error());
    }
    return insert_event(c, e);
  });
}

Result<std::optional<User>> SqlStore::find_user(const std::string& name) {
  std::optional<User> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kUserCols + " FROM users WHERE name = $1", {name});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = user_of(rows->front());
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<User>> SqlStore::list_users() {
  std::vector<User> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kUserCols + " FROM users ORDER BY name");
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) out.push_back(user_of(r));
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::set_user_locked(const std::string& name, bool locked, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    // A lock ends the user's sessions for good: locking revokes their tokens, and so does
    // unlocking a user who was locked (a lock set by the lockout with duration 0 stopped their
    // tokens without revoking them), so an unlock never brings back a token the lock ended.
    if (auto r = c.exec("UPDATE tokens SET revoked = 1 WHERE username = $1 AND revoked = 0 AND "
                        "($2 = 1 OR EXISTS (SELECT 1 FROM users WHERE name = $1 AND locked <> 0))",
                        {name, int64_t{locked}});
        !r)
      return fail(r.error());
    if (auto s = change_one(c, "UPDATE users SET locked = $1, failed_logins = 0, first_failure_at = 0, locked_until = 0, lockouts = 0 "
                            "WHERE name = $2",
                            {int64_t{locked}, name}, "user '" + name + "'");
        !s)
      return s;
    return insert_event(c, e);
  });
}

Status SqlStore::set_user_password(const std::string& name, const std::string& hash, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c, "UPDATE users SET password_hash = $1 WHERE name = $2", {hash, name}, "user '" + name + "'"); !s)
      return s;
    // A new password ends every session of the old one.
    if (auto r = c.exec("UPDATE tokens SET revoked = 1 WHERE username = $1", {name}); !r) return fail(r.error());
    return insert_event(c, e);
  });
}

Status SqlStore::set_user_role(const std::string& name, Role role, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c, "UPDATE users SET role = $1 WHERE name = $2", {role_str(role), name}, "user '" + name + "'"); !s)
      return s;
    if (auto r = c.exec("UPDATE tokens SET role = $1 WHERE username = $2", {role_str(role), name}); !r)
      return fail(r.error());
    return insert_event(c, e);
  });
}

Status SqlStore::set_user_accounts(const std::string& name, const domain::AccountScope& accounts, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c, "UPDATE users SET accounts = $1 WHERE name = $2", {scope_value(accounts), name},
                            "user '" + name + "'");
        !s)
      return s;
    return insert_event(c, e);
  });
}

Status SqlStore::delete_user(const std::string& name, const Event& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    if (auto s = change_one(c, "DELETE FROM users WHERE name = $1", {name}, "user '" + name + "'"); !s) return s;
    return insert_event(c, e);
  });
}

Result<LockoutResult> SqlStore::record_login_failure(const std::string& name, int64_t now, int64_t window,
                                                    int64_t threshold, int64_t lock_for, int64_t max_lock) {
  LockoutResult out;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT failed_logins, first_failure_at, locked, locked_until, lockouts FROM users WHERE name = $1",
                        {name});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return {};
    int64_t count = rows->front().i64(0);
    int64_t first = rows->front().i64(1);
    bool locked = rows->front().i64(2) != 0;
    int64_t until = rows->front().i64(3);
    int64_t lockouts = rows->front().i64(4);
    if (until > now) return {};  // a temporary lock is in force: failures during it do not count
    // A temporary lock that has run out starts a fresh count (its failures are spent).
    if (first == 0 || now - first > window || until != 0) {
      count = 1;
      first = now;
      until = 0;
    } else {
      ++count;
    }
    if (!locked && count >= threshold) {
      out.locked_now = true;
      if (lock_for <= 0) {
        locked = true;  // until an admin unlocks
      } else {
        // Each lock since the last successful login lasts twice the one before, up to max_lock.
        int64_t cap = std::max(lock_for, max_lock);
        int64_t d = lock_for;
        for (int64_t i = 0; i < lockouts && d < cap; ++i) d *= 2;
        until = now + std::min(d, cap);
        ++lockouts;
        out.locked_until = until;
      }
    }
    auto r = c.exec(
        "UPDATE users SET failed_logins = $1, first_failure_at = $2, locked = $3, locked_until = $4, lockouts = $5 "
        "WHERE name = $6",
        {count, first, int64_t{locked}, until, lockouts, name});
    if (!r) return fail(r.error());
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::clear_login_failures(const std::string& name) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec("UPDATE users SET failed_logins = 0, first_failure_at = 0, locked_until = 0, lockouts = 0 "
                    "WHERE name = $1 AND (failed_logins <> 0 OR locked_until <> 0 OR lockouts <> 0)", {name});
    if (!r) return fail(r.error());
    return {};
  });
}

Status SqlStore::change_grants(const std::function<Status(Connection&)>& fn) {
  if (grants_) grants_->invalidate();
  Status s = db_->transact(TxMode::kWrite, fn);
  if (grants_) grants_->invalidate();
  return s;
}

Result<Grant> SqlStore::create_grant(const Grant& g, const Event& e) {
  Grant out = g;
  auto s = change_grants([&](Connection& c) -> Status {
    auto rows = c.query(
        "INSERT INTO api_grants (name, description, type, client_id, secret_hash, role, expires, created_at, created_by, "
        "accounts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        {g.name, g.description, domain::grant_type_name(g.type), g.client_id, g.secret_hash, role_str(g.role), g.expires,
         g.created_at, g.created_by, scope_value(g.accounts)});
    if (!rows) {
      if (rows.error().code == ErrorCode::kConflict)
        return fail(Error::exists("a grant named '" + g.name + "' already exists"));
      return fail(rows.error());
    }
    out.id = rows->front().i64(0);
    return insert_event(c, e);
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<Grant>> SqlStore::find_grant_by_client_id(const std::string& client_id) {
  if (!grants_) return load_grant_by_client_id(client_id);
  return grants_->find(client_id, [this](const std::string& id) { return load_grant_by_client_id(id); });
}

Result<std::optional<Grant>> SqlStore::load_grant_by_client_id(const std::string& client_id) {
  std::optional<Grant> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kGrantCols + " FROM api_grants WHERE client_id = $1", {client_id});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = grant_of(rows->front());
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<Grant>> SqlStore::find_grant_by_name(const std::string& name) {
  std::optional<Grant> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kGrantCols + " FROM api_grants WHERE name = $1", {name});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = grant_of(rows->front());
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::vector<Grant>> SqlStore::list_grants(const std::string& name_contains) {
  std::vector<Grant> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    // Substring search, case-insensitive, with LIKE's wildcards escaped.
    std::string pat;
    for (char ch : name_contains) {
      if (ch == '%' || ch == '_' || ch == '\\') pat += '\\';
      pat += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    auto rows = c.query(std::string("SELECT ") + kGrantCols +
                            " FROM api_grants WHERE LOWER(name) LIKE $1 ESCAPE '\\' ORDER BY created_at DESC, id DESC",
                        {"%" + pat + "%"});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) out.push_back(grant_of(r));
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::replace_grant_secret(const std::string& name, const std::string& secret_hash, const Event& e) {
  return change_grants([&](Connection& c) -> Status {
    if (auto s = change_one(c, "UPDATE api_grants SET secret_hash = $1 WHERE name = $2", {secret_hash, name},
                            "grant '" + name + "'");
        !s)
      return s;
    auto r = c.exec("UPDATE tokens SET revoked = 1 WHERE grant_id = (SELECT id FROM api_grants WHERE name = $1)", {name});
    if (!r) return fail(r.error());
    return insert_event(c, e);
  });
}

Status SqlStore::set_grant_accounts(const std::string& name, const domain::AccountScope& accounts, const Event& e) {
  return change_grants([&](Connection& c) -> Status {
    if (auto s = change_one(c, "UPDATE api_grants SET accounts = $1 WHERE name = $2", {scope_value(accounts), name},
                            "grant '" + name + "'");
        !s)
      return s;
    return insert_event(c, e);
  });
}

Status SqlStore::delete_grant(const std::string& name, const Event& e) {
  return change_grants([&](Connection& c) -> Status {
    if (auto s = change_one(c, "DELETE FROM api_grants WHERE name = $1", {name}, "grant '" + name + "'"); !s) return s;
    return insert_event(c, e);
  });
}

Status SqlStore::insert_tokens(const std::vector<Token>& tokens) {
  return token_writes_.run([&](Connection& c) -> Status {
    for (const auto& t : tokens)
      if (auto s = insert_token(c, t); !s) return s;
    return {};
  });
}

void SqlStore::insert_tokens_async(std::vector<Token> tokens, Event issued, std::string grant_secret_hash,
                                   std::function<void(const Status&)> done) {
  token_writes_.submit(
      [tokens = std::move(tokens), issued = std::move(issued),
       secret = std::move(grant_secret_hash)](Connection& c) -> Status {
        if (tokens.empty() || !tokens.front().grant_id) return fail(Error::invalid("tokens without a grant"));
        auto g = c.query("SELECT 1 FROM api_grants WHERE id = $1 AND secret_hash = $2", {*tokens.front().grant_id, secret});
        if (!g) return fail(g.error());
        if (g->empty())
          return fail(Error{ErrorCode::kUnauthenticated, "the grant's secret was replaced or the grant deleted"});
        for (const auto& t : tokens)
          if (auto s = insert_token(c, t); !s) return s;
        return insert_event(c, issued);
      },
      std::move(done));
}

Result<std::optional<TokenRecord>> SqlStore::find_token(const std::string& hash) {
  std::optional<TokenRecord> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query(
        "SELECT t.kind, t.grant_id, t.client_id, t.username, t.role, t.scope, t.expires, t.created_at, t.revoked, "
        "t.parent, u.locked, g.expires, u.accounts, g.accounts FROM tokens t LEFT JOIN users u ON u.name = t.username "
        "LEFT JOIN api_grants g ON g.id = t.grant_id WHERE t.hash = $1",
        {hash});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return {};
    const Row& r = rows->front();
    TokenRecord rec;
    rec.token.hash = hash;
    rec.token.kind = r.str(0) == "access" ? domain::TokenKind::kAccess : domain::TokenKind::kRefresh;
    if (!r.is_null(1)) rec.token.grant_id = r.i64(1);
    rec.token.client_id = r.str(2);
    rec.token.username = r.str(3);
    rec.token.role = domain::parse_role(r.str(4)).value_or(Role::kViewer);
    rec.token.scope = r.str(5);
    rec.token.expires = r.i64(6);
    rec.token.created_at = r.i64(7);
    rec.token.revoked = r.i64(8) != 0;
    rec.token.parent = r.str(9);
    rec.user_locked = !r.is_null(10) && r.i64(10) != 0;
    rec.grant_expires = r.is_null(11) ? 0 : r.i64(11);
    rec.user_accounts = scope_of(r, 12);
    rec.grant_accounts = scope_of(r, 13);
    out = std::move(rec);
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<bool> SqlStore::revoke_token(const std::string& hash) {
  bool found = false;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto n = c.exec("UPDATE tokens SET revoked = 1 WHERE hash = $1", {hash});
    if (!n) return fail(n.error());
    found = *n > 0;
    if (found) {
      auto m = c.exec("UPDATE tokens SET revoked = 1 WHERE parent = $1 AND parent <> ''", {hash});
      if (!m) return fail(m.error());
    }
    return {};
  });
  if (!s) return fail(s.error());
  return found;
}

Result<bool> SqlStore::rotate_refresh_token(const std::string& old_hash, const std::vector<Token>& successors) {
  bool rotated = false;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto n = c.exec("UPDATE tokens SET revoked = 1 WHERE hash = $1 AND revoked = 0 AND kind = 'refresh'", {old_hash});
    if (!n) return fail(n.error());
    if (*n == 0) return {};
    // The access tokens issued with the old refresh token stay valid until they expire.
    for (const auto& t : successors)
      if (auto st = insert_token(c, t); !st) return st;
    rotated = true;
    return {};
  });
  if (!s) return fail(s.error());
  return rotated;
}

Status SqlStore::revoke_tokens_of(const std::string& client_id, const std::string& username) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec("UPDATE tokens SET revoked = 1 WHERE client_id = $1 AND username = $2", {client_id, username});
    if (!r) return fail(r.error());
    return {};
  });
}

Result<int64_t> SqlStore::delete_rows(const std::string& sql, const std::vector<Value>& params) {
  int64_t n = 0;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec(sql, params);
    if (!r) return fail(r.error());
    n = *r;
    return {};
  });
  if (!s) return fail(s.error());
  return n;
}

// One batch each by the expiry or time index, oldest first: a short write transaction however
// many rows are due.
Result<int64_t> SqlStore::prune_expired_tokens(int64_t before, int64_t limit) {
  return delete_rows("DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens WHERE expires < $1 ORDER BY expires LIMIT $2)",
                     {before, limit});
}

Result<int64_t> SqlStore::prune_events(int64_t before, int64_t limit) {
  return delete_rows("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < $1 ORDER BY time LIMIT $2)",
                     {before, limit});
}

Result<AuthStore::TableSizes> SqlStore::table_sizes() {
  TableSizes out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    // One MIN() or MAX() per subquery: each is then a single index or b-tree edge lookup.
    const bool sqlite = c.dialect() == Dialect::kSqlite;
    auto rows = c.query(sqlite ? "SELECT (SELECT MAX(rowid) FROM tokens) - (SELECT MIN(rowid) FROM tokens) + 1, "
                                 "(SELECT MAX(id) FROM events) - (SELECT MIN(id) FROM events) + 1"
                               // tokens has no integer key on PostgreSQL: the planner's estimate.
                               : "SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = 'tokens'::regclass), "
                                 "(SELECT MAX(id) FROM events) - (SELECT MIN(id) FROM events) + 1");
    if (!rows) return fail(rows.error());
    if (!rows->empty()) {
      out.tokens = std::max<int64_t>(0, rows->front().i64(0));
      out.events = std::max<int64_t>(0, rows->front().i64(1));
    }
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Result<std::optional<std::string>> SqlStore::get_setting(const std::string& key) {
  std::optional<std::string> out;
  auto s = db_->transact(TxMode::kRead, [&](Connection& c) -> Status {
    auto rows = c.query("SELECT value FROM settings WHERE key = $1", {key});
    if (!rows) return fail(rows.error());
    if (!rows->empty()) out = rows->front().str(0);
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::set_setting(const std::string& key, const std::string& value, const std::optional<Event>& e) {
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
                    {key, value});
    if (!r) return fail(r.error());
    if (e) return insert_event(c, *e);
    return {};
  });
}

Result<std::string> SqlStore::init_setting(const std::string& key, const std::string& value) {
  std::string out;
  auto s = db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    auto r = c.exec("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", {key, value});
    if (!r) return fail(r.error());
    auto rows = c.query("SELECT value FROM settings WHERE key = $1", {key});
    if (!rows) return fail(rows.error());
    out = rows->front().str(0);
    return {};
  });
  if (!s) return fail(s.error());
  return out;
}

Status SqlStore::append_events(const std::vector<Event>& events) {
  if (events.empty()) return {};
  return db_->transact(TxMode::kWrite, [&](Connection& c) -> Status {
    for (const auto& e : events)
      if (auto s = insert_event(c, e); !s) return s;
    return {};
  });
}

}  // namespace licsat::store
