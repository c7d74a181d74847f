// Persistence of Access Management, the API Tool Kit, tokens, settings and the Event Log.
// Every method is one transaction. Methods that change what an admin manages take the Event
// that records the change and write it in the same transaction, so no change is unaudited.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/auth_records.h"

namespace licsat::store {

using domain::Event;
using domain::Grant;
using domain::Token;
using domain::User;

// What one failed login did (record_login_failure).
struct LockoutResult {
  bool locked_now = false;     // this failure locked the user
  int64_t locked_until = 0;    // end of the temporary lock it set; 0 = until an admin unlocks (or none)
};

// A token as the bearer check needs it: the token and whether its user is locked.
struct TokenRecord {
  Token token;
  bool user_locked = false;
  int64_t grant_expires = 0;   // 0 = never (or no grant)
  // The accounts the token's user and grant may reach now (every account without a user or a
  // grant); the token reaches their intersection.
  domain::AccountScope user_accounts;
  domain::AccountScope grant_accounts;
};

class AuthStore {
 public:
  virtual ~AuthStore() = default;

  // Users. create_user fails with kAlreadyExists when the name is taken.
  virtual Status create_user(const User& u, const Event& e) = 0;
  virtual Result<std::optional<User>> find_user(const std::string& name) = 0;
  virtual Result<std::vector<User>> list_users() = 0;
  virtual Status set_user_locked(const std::string& name, bool locked, const Event& e) = 0;
  virtual Status set_user_password(const std::string& name, const std::string& hash, const Event& e) = 0;
  virtual Status set_user_role(const std::string& name, domain::Role role, const Event& e) = 0;
  // Limits a user to smart accounts (or lifts the limit); applies to its tokens at once.
  virtual Status set_user_accounts(const std::string& name, const domain::AccountScope& accounts, const Event& e) = 0;
  virtual Status delete_user(const std::string& name, const Event& e) = 0;
  // Counts one failed login inside a window of `window` seconds and locks the user when the
  // count reaches `threshold`: until an admin unlocks when `lock_for` is 0, else temporarily
  // (locked_until) for `lock_for` seconds, doubled for each earlier temporary lock since the
  // last successful login, up to max(lock_for, max_lock). Failures while a temporary lock is in
  // force are not counted.
  virtual Result<LockoutResult> record_login_failure(const std::string& name, int64_t now, int64_t window,
                                                     int64_t threshold, int64_t lock_for, int64_t max_lock) = 0;
  // After a successful login: clears the failure count and the temporary-lockout history.
  virtual Status clear_login_failures(const std::string& name) = 0;

  // Grants. create_grant fails with kAlreadyExists when the name is taken.
  virtual Result<Grant> create_grant(const Grant& g, const Event& e) = 0;
  virtual Result<std::optional<Grant>> find_grant_by_client_id(const std::string& client_id) = 0;
  virtual Result<std::optional<Grant>> find_grant_by_name(const std::string& name) = 0;
  virtual Result<std::vector<Grant>> list_grants(const std::string& name_contains) = 0;
  // Replaces the secret hash and revokes every token the grant holds.
  virtual Status replace_grant_secret(const std::string& name, const std::string& secret_hash, const Event& e) = 0;
  // Limits a grant to smart accounts (or lifts the limit); applies to its tokens at once.
  virtual Status set_grant_accounts(const std::string& name, const domain::AccountScope& accounts, const Event& e) = 0;
  // Deletes the grant and (by cascade) its tokens.
  virtual Status delete_grant(const std::string& name, const Event& e) = 0;

  // Tokens.
  virtual Status insert_tokens(const std::vector<Token>& tokens) = 0;
  // Stores the tokens and their issue event in one transaction shared with other callers and
  // returns at once; `done` runs (on the store's writer thread) once they are committed. The
  // tokens' grant must still have `grant_secret_hash` (the secret they were authenticated with)
  // in that transaction, else nothing is stored and `done` gets kUnauthenticated: a token minted
  // in the instant of a regeneration or deletion never outlives it.
  virtual void insert_tokens_async(std::vector<Token> tokens, Event issued, std::string grant_secret_hash,
                                   std::function<void(const Status&)> done) = 0;
  virtual Result<std::optional<TokenRecord>> find_token(const std::string& hash) = 0;
  // Revokes a token; a refresh token also revokes the access tokens issued with it.
  // Returns false when no such token exists.
  virtual Result<bool> revoke_token(const std::string& hash) = 0;
  // Marks the refresh token used and stores its successors, atomically. Returns false (and
  // stores nothing) when the old token was already revoked: a replay.
  virtual Result<bool> rotate_refresh_token(const std::string& old_hash, const std::vector<Token>& successors) = 0;
  // Revokes every token of this client and user (refresh-token replay response, RFC 9700 §4.14).
  virtual Status revoke_tokens_of(const std::string& client_id, const std::string& username) = 0;
  // Retention (store/pruner.h), one small transaction each: deletes at most `limit` tokens that
  // expired before `before`, or events recorded before `before`, oldest first; returns how many.
  virtual Result<int64_t> prune_expired_tokens(int64_t before, int64_t limit) = 0;
  virtual Result<int64_t> prune_events(int64_t before, int64_t limit) = 0;
  // Approximate row counts of the tokens and events tables, cheap whatever their size (no
  // COUNT(*)): id or rowid extents on SQLite, the planner's estimate on PostgreSQL.
  struct TableSizes {
    int64_t tokens = 0;
    int64_t events = 0;
  };
  virtual Result<TableSizes> table_sizes() = 0;

  // Settings (console enabled, server keys).
  virtual Result<std::optional<std::string>> get_setting(const std::string& key) = 0;
  virtual Status set_setting(const std::string& key, const std::string& value, const std::optional<Event>& e) = 0;
  // Stores `value` under `key` unless a value is already there; returns the value kept.
  virtual Result<std::string> init_setting(const std::string& key, const std::string& value) = 0;

  // Event Log.
  virtual Status append_events(const std::vector<Event>& events) = 0;
  virtual Result<domain::EventPage> list_events(const domain::EventFilter& f) = 0;
};

}  // namespace licsat::store
