// The port to a directory of users (LDAP, Active Directory): it says whether a name and password
// belong to one of its users and with which role. Access Management asks it for names that are no
// local user (domain/access.h); the implementation lives in directory/ (no LDAP types here).
#pragma once

#include <expected>
#include <string>

#include "domain/roles.h"

namespace licsat::domain {

// A directory user who proved their password: their entry's DN and the highest role their groups give.
struct DirectoryUser {
  std::string dn;
  Role role = Role::kViewer;
};

enum class DirectoryFailure {
  kNoSuchUser,      // the search found no entry for the name
  kAmbiguous,       // the search found several entries: none is trusted
  kBadCredentials,  // the user's bind failed (wrong password), or the password was empty
  kNotInGroup,      // the password was right, but the user is in none of the configured groups
  kUnreachable,     // the directory did not answer (down, timed out, TLS failed)
  kConfigError,     // the directory refused the service account or the search (a setting is wrong)
};

// Words for the Event Log: "not found in the directory", "directory unreachable", …
std::string directory_failure_reason(DirectoryFailure f);

struct DirectoryRefusal {
  DirectoryFailure kind = DirectoryFailure::kUnreachable;
  std::string detail;  // the directory's own words, for the Event Log (never the password)
};

class Directory {
 public:
  virtual ~Directory() = default;
  // Blocks for network round trips, bounded by the directory's timeout; safe to call from
  // several threads at once.
  virtual std::expected<DirectoryUser, DirectoryRefusal> authenticate(const std::string& user,
                                                                      const std::string& password) = 0;
};

}  // namespace licsat::domain
