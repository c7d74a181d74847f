// Users of an LDAP directory (OpenLDAP, Active Directory) through libldap: the domain's Directory
// port. Each login opens its own connection (ldap:// with optional StartTLS, or ldaps://), binds
// as the service account, searches the user's entry, binds as that entry with the password, binds
// again as the service account and reads the groups; the highest role of a group the user is a
// member of wins. Every network step is bounded by the configured timeout.
#pragma once

#include "core/ldap_config.h"
#include "domain/directory.h"

namespace licsat::directory {

class LdapDirectory final : public domain::Directory {
 public:
  // `cfg` has passed finish_ldap_config() (its bind password is read).
  explicit LdapDirectory(LdapConfig cfg);

  std::expected<domain::DirectoryUser, domain::DirectoryRefusal> authenticate(const std::string& user,
                                                                              const std::string& password) override;

 private:
  LdapConfig cfg_;
};

}  // namespace licsat::directory
