// Building LDAP search filters from outside text (RFC 4515): a user name or a DN is placed into
// a filter only escaped, so `*)(uid=*` is a name that matches nobody, not a second clause.
#pragma once

#include <string>
#include <string_view>

namespace licsat::directory {

// The value escaped for an assertion of a filter: * ( ) \ and NUL become \2a \28 \29 \5c \00.
std::string escape_filter_value(std::string_view value);

// The configured user filter with every {user} replaced by the escaped name.
std::string user_search_filter(std::string_view filter_template, std::string_view user);

// The filter that matches `user_dn` among a group's members: (member=DN), or with `nested`,
// Active Directory's transitive (member:1.2.840.113556.1.4.1941:=DN).
std::string group_member_filter(std::string_view user_dn, bool nested);

}  // namespace licsat::directory
