// Defaults of `licsat admin`'s connection options from the operator's own file,
// $XDG_CONFIG_HOME/licsat/admin.toml (else ~/.config/licsat/admin.toml):
//
//   server = "https://licsat.example:8443"
//   user = "netops"
//   ca_file = "/etc/licsat/server.pem"
//
// Flags given on the command line win; a missing file is no error; any other key is refused,
// each one named with the file.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace licsat::cli {

struct AdminDefaults {
  std::optional<std::string> server, user, ca_file;
};

// Where the file is looked for (from $XDG_CONFIG_HOME, else $HOME); empty when neither is set.
std::string admin_defaults_path();
// Reads the file at `path`; a file that does not exist gives no defaults.
Result<AdminDefaults> read_admin_defaults(const std::string& path);
// Parses the file's text; `source` names it in errors.
Result<AdminDefaults> parse_admin_defaults(const std::string& text, const std::string& source);

}  // namespace licsat::cli
