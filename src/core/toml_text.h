// TOML text to a table, with a syntax error turned into an error value that names the file,
// line and column ("admin.toml:3:7: …"), for the settings files that toml++ reads.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "core/result.h"

namespace licsat {

Result<toml::table> parse_toml(const std::string& text, const std::string& source);

}  // namespace licsat
