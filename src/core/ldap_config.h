// The [ldap] section: users authenticated by an LDAP directory (OpenLDAP, Active Directory)
// beside the local ones. Parsed with every other setting (core/config.h), checked once the whole
// configuration is known (finish_ldap_config), and used by directory/ldap_directory.h.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace licsat {

struct LdapConfig {
  std::string url;                  // ldap://host[:port] or ldaps://host[:port]; empty: no directory
  bool start_tls = false;           // ldap:// only: StartTLS before binding
  std::string ca_file;              // CA of the directory's certificate (ldaps:// or StartTLS); empty: the system's
  std::string bind_dn;              // the service account that searches for users
  std::string bind_password_file;   // its password (a file of mode 0600 or 0400), read once at start
  std::string bind_password;        // read from bind_password_file; never printed
  std::string user_base;            // where users are searched (subtree)
  std::string user_filter = "(uid={user})";  // {user}: the login name, RFC 4515-escaped
  std::string admin_group;          // a member of it logs in as admin …
  std::string operator_group;       // … as operator …
  std::string viewer_group;         // … as viewer; in none of them: refused
  bool nested_groups = false;       // Active Directory: membership through nested groups (LDAP_MATCHING_RULE_IN_CHAIN)
  int64_t timeout = 5;              // seconds for connecting and for each operation

  bool configured() const { return !url.empty(); }
};

// Sets one key of [ldap] ("url", "start_tls", …) from text; an unknown key or a bad value is an
// error naming "ldap.<key>".
Status set_ldap_key(LdapConfig& cfg, const std::string& key, const std::string& value);

// With a url: checks that the scheme is ldap:// or ldaps://, that StartTLS is not asked of
// ldaps://, that bind_dn, bind_password_file, user_base and at least one group are set, that
// user_filter holds {user} and is parenthesised, that ca_file can be read; then reads the bind
// password (refused when the file is group or world readable, or empty). Without a url: any other
// [ldap] key set is an error, so a half-written section is not silently ignored.
Status finish_ldap_config(LdapConfig& cfg);

}  // namespace licsat
