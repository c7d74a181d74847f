#include "cli/admin_defaults.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/toml_text.h"

namespace licsat::cli {

std::string admin_defaults_path() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/licsat/admin.toml";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/licsat/admin.toml";
  return "";
}

Result<AdminDefaults> parse_admin_defaults(const std::string& text, const std::string& source) {
  auto t = parse_toml(text, source);
  if (!t) return fail(t.error());
  AdminDefaults d;
  std::vector<std::string> problems;
  for (const auto& [k, node] : *t) {
    std::string key(k.str());
    std::optional<std::string>* field = key == "server" ? &d.server : key == "user" ? &d.user
                                        : key == "ca_file" ? &d.ca_file : nullptr;
    if (!field) {
      problems.push_back("unknown key '" + key + "'");
      continue;
    }
    auto v = node.value<std::string>();
    if (!v || v->empty()) {
      problems.push_back("'" + key + "' must be a non-empty string");
      continue;
    }
    *field = *v;
  }
  if (problems.empty()) return d;
  std::string m = source + ": ";
  for (size_t i = 0; i < problems.size(); ++i) m += (i ? "; " : "") + problems[i];
  return fail(Error::invalid(m + " (the keys are server, user and ca_file)"));
}

Result<AdminDefaults> read_admin_defaults(const std::string& path) {
  struct stat st {};
  if (path.empty() || (::stat(path.c_str(), &st) != 0 && errno == ENOENT)) return AdminDefaults{};
  std::ifstream in(path);
  if (!in) return fail(Error::invalid("cannot read " + path + ": " + std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_admin_defaults(ss.str(), path);
}

}  // namespace licsat::cli
