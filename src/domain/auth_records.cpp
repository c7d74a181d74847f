#include "domain/auth_records.h"

#include <algorithm>

namespace licsat::domain {

std::string grant_type_name(GrantType t) {
  return t == GrantType::kResourceOwner ? "resource_owner" : "client_credentials";
}

std::string grant_type_label(GrantType t) {
  return t == GrantType::kResourceOwner ? "Resource Owner Grant" : "Client Credentials Grant";
}

std::optional<GrantType> parse_grant_type(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  if (s == "resource_owner") return GrantType::kResourceOwner;
  if (s == "client_credentials") return GrantType::kClientCredentials;
  return std::nullopt;
}

}  // namespace licsat::domain
