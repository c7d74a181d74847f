#include "directory/ldap_directory.h"

#include <ldap.h>
#include <sys/time.h>

#include <array>
#include <memory>
#include <optional>

#include "directory/ldap_filter.h"

namespace licsat::directory {
namespace {

using domain::DirectoryFailure;
using domain::DirectoryRefusal;

// One connection, unbound at the end whatever happened.
struct Handle {
  LDAP* ld = nullptr;
  ~Handle() {
    if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr);
  }
};

struct Message {
  LDAPMessage* msg = nullptr;
  ~Message() {
    if (msg) ldap_msgfree(msg);
  }
};

bool network_error(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE ||
         rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

std::string words(int rc) { return std::string(ldap_err2string(rc)) + " (" + std::to_string(rc) + ")"; }

// The connection's own diagnostic, when libldap left one (e.g. why TLS failed).
std::string diagnostic(LDAP* ld) {
  char* msg = nullptr;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) != LDAP_OPT_SUCCESS || !msg) return "";
  std::string out = *msg ? std::string(": ") + msg : std::string();
  ldap_memfree(msg);
  return out;
}

DirectoryRefusal refusal(DirectoryFailure kind, std::string detail) {
  return DirectoryRefusal{kind, std::move(detail)};
}

// A simple bind; the password is given as a berval, never copied into a message.
int simple_bind(LDAP* ld, const std::string& dn, const std::string& password) {
  berval cred{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
  return ldap_sasl_bind_s(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
}

}  // namespace

LdapDirectory::LdapDirectory(LdapConfig cfg) : cfg_(std::move(cfg)) {}

std::expected<domain::DirectoryUser, DirectoryRefusal> LdapDirectory::authenticate(const std::string& user,
                                                                                   const std::string& password) {
  // An empty password makes a simple bind "unauthenticated" (RFC 4513 §5.1.2), which many
  // directories answer with success: it must never reach the directory.
  if (password.empty()) return std::unexpected(refusal(DirectoryFailure::kBadCredentials, "empty password"));

  Handle h;
  if (int rc = ldap_initialize(&h.ld, cfg_.url.c_str()); rc != LDAP_SUCCESS)
    return std::unexpected(refusal(DirectoryFailure::kConfigError, "url '" + cfg_.url + "': " + words(rc)));
  int version = LDAP_VERSION3;
  ldap_set_option(h.ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(h.ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval limit{static_cast<time_t>(cfg_.timeout), 0};
  ldap_set_option(h.ld, LDAP_OPT_NETWORK_TIMEOUT, &limit);  // connecting
  ldap_set_option(h.ld, LDAP_OPT_TIMEOUT, &limit);          // each synchronous operation
  if (!cfg_.ca_file.empty()) ldap_set_option(h.ld, LDAP_OPT_X_TLS_CACERTFILE, cfg_.ca_file.c_str());
  int demand = LDAP_OPT_X_TLS_DEMAND;
  ldap_set_option(h.ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
  ldap_set_option(h.ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12);
  int client = 0;  // a TLS context of this connection's own, with the options above
  ldap_set_option(h.ld, LDAP_OPT_X_TLS_NEWCTX, &client);

  if (cfg_.start_tls) {
    if (int rc = ldap_start_tls_s(h.ld, nullptr, nullptr); rc != LDAP_SUCCESS)
      return std::unexpected(
          refusal(DirectoryFailure::kUnreachable, "StartTLS failed: " + words(rc) + diagnostic(h.ld)));
  }

  auto service_bind = [&]() -> std::optional<DirectoryRefusal> {
    int rc = simple_bind(h.ld, cfg_.bind_dn, cfg_.bind_password);
    if (rc == LDAP_SUCCESS) return std::nullopt;
    if (network_error(rc)) return refusal(DirectoryFailure::kUnreachable, words(rc) + diagnostic(h.ld));
    return refusal(DirectoryFailure::kConfigError,
                   "bind as service account '" + cfg_.bind_dn + "' failed: " + words(rc));
  };
  if (auto r = service_bind()) return std::unexpected(*r);

  // The user's entry: exactly one, or nobody is trusted.
  std::array<char*, 2> no_attributes{const_cast<char*>(LDAP_NO_ATTRS), nullptr};
  std::string filter = user_search_filter(cfg_.user_filter, user);
  Message found;
  int rc = ldap_search_ext_s(h.ld, cfg_.user_base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), no_attributes.data(), 0,
                             nullptr, nullptr, &limit, 2, &found.msg);
  if (network_error(rc)) return std::unexpected(refusal(DirectoryFailure::kUnreachable, "user search: " + words(rc)));
  int entries = found.msg ? ldap_count_entries(h.ld, found.msg) : 0;
  if (rc == LDAP_SIZELIMIT_EXCEEDED || entries > 1)
    return std::unexpected(refusal(DirectoryFailure::kAmbiguous, "the user search matched more than one entry"));
  if (rc != LDAP_SUCCESS)
    return std::unexpected(
        refusal(DirectoryFailure::kConfigError, "user search under '" + cfg_.user_base + "' failed: " + words(rc)));
  if (entries == 0)
    return std::unexpected(refusal(DirectoryFailure::kNoSuchUser, "no entry under '" + cfg_.user_base + "'"));
  char* raw_dn = ldap_get_dn(h.ld, ldap_first_entry(h.ld, found.msg));
  if (!raw_dn) return std::unexpected(refusal(DirectoryFailure::kConfigError, "the user's entry has no DN"));
  std::string dn = raw_dn;
  ldap_memfree(raw_dn);

  // The password: a bind as the user's entry.
  rc = simple_bind(h.ld, dn, password);
  if (network_error(rc)) return std::unexpected(refusal(DirectoryFailure::kUnreachable, "user bind: " + words(rc)));
  if (rc != LDAP_SUCCESS)
    return std::unexpected(refusal(DirectoryFailure::kBadCredentials, "bind as '" + dn + "' failed: " + words(rc)));

  // Groups are read as the service account (a user may not read them), highest role first.
  if (auto r = service_bind()) return std::unexpected(*r);
  const std::string member = group_member_filter(dn, cfg_.nested_groups);
  const std::pair<const std::string*, domain::Role> groups[] = {{&cfg_.admin_group, domain::Role::kAdmin},
                                                                {&cfg_.operator_group, domain::Role::kOperator},
                                                                {&cfg_.viewer_group, domain::Role::kViewer}};
  for (const auto& [group, role] : groups) {
    if (group->empty()) continue;
    Message m;
    rc = ldap_search_ext_s(h.ld, group->c_str(), LDAP_SCOPE_BASE, member.c_str(), no_attributes.data(), 0, nullptr,
                           nullptr, &limit, 1, &m.msg);
    if (network_error(rc))
      return std::unexpected(refusal(DirectoryFailure::kUnreachable, "group search: " + words(rc)));
    if (rc == LDAP_NO_SUCH_OBJECT) continue;  // a group that does not exist has no members
    if (rc != LDAP_SUCCESS)
      return std::unexpected(refusal(DirectoryFailure::kConfigError, "group '" + *group + "': " + words(rc)));
    if (m.msg && ldap_count_entries(h.ld, m.msg) > 0) return domain::DirectoryUser{dn, role};
  }
  return std::unexpected(refusal(DirectoryFailure::kNotInGroup, "'" + dn + "' is a member of none of the groups"));
}

}  // namespace licsat::directory
