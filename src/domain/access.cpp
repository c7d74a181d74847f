#include "domain/access.h"

namespace licsat::domain {

std::string login_failure_reason(LoginFailure f) {
  switch (f) {
    case LoginFailure::kUnknownUser: return "unknown user";
    case LoginFailure::kBadPassword: return "bad user password";
    case LoginFailure::kLocked: return "user locked";
    case LoginFailure::kLockedTemporarily: return "user locked temporarily";
  }
  return "unknown";
}

AccessService::AccessService(store::AuthStore& store, const Clock& clock, AccessPolicy policy)
    : store_(store), clock_(clock), policy_(policy) {
  // A hash to verify against when the user does not exist, so that timing does not tell.
  dummy_hash_ = crypto::hash_password(crypto::random_urlsafe(16), policy_.cost).value_or("");
}

Status AccessService::check_user_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return fail(Error::invalid("user name must be 1 to 64 characters"));
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@'))
      return fail(Error::invalid("user name may hold only letters, digits and . _ - @"));
  return {};
}

Status AccessService::check_password_policy(const std::string& user, const std::string& password) const {
  if (static_cast<int64_t>(password.size()) < policy_.password_min_length)
    return fail(Error::invalid("password must be at least " + std::to_string(policy_.password_min_length) +
                               " characters long"));
  if (password.size() > 1024) return fail(Error::invalid("password must be at most 1024 characters long"));
  if (password == user) return fail(Error::invalid("password must not be the user name"));
  return {};
}

Status AccessService::add_user(const std::string& name, Role role, const std::string& password, const Actor& by,
                               const AccountScope& accounts) {
  if (auto s = check_user_name(name); !s) return s;
  if (auto s = check_password_policy(name, password); !s) return s;
  auto hash = crypto::hash_password(password, policy_.cost);
  if (!hash) return fail(hash.error());
  User u;
  u.name = name;
  u.role = role;
  u.password_hash = *hash;
  u.created_at = clock_.now();
  u.created_by = by.name;
  u.accounts = accounts;
  Event e{0, clock_.now(), by.name, by.source_ip, "user.create", "success",
          "user '" + name + "' with role " + std::string(role_name(role)) + ", accounts " + accounts.to_string()};
  return store_.create_user(u, e);
}

Status AccessService::set_locked(const std::string& name, bool locked, const Actor& by) {
  Event e{0, clock_.now(), by.name, by.source_ip, locked ? "user.lock" : "user.unlock", "success", "user '" + name + "'"};
  return store_.set_user_locked(name, locked, e);
}

Status AccessService::set_role(const std::string& name, Role role, const Actor& by) {
  Event e{0, clock_.now(), by.name, by.source_ip, "user.role", "success",
          "user '" + name + "' now has role " + std::string(role_name(role))};
  return store_.set_user_role(name, role, e);
}

Status AccessService::set_password(const std::string& name, const std::string& password, const Actor& by) {
  if (auto s = check_password_policy(name, password); !s) return s;
  auto hash = crypto::hash_password(password, policy_.cost);
  if (!hash) return fail(hash.error());
  Event e{0, clock_.now(), by.name, by.source_ip, "user.password", "success", "password of user '" + name + "' changed"};
  return store_.set_user_password(name, *hash, e);
}

Status AccessService::set_accounts(const std::string& name, const AccountScope& accounts, const Actor& by) {
  Event e{0, clock_.now(), by.name, by.source_ip, "user.accounts", "success",
          "user '" + name + "' now reaches accounts " + accounts.to_string()};
  return store_.set_user_accounts(name, accounts, e);
}

Status AccessService::remove_user(const std::string& name, const Actor& by) {
  if (name == by.name) return fail(Error::invalid("you cannot delete your own user"));
  Event e{0, clock_.now(), by.name, by.source_ip, "user.delete", "success", "user '" + name + "'"};
  return store_.delete_user(name, e);
}

Result<std::vector<User>> AccessService::list_users() { return store_.list_users(); }

std::expected<User, LoginFailure> AccessService::authenticate(const std::string& name, const std::string& password,
                                                              LoginInfo* info) {
  LoginInfo scratch;
  LoginInfo& out = info ? *info : scratch;
  out = {};
  auto found = store_.find_user(name);
  if (!found || !*found) {
    if (!found) out.store_error = found.error().message;
    (void)crypto::verify_password(dummy_hash_, password);
    return std::unexpected(LoginFailure::kUnknownUser);
  }
  const User& u = **found;
  const int64_t now = clock_.now();
  bool ok = crypto::verify_password(u.password_hash, password);  // always paid, so timing tells nothing
  if (u.locked) return std::unexpected(ok ? LoginFailure::kLocked : LoginFailure::kBadPassword);
  if (u.locked_until > now) {
    // During a temporary lock every attempt gets the same answer, right password or not: telling
    // the right one apart would let a guesser go on guessing through the lock.
    out.locked_until = u.locked_until;
    return std::unexpected(LoginFailure::kLockedTemporarily);
  }
  if (!ok) {
    auto r = store_.record_login_failure(name, now, policy_.lockout_window, policy_.lockout_threshold,
                                         policy_.lockout_duration, policy_.lockout_max_duration);
    if (r && r->locked_now) {
      out.locked_now = true;
      out.locked_until = r->locked_until;
    }
    return std::unexpected(LoginFailure::kBadPassword);
  }
  if (u.failed_logins != 0 || u.locked_until != 0 || u.lockouts != 0) (void)store_.clear_login_failures(name);
  return u;
}

Status AccessService::break_glass_unlock(const std::string& name, const std::string& new_password, const Actor& by) {
  auto found = store_.find_user(name);
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::not_found("no user '" + name + "'"));
  std::string hash;
  if (!new_password.empty()) {
    if (auto s = check_password_policy(name, new_password); !s) return s;
    auto h = crypto::hash_password(new_password, policy_.cost);
    if (!h) return fail(h.error());
    hash = *h;
  }
  const User& u = **found;
  std::string was = u.locked ? "locked" : u.locked_until > clock_.now() ? "locked temporarily" : "not locked";
  Event e{0, clock_.now(), by.name, by.source_ip, "user.unlock", "success",
          "user '" + name + "' (was " + was + ", " + std::to_string(u.failed_logins) + " failed logins); reason: break-glass"};
  if (auto s = store_.set_user_locked(name, false, e); !s) return s;
  if (hash.empty()) return {};
  Event p{0, clock_.now(), by.name, by.source_ip, "user.password", "success",
          "password of user '" + name + "' changed; reason: break-glass"};
  return store_.set_user_password(name, hash, p);
}

Result<bool> AccessService::ensure_initial_admin(const std::string& password) {
  auto users = store_.list_users();
  if (!users) return fail(users.error());
  if (!users->empty()) return false;
  if (auto s = add_user("admin", Role::kAdmin, password, Actor{"system", "local"}); !s) {
    if (s.error().code == ErrorCode::kAlreadyExists) return false;  // another node made it first
    return fail(s.error());
  }
  return true;
}

}  // namespace licsat::domain
