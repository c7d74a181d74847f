// Access Management: users, roles, the password policy, argon2id hashing and lockout after
// repeated failed logins: a temporary lock (auth.lockout_duration, doubled for each further lock
// since the last successful login, up to 24 h), or, with a duration of 0, a lock that lasts until
// an admin unlocks.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/result.h"
#include "domain/auth_records.h"
#include "domain/directory.h"
#include "domain/login_guard.h"
#include "domain/verify_gate.h"
#include "store/auth_store.h"

namespace licsat::domain {

struct AccessPolicy {
  int64_t password_min_length = 12;
  int64_t lockout_threshold = 5;
  int64_t lockout_window = 15 * 60;
  int64_t lockout_duration = 15 * 60;        // 0: locked until an admin unlocks
  int64_t lockout_max_duration = 24 * 3600;  // cap of the doubling
  crypto::PwhashCost cost;
  // The gate in front of argon2id verifications (see VerifyGate): this many at once (0: one per
  // core) and this many more waiting (-1: four per core); past that a login is kBusy.
  int64_t verify_running = 0;
  int64_t verify_queued = -1;
  // Many addresses failing for one name (see LoginGuard): this many failures within
  // lockout_window start a delay of this many seconds between attempts from unknown addresses.
  int64_t lockout_global_threshold = 20;
  int64_t lockout_global_delay = 5;
};

// The password hash of a user recorded for a directory login: no password verifies against it;
// such a user logs in through the directory only.
inline constexpr const char* kDirectoryUserHash = "!directory";

enum class LoginFailure {
  kUnknownUser,   // no such user (a dummy verification keeps the timing the same)
  kBadPassword,
  kLocked,        // the password was right but the user is locked (by an admin, or until an admin unlocks)
  kLockedTemporarily,  // a temporary lockout is in force (the password is not told right or wrong)
  kBusy,          // the verification gate's queue is full: nothing was verified or counted
  kDelayed,       // many addresses failed for this name: this address waits (nothing verified)
  kDirectoryRefused,  // no local user, and the directory refused the login (LoginInfo::directory_refusal says why)
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

  Status add_user(const std::string& name, Role role, const std::string& password, const Actor& by,
                  const AccountScope& accounts = AccountScope::every());
  // Limits the user to smart accounts (or lifts the limit); its tokens follow at once.
  Status set_accounts(const std::string& name, const AccountScope& accounts, const Actor& by);
  Status set_locked(const std::string& name, bool locked, const Actor& by);
  Status set_role(const std::string& name, Role role, const Actor& by);
  Status set_password(const std::string& name, const std::string& password, const Actor& by);
  Status remove_user(const std::string& name, const Actor& by);
  Result<std::vector<User>> list_users();

  // Verifies a user's password (one argon2id verification), counting failures toward lockout.
  // Returns the user, or why the login failed; `info` (optional) says whether this failure
  // locked the user and until when a temporary lock lasts. Store errors surface as kUnknownUser
  // with `info->store_error` set.
  struct LoginInfo {
    bool locked_now = false;    // this failure locked the user (for this source address)
    int64_t locked_until = 0;   // a temporary lock (in force or just set) ends then; 0 = none
    int64_t delayed_until = 0;  // kDelayed: the address may try again then
    bool delay_started = false; // this failure started the global delay of the name
    std::string store_error;
    std::optional<DirectoryRefusal> directory_refusal;  // kDirectoryRefused: the directory's reason
    std::string directory_dn;   // a directory user logged in: their entry's DN
  };
  // Temporary lockouts count per (name, `source`), names that exist or not alike (LoginGuard);
  // with lockout_duration = 0 the user-wide permanent lock of the store is used instead.
  // A name that is no local user is asked of the directory, when one is set: its users log in
  // with the role of their groups and every account, under the same lockout (their names
  // counted without regard to case, as directories compare them).
  std::expected<User, LoginFailure> authenticate(const std::string& name, const std::string& password,
                                                 LoginInfo* info = nullptr, const std::string& source = "");

  // Break-glass (`licsat serve --unlock-user`): clears any lock, temporary lock and failure
  // count of the user, recorded as user.unlock by `by`; with a non-empty `new_password` (checked
  // against the policy first, so a bad one changes nothing) also sets the password.
  Status break_glass_unlock(const std::string& name, const std::string& new_password, const Actor& by);

  // First start: creates `admin` with this password unless a user exists already.
  // Returns true when it created the user.
  Result<bool> ensure_initial_admin(const std::string& password);

  // Users of a directory (LDAP) beside the local ones; null: local users only. Set once at start.
  // At most `running` directory logins at once and `queued` more waiting (past that: kBusy), apart
  // from the argon2id gate, so a directory that hangs cannot hold up the local admin's login.
  void set_directory(Directory* directory, int64_t running = 16, int64_t queued = 64);

  const AccessPolicy& policy() const { return policy_; }
  VerifyGate& verify_gate() { return gate_; }
  LoginGuard& login_guard() { return guard_; }

 private:
  // authenticate() for a name that is no local user, when a directory is set.
  // Its users are recorded as users whose password hash is kDirectoryUserHash, under their name
  // in lower case, on their first login (so tokens refer to them, and an admin can lock them or
  // limit their accounts); their role follows their groups at each login.
  std::expected<User, LoginFailure> directory_login(const std::string& name, const std::string& password,
                                                    LoginInfo& out, const std::function<void()>& count_failure,
                                                    const std::string& source, int64_t now);
  // The record of a directory user who just proved their password: created, or its role updated.
  std::expected<User, LoginFailure> directory_record(const std::string& name, Role role, const std::string& dn,
                                                     LoginInfo& out, int64_t now);

  store::AuthStore& store_;
  const Clock& clock_;
  AccessPolicy policy_;
  std::string dummy_hash_;
  VerifyGate gate_;
  LoginGuard guard_;
  Directory* directory_ = nullptr;
  std::unique_ptr<VerifyGate> directory_gate_;
};

}  // namespace licsat::domain
