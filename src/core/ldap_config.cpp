#include "core/ldap_config.h"

#include <unistd.h>

#include "core/config.h"

namespace licsat {
namespace {

Result<bool> parse_flag(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return fail(Error::invalid("setting 'ldap." + key + "': '" + v + "' is not true or false"));
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

Status set_ldap_key(LdapConfig& cfg, const std::string& key, const std::string& value) {
  std::string* text = key == "url"                  ? &cfg.url
                      : key == "ca_file"            ? &cfg.ca_file
                      : key == "bind_dn"            ? &cfg.bind_dn
                      : key == "bind_password_file" ? &cfg.bind_password_file
                      : key == "user_base"          ? &cfg.user_base
                      : key == "user_filter"        ? &cfg.user_filter
                      : key == "admin_group"        ? &cfg.admin_group
                      : key == "operator_group"     ? &cfg.operator_group
                      : key == "viewer_group"       ? &cfg.viewer_group
                                                    : nullptr;
  if (text) {
    *text = value;
    return {};
  }
  if (key == "start_tls" || key == "nested_groups") {
    auto b = parse_flag(key, value);
    if (!b) return fail(b.error());
    (key == "start_tls" ? cfg.start_tls : cfg.nested_groups) = *b;
    return {};
  }
  if (key == "timeout") {
    auto d = parse_duration(value);
    if (!d) return fail(Error::invalid("setting 'ldap.timeout': " + d.error().message));
    if (*d < 1 || *d > 300) return fail(Error::invalid("setting 'ldap.timeout' must be between 1s and 300s"));
    cfg.timeout = *d;
    return {};
  }
  return fail(Error::invalid("unknown setting 'ldap." + key + "'"));
}

Status finish_ldap_config(LdapConfig& cfg) {
  if (!cfg.configured()) {
    LdapConfig unset;
    bool any = cfg.start_tls != unset.start_tls || !cfg.ca_file.empty() || !cfg.bind_dn.empty() ||
               !cfg.bind_password_file.empty() || !cfg.user_base.empty() || cfg.user_filter != unset.user_filter ||
               !cfg.admin_group.empty() || !cfg.operator_group.empty() || !cfg.viewer_group.empty() ||
               cfg.nested_groups != unset.nested_groups || cfg.timeout != unset.timeout;
    if (any)
      return fail(Error::invalid("[ldap]: settings are given but 'ldap.url' is not: set it, or remove the section"));
    return {};
  }
  std::string problems;
  auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
  const bool ldaps = starts_with(cfg.url, "ldaps://");
  if (!ldaps && !starts_with(cfg.url, "ldap://"))
    problem("'ldap.url' must start with ldap:// or ldaps://, not '" + cfg.url + "'");
  if (ldaps && cfg.start_tls) problem("'ldap.start_tls' is for ldap:// URLs: ldaps:// is TLS already");
  if (cfg.bind_dn.empty()) problem("'ldap.bind_dn' is required with 'ldap.url'");
  if (cfg.bind_password_file.empty()) problem("'ldap.bind_password_file' is required with 'ldap.url'");
  if (cfg.user_base.empty()) problem("'ldap.user_base' is required with 'ldap.url'");
  if (cfg.user_filter.find("{user}") == std::string::npos)
    problem("'ldap.user_filter' must contain {user}, e.g. (uid={user})");
  else if (cfg.user_filter.front() != '(' || cfg.user_filter.back() != ')')
    problem("'ldap.user_filter' must be in parentheses, e.g. (uid={user})");
  if (cfg.admin_group.empty() && cfg.operator_group.empty() && cfg.viewer_group.empty())
    problem("at least one of 'ldap.admin_group', 'ldap.operator_group', 'ldap.viewer_group' is required");
  if (!cfg.ca_file.empty() && ::access(cfg.ca_file.c_str(), R_OK) != 0)
    problem("'ldap.ca_file' '" + cfg.ca_file + "' cannot be read");
  if (!cfg.bind_password_file.empty()) {
    auto pw = read_password_file(cfg.bind_password_file, "ldap.bind_password_file");
    if (!pw)
      problem(pw.error().message);
    else
      cfg.bind_password = std::move(*pw);
  }
  if (!problems.empty()) return fail(Error::invalid("[ldap]: " + problems));
  return {};
}

}  // namespace licsat
