// Access Management: users, roles, the password policy, argon2id hashing and lockout after
// repeated failed logins (locked users stay locked until an admin unlocks them).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/result.h"
#include "domain/auth_records.h"
#include "store/auth_store.h"

namespace licsat::domain {

struct AccessPolicy {
  int64_t password_min_length = 12;
  int64_t lockout_threshold = 5;
  int64_t lockout_window = 15 * 60;
  crypto::PwhashCost cost;
};

enum class LoginFailure {
  kUnknownUser,   // no such user (a dummy verification keeps the timing the same)
  kBadPassword,
  kLocked,        // the password was right but the user is locked
};
std::string login_failure_reason(LoginFailure f);

// Who performs an admin action, for the Event Log.
struct Actor {
  std::string name;
  std::string source_ip;
};

class AccessService {
 public:
  AccessService(store::AuthStore& store, const Clock& clock, AccessPolicy policy);

  // A clear message when a password breaks the policy.
  Status check_password_policy(const std::string& user, const std::string& password) const;
  static Status check_user_name(const std::string& name);

  Status add_user(const std::string& name, Role role, const std::string& password, const Actor& by);
  Status set_locked(const std::string& name, bool locked, const Actor& by);
  Status set_role(const std::string& name, Role role, const Actor& by);
  Status set_password(const std::string& name, const std::string& password, const Actor& by);
  Status remove_user(const std::string& name, const Actor& by);
  Result<std::vector<User>> list_users();

  // Verifies a user's password (one argon2id verification), counting failures toward lockout.
  // Returns the user, or why the login failed. `locked_now` is set when this failure locked
  // the user. Store errors surface as kUnknownUser with `store_error` set.
  std::expected<User, LoginFailure> authenticate(const std::string& name, const std::string& password,
                                                 bool* locked_now = nullptr, std::string* store_error = nullptr);

  // First start: creates `admin` with this password unless a user exists already.
  // Returns true when it created the user.
  Result<bool> ensure_initial_admin(const std::string& password);

  const AccessPolicy& policy() const { return policy_; }

 private:
  store::AuthStore& store_;
  const Clock& clock_;
  AccessPolicy policy_;
  std::string dummy_hash_;
};

}  // namespace licsat::domain
