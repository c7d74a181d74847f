// SqlStore: the Store in portable SQL. Its methods are spread over one .cpp per concern
// (sql_auth_store.cpp, …); this header is their shared declaration.
#pragma once

#include <memory>

#include "store/grant_cache.h"
#include "store/group_commit.h"
#include "store/store.h"

namespace licsat::store {

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::shared_ptr<Database> db)
      : db_(std::move(db)), token_writes_(*db_, TxMode::kWriteLazySync) {
    // The embedded SQLite file has one writer, this store; PostgreSQL may have several nodes.
    if (db_->dialect() == Dialect::kSqlite) grants_ = std::make_unique<GrantCache>();
  }
  Database& database() override { return *db_; }

  // AuthStore
  Status create_user(const User& u, const Event& e) override;
  Result<std::optional<User>> find_user(const std::string& name) override;
  Result<std::vector<User>> list_users() override;
  Status set_user_locked(const std::string& name, bool locked, const Event& e) override;
  Status set_user_password(const std::string& name, const std::string& hash, const Event& e) override;
  Status set_user_role(const std::string& name, domain::Role role, const Event& e) override;
  Status set_user_accounts(const std::string& name, const domain::AccountScope& accounts, const Event& e) override;
  Status delete_user(const std::string& name, const Event& e) override;
  Result<LockoutResult> record_login_failure(const std::string& name, int64_t now, int64_t window, int64_t threshold,
                                             int64_t lock_for, int64_t max_lock) override;
  Status clear_login_failures(const std::string& name) override;
  Result<Grant> create_grant(const Grant& g, const Event& e) override;
  Result<std::optional<Grant>> find_grant_by_client_id(const std::string& client_id) override;
  Result<std::optional<Grant>> find_grant_by_name(const std::string& name) override;
  Result<std::vector<Grant>> list_grants(const std::string& name_contains) override;
  Status replace_grant_secret(const std::string& name, const std::string& secret_hash, const Event& e) override;
  Status set_grant_accounts(const std::string& name, const domain::AccountScope& accounts, const Event& e) override;
  Status delete_grant(const std::string& name, const Event& e) override;
  Status insert_tokens(const std::vector<Token>& tokens) override;
  void insert_tokens_async(std::vector<Token> tokens, Event issued, std::string grant_secret_hash,
                           std::function<void(const Status&)> done) override;
  Result<std::optional<TokenRecord>> find_token(const std::string& hash) override;
  Result<bool> revoke_token(const std::string& hash) override;
  Result<bool> rotate_refresh_token(const std::string& old_hash, const std::vector<Token>& successors) override;
  Status revoke_tokens_of(const std::string& client_id, const std::string& username) override;
  Result<int64_t> prune_expired_tokens(int64_t before, int64_t limit) override;
  Result<int64_t> prune_events(int64_t before, int64_t limit) override;
  Result<TableSizes> table_sizes() override;
  Result<std::optional<std::string>> get_setting(const std::string& key) override;
  Status set_setting(const std::string& key, const std::string& value, const std::optional<Event>& e) override;
  Result<std::string> init_setting(const std::string& key, const std::string& value) override;
  Status append_events(const std::vector<Event>& events) override;
  Result<domain::EventPage> list_events(const domain::EventFilter& f) override;

  // LicenseStore (sql_license_store.cpp)
  Result<domain::SmartAccount> create_account(const domain::SmartAccount& a, const Event& e) override;
  Result<std::optional<domain::SmartAccount>> find_account(const std::string& key) override;
  Result<std::vector<domain::SmartAccount>> list_accounts() override;
  Status update_account(const domain::SmartAccount& a, const Event& e) override;
  Status delete_account(int64_t id, const Event& e) override;
  Result<domain::VirtualAccount> create_virtual_account(const domain::VirtualAccount& v, const Event& e) override;
  Result<std::vector<domain::VirtualAccount>> list_virtual_accounts(int64_t account_id) override;
  Result<std::optional<domain::VirtualAccount>> find_virtual_account(int64_t account_id, const std::string& name) override;
  Status update_virtual_account(const domain::VirtualAccount& v, const Event& e) override;
  Status delete_virtual_account(int64_t va_id, const Event& e) override;
  Result<domain::LicensePool> create_pool(const domain::LicensePool& p, const Event& e) override;
  Status update_pool(const domain::LicensePool& p, const Event& e) override;
  Status delete_pool(int64_t pool_id, const Event& e) override;
  Result<std::vector<domain::LicensePool>> list_pools(int64_t account_id) override;
  Result<std::vector<domain::TagUsage>> usage_totals(int64_t account_id) override;
  Result<domain::DevicePage> list_devices(int64_t account_id, std::optional<int64_t> va_id, int64_t limit,
                                          int64_t offset, std::optional<int64_t> after) override;
  Result<IngestOutcome> ingest_usage(const UsageIngest& in, const Event& e) override;
  Result<std::optional<domain::UsageAck>> find_usage_report(int64_t account_id, const std::string& report_id) override;
  Result<std::vector<domain::UsageSample>> usage_history(int64_t va_id, const std::string& tag, int64_t since,
                                                         int64_t until) override;
  Result<std::vector<domain::RegistrationToken>> list_registration_tokens(int64_t va_id) override;
  Result<domain::RegistrationToken> create_registration_token(const domain::RegistrationToken& t,
                                                              const std::string& token_hash, const Event& e) override;

 private:
  std::shared_ptr<Database> db_;
  // Token issuance: many small writes, committed in batches, synced lazily: a token lost in a
  // power cut is harmless (its client asks again), and any later durable commit (a revocation,
  // a secret change) syncs it first. docs/security.md D2.
  GroupCommit token_writes_;
  std::unique_ptr<GrantCache> grants_;  // null: read grants through (several nodes)
  Result<std::optional<Grant>> load_grant_by_client_id(const std::string& client_id);
  // Runs one DELETE in a write transaction of its own; returns the rows it deleted.
  Result<int64_t> delete_rows(const std::string& sql, const std::vector<Value>& params);
  // Runs a transaction that changes grants, with the grant cache emptied before and after it.
  Status change_grants(const std::function<Status(Connection&)>& fn);
};

// Appends one event inside a transaction already open on `c`, with kInsertEventSql and the
// parameters (time, actor, source_ip, action, outcome, detail): store/event_tap.h relies on both.
Status insert_event(Connection& c, const Event& e);
inline constexpr std::string_view kInsertEventSql =
    "INSERT INTO events (time, actor, source_ip, action, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)";

// Records, inside the transaction of an accepted usage report open on `c`, the resulting usage
// of every (virtual account, tag) of the report's smart account in the current time bucket, and
// prunes samples past the retention (sql_usage_history.cpp).
Status record_usage_history(Connection& c, const UsageIngest& in);

}  // namespace licsat::store
