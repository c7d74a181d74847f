#include "domain/access.h"

namespace licsat::domain {

std::string login_failure_reason(LoginFailure f) {
  switch (f) {
    case LoginFailure::kUnknownUser: return "unknown user";
    case LoginFailure::kBadPassword: return "bad user password";
    case LoginFailure::kLocked: return "user locked";
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

Status AccessService::add_user(const std::string& name, Role role, const std::string& password, const Actor& by) {
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
  Event e{0, clock_.now(), by.name, by.source_ip, "user.create", "success",
          "user '" + name + "' with role " + std::string(role_name(role))};
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

Status AccessService::remove_user(const std::string& name, const Actor& by) {
  if (name == by.name) return fail(Error::invalid("you cannot delete your own user"));
  Event e{0, clock_.now(), by.name, by.source_ip, "user.delete", "success", "user '" + name + "'"};
  return store_.delete_user(name, e);
}

Result<std::vector<User>> AccessService::list_users() { return store_.list_users(); }

std::expected<User, LoginFailure> AccessService::authenticate(const std::string& name, const std::string& password,
                                                              bool* locked_now, std::string* store_error) {
  if (locked_now) *locked_now = false;
  auto found = store_.find_user(name);
  if (!found || !*found) {
    if (!found && store_error) *store_error = found.error().message;
    (void)crypto::verify_password(dummy_hash_, password);
    return std::unexpected(LoginFailure::kUnknownUser);
  }
  const User& u = **found;
  bool ok = crypto::verify_password(u.password_hash, password);
  if (u.locked) return std::unexpected(ok ? LoginFailure::kLocked : LoginFailure::kBadPassword);
  if (!ok) {
    auto locked = store_.record_login_failure(name, clock_.now(), policy_.lockout_window, policy_.lockout_threshold);
    if (locked && *locked && locked_now) *locked_now = true;
    return std::unexpected(LoginFailure::kBadPassword);
  }
  if (u.failed_logins != 0) (void)store_.clear_login_failures(name);
  return u;
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
