// Roles of Access Management. viewer reads; operator also reports usage and syncs; admin also
// manages users, grants and settings. Ordered so that a higher role includes the lower ones.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace licsat::domain {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };

std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view s);
inline bool role_allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

}  // namespace licsat::domain
