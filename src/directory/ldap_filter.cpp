#include "directory/ldap_filter.h"

namespace licsat::directory {

std::string escape_filter_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '*': out += "\\2a"; break;
      case '(': out += "\\28"; break;
      case ')': out += "\\29"; break;
      case '\\': out += "\\5c"; break;
      case '\0': out += "\\00"; break;
      default: out += c;
    }
  }
  return out;
}

std::string user_search_filter(std::string_view filter_template, std::string_view user) {
  static constexpr std::string_view kPlaceholder = "{user}";
  const std::string escaped = escape_filter_value(user);
  std::string out;
  size_t at = 0;
  for (size_t hit; (hit = filter_template.find(kPlaceholder, at)) != std::string_view::npos;
       at = hit + kPlaceholder.size()) {
    out.append(filter_template.substr(at, hit - at));
    out += escaped;
  }
  out.append(filter_template.substr(at));
  return out;
}

std::string group_member_filter(std::string_view user_dn, bool nested) {
  // LDAP_MATCHING_RULE_IN_CHAIN: Active Directory walks nested groups for this rule.
  return std::string(nested ? "(member:1.2.840.113556.1.4.1941:=" : "(member=") + escape_filter_value(user_dn) + ")";
}

}  // namespace licsat::directory
