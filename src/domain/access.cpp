#include "domain/access.h"

#include <cctype>

namespace licsat::domain {

std::string login_failure_reason(LoginFailure f) {
  switch (f) {
    case LoginFailure::kUnknownUser: return "unknown user";
    case LoginFailure::kBadPassword: return "bad user password";
    case LoginFailure::kLocked: return "user locked";
    case LoginFailure::kLockedTemporarily: return "user locked temporarily";
    case LoginFailure::kBusy: return "password verifications at their limit";
    case LoginFailure::kDelayed: return "delayed: many addresses failed for this name";
    case LoginFailure::kDirectoryRefused: return "refused by the directory";
  }
  return "unknown";
}

AccessService::AccessService(store::AuthStore& store, const Clock& clock, AccessPolicy policy)
    : store_(store), clock_(clock), policy_(policy), gate_(policy.verify_running, policy.verify_queued),
      guard_(LoginGuardPolicy{policy.lockout_threshold, policy.lockout_window, policy.lockout_duration,
                              policy.lockout_max_duration, policy.lockout_global_threshold, policy.lockout_global_delay}) {
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
  auto s = store_.set_user_locked(name, locked, e);
  // An unlock ends the lockouts of every address, on this node (the others' run out).
  if (s && !locked) guard_.clear(name);
  return s;
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

void AccessService::set_directory(Directory* directory, int64_t running, int64_t queued) {
  directory_ = directory;
  directory_gate_ = directory ? std::make_unique<VerifyGate>(running, queued) : nullptr;
}

std::expected<User, LoginFailure> AccessService::authenticate(const std::string& name, const std::string& password,
                                                              LoginInfo* info, const std::string& source) {
  LoginInfo scratch;
  LoginInfo& out = info ? *info : scratch;
  out = {};
  const int64_t now = clock_.now();
  // Per (name, address), before anything is looked up, so known and unknown names get the same
  // answers. During a temporary lock every attempt gets the same answer, right password or not:
  // telling the right one apart would let a guesser go on guessing through the lock.
  const bool per_address = policy_.lockout_duration > 0;
  bool known_address = false;  // a name back at an address it logged in from: the gate's reserve
  if (per_address) {
    auto v = guard_.check(name, source, now);
    known_address = v.known;
    if (v.locked_until > now) {
      out.locked_until = v.locked_until;
      return std::unexpected(LoginFailure::kLockedTemporarily);
    }
    if (v.delayed_until > now) {
      out.delayed_until = v.delayed_until;
      return std::unexpected(LoginFailure::kDelayed);
    }
  }
  auto count_failure = [&] {
    if (per_address) {
      auto f = guard_.failed(name, source, now);
      out.locked_now = f.locked_now;
      out.locked_until = f.locked_until;
      out.delay_started = f.delay_started;
      return;
    }
    auto r = store_.record_login_failure(name, now, policy_.lockout_window, policy_.lockout_threshold,
                                         policy_.lockout_duration, policy_.lockout_max_duration);
    if (r && r->locked_now) {
      out.locked_now = true;
      out.locked_until = r->locked_until;
    }
  };
  // Every verification, of a known user or not, takes its place at the gate first; a name from an
  // address where it logged in before may use the gate's reserved places, which guessers of
  // unknown names (or of known names from new addresses) cannot fill.
  VerifyGate::Pass pass = gate_.enter(known_address);
  if (!pass) return std::unexpected(LoginFailure::kBusy);
  auto found = store_.find_user(name);
  const bool directory_user = found && *found && (*found)->password_hash == kDirectoryUserHash;
  if (!found || !*found || directory_user) {
    (void)crypto::verify_password(dummy_hash_, password);  // a local name's timing tells nothing
    pass = VerifyGate::Pass();
    if (!found) {
      out.store_error = found.error().message;
      return std::unexpected(LoginFailure::kUnknownUser);
    }
    if (directory_) return directory_login(name, password, out, count_failure, source, now);
    if (per_address) count_failure();  // names that do not exist lock like those that do
    return std::unexpected(LoginFailure::kUnknownUser);
  }
  const User& u = **found;
  bool ok = crypto::verify_password(u.password_hash, password);  // always paid, so timing tells nothing
  pass = VerifyGate::Pass();  // the place is for the verification, not the bookkeeping after it
  if (u.locked) return std::unexpected(ok ? LoginFailure::kLocked : LoginFailure::kBadPassword);
  if (u.locked_until > now) {
    // A user-wide temporary lock stored before locks were per address: it runs out as it was.
    out.locked_until = u.locked_until;
    return std::unexpected(LoginFailure::kLockedTemporarily);
  }
  if (!ok) {
    count_failure();
    return std::unexpected(LoginFailure::kBadPassword);
  }
  if (per_address) guard_.succeeded(name, source, now);
  if (u.failed_logins != 0 || u.locked_until != 0 || u.lockouts != 0) (void)store_.clear_login_failures(name);
  return u;
}

std::expected<User, LoginFailure> AccessService::directory_login(const std::string& name, const std::string& password,
                                                                 LoginInfo& out,
                                                                 const std::function<void()>& count_failure,
                                                                 const std::string& source, int64_t now) {
  VerifyGate::Pass asking = directory_gate_->enter();
  if (!asking) return std::unexpected(LoginFailure::kBusy);
  auto found = directory_->authenticate(name, password);
  asking = VerifyGate::Pass();
  if (!found) {
    // A directory that is down or misconfigured is no guess of the caller's: not counted.
    DirectoryFailure kind = found.error().kind;
    if (kind != DirectoryFailure::kUnreachable && kind != DirectoryFailure::kConfigError) count_failure();
    out.directory_refusal = found.error();
    return std::unexpected(LoginFailure::kDirectoryRefused);
  }
  if (policy_.lockout_duration > 0) guard_.succeeded(name, source, now);
  out.directory_dn = found->dn;
  return directory_record(name, found->role, found->dn, out, now);
}

std::expected<User, LoginFailure> AccessService::directory_record(const std::string& given, Role role,
                                                                  const std::string& dn, LoginInfo& out, int64_t now) {
  // Directories match names without regard to case: one record per person, whatever they typed.
  std::string name = given;
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto refuse = [&](DirectoryFailure kind, const std::string& why) {
    out.directory_refusal = DirectoryRefusal{kind, why};
    return std::unexpected(LoginFailure::kDirectoryRefused);
  };
  if (auto ok = check_user_name(name); !ok)
    return refuse(DirectoryFailure::kConfigError, "the name cannot be a licsat user name: " + ok.error().message);
  auto found = store_.find_user(name);
  if (!found) {
    out.store_error = found.error().message;
    return std::unexpected(LoginFailure::kUnknownUser);
  }
  if (!*found) {
    User u;
    u.name = name;
    u.role = role;
    u.password_hash = kDirectoryUserHash;
    u.created_at = now;
    u.created_by = "directory";
    Event e{0,
            now,
            "directory",
            "",
            "user.create",
            "success",
            "directory user '" + name + "' (" + dn.substr(0, 256) + ") with role " + std::string(role_name(role)) +
                ", accounts all, at first login"};
    auto made = store_.create_user(u, e);
    if (made) return u;
    if (made.error().code != ErrorCode::kAlreadyExists) {
      out.store_error = made.error().message;
      return std::unexpected(LoginFailure::kUnknownUser);
    }
    found = store_.find_user(name);  // another login made it first
    if (!found || !*found) {
      out.store_error = found ? "directory user vanished" : found.error().message;
      return std::unexpected(LoginFailure::kUnknownUser);
    }
  }
  User u = **found;
  if (u.password_hash != kDirectoryUserHash)
    return refuse(DirectoryFailure::kConfigError, "a local user '" + name + "' exists: local users log in locally");
  if (u.locked) return std::unexpected(LoginFailure::kLocked);
  if (u.role != role) {
    Event e{
        0,
        now,
        "directory",
        "",
        "user.role",
        "success",
        "directory user '" + name + "' now has role " + std::string(role_name(role)) + " (from the directory groups)"};
    if (auto s = store_.set_user_role(name, role, e); !s) {
      out.store_error = s.error().message;
      return std::unexpected(LoginFailure::kUnknownUser);
    }
    u.role = role;
  }
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
  const int64_t now = clock_.now();
  std::string was = u.locked                                                              ? "locked"
                    : u.locked_until > now || !guard_.locked_addresses(name, now).empty() ? "locked temporarily"
                                                                                          : "not locked";
  Event e{0, clock_.now(), by.name, by.source_ip, "user.unlock", "success",
          "user '" + name + "' (was " + was + ", " + std::to_string(u.failed_logins) + " failed logins); reason: break-glass"};
  if (auto s = store_.set_user_locked(name, false, e); !s) return s;
  guard_.clear(name);
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
