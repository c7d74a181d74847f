#include "manager/settings.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/config.h"
#include "core/toml_text.h"

namespace licsat::manager {
namespace {

std::string normalise(std::string name) {
  for (auto& c : name)
    if (c == '-') c = '_';
  if (name == "state_dir") return "state";
  if (name == "user") return "username";
  return name;
}

Result<bool> boolean(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return fail(Error::invalid("setting '" + name + "': '" + v + "' is not true or false"));
}

Result<int64_t> seconds(const std::string& name, const std::string& v, int64_t min) {
  auto d = parse_duration(v);
  if (!d) return fail(Error::invalid("setting '" + name + "': " + d.error().message));
  if (*d < min) return fail(Error::invalid("setting '" + name + "' must be at least " + std::to_string(min) + "s"));
  return *d;
}

// Flattens a TOML table into settings; nested tables other than [manager] are errors.
Status apply_table(ManagerSettings& s, const toml::table& t, const std::string& source, bool nested) {
  for (const auto& [k, node] : t) {
    std::string key(k.str());
    if (const auto* sub = node.as_table()) {
      if (nested || key != "manager")
        return fail(Error::invalid(source + ": unknown table [" + key + "] (settings go at the top level or in [manager])"));
      if (auto st = apply_table(s, *sub, source, true); !st) return st;
      continue;
    }
    std::string value;
    if (auto v = node.value<std::string>()) value = *v;
    else if (auto b = node.value<bool>()) value = *b ? "true" : "false";
    else if (auto i = node.value<int64_t>()) value = std::to_string(*i);
    else return fail(Error::invalid(source + ": setting '" + key + "' must be a string, a number or true/false"));
    if (auto st = set_manager_setting(s, key, value); !st) return fail(Error::invalid(source + ": " + st.error().message));
  }
  return {};
}

}  // namespace

std::string default_state_dir() {
  if (const char* v = std::getenv("LICSAT_MANAGER_STATE"); v && *v) return v;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/licsat/manager";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/licsat/manager";
  return "./licsat-manager-state";
}

Status set_manager_setting(ManagerSettings& s, const std::string& raw_name, const std::string& v) {
  std::string n = normalise(raw_name);
  auto text = [&](std::string& field) -> Status {
    field = v;
    return {};
  };
  if (n == "mode") {
    if (v != "online" && v != "onprem" && v != "offline")
      return fail(Error::invalid("setting 'mode' must be online, onprem or offline, not '" + v + "'"));
    return text(s.mode);
  }
  if (n == "server") return text(s.server);
  if (n == "client_id") return text(s.client_id);
  if (n == "client_secret") return text(s.client_secret);
  if (n == "client_secret_file") return text(s.client_secret_file);
  if (n == "username") return text(s.username);
  if (n == "proxy") return text(s.proxy);
  if (n == "ca_file") return text(s.ca_file);
  if (n == "state") return text(s.state_dir);
  if (n == "account") return text(s.account);
  if (n == "manager_name") return text(s.manager_name);
  if (n == "insecure" || n == "json") {
    auto b = boolean(n, v);
    if (!b) return fail(b.error());
    (n == "insecure" ? s.insecure : s.json) = *b;
    return {};
  }
  if (n == "interval" || n == "retry_min" || n == "retry_max" || n == "timeout") {
    auto d = seconds(n, v, 1);
    if (!d) return fail(d.error());
    (n == "interval" ? s.interval : n == "retry_min" ? s.retry_min : n == "retry_max" ? s.retry_max : s.timeout) = *d;
    return {};
  }
  if (n == "password")
    return fail(Error::invalid("setting 'password' is not read from files or flags; set $LICSAT_PASSWORD"));
  return fail(Error::invalid("unknown setting '" + raw_name + "'"));
}

Status apply_manager_config_text(ManagerSettings& s, const std::string& text, const std::string& source) {
  auto t = parse_toml(text, source);
  if (!t) return fail(t.error());
  return apply_table(s, *t, source, false);
}

Status apply_manager_config_file(ManagerSettings& s, const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Error::invalid("cannot read the settings file '" + path + "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return apply_manager_config_text(s, ss.str(), path);
}

Status check_for_network(ManagerSettings& s) {
  if (s.mode == "offline")
    return fail(Error::invalid("mode is offline: there is no server to reach; use `licsat manager offline export` "
                               "and `offline import`, or --mode onprem|online"));
  if (s.server.empty()) return fail(Error::invalid("--server is required (the licensing server's https:// URL)"));
  if (!s.server.starts_with("https://") && !s.server.starts_with("http://"))
    return fail(Error::invalid("--server must be a URL such as https://licsat.example:8443, not '" + s.server + "'"));
  if (s.insecure && !s.ca_file.empty()) return fail(Error::invalid("--ca-file and --insecure exclude each other"));
  if (s.client_secret.empty() && !s.client_secret_file.empty()) {
    std::ifstream in(s.client_secret_file);
    if (!in) return fail(Error::invalid("cannot read client_secret_file '" + s.client_secret_file + "'"));
    std::getline(in, s.client_secret);
    while (!s.client_secret.empty() && (s.client_secret.back() == '\r' || s.client_secret.back() == ' '))
      s.client_secret.pop_back();
  }
  if (s.client_id.empty() || s.client_secret.empty())
    return fail(Error::invalid("--client-id and --client-secret are required: the client ID and secret of a grant "
                               "created in the server's API Tool Kit"));
  if (!s.username.empty() && s.password.empty())
    return fail(Error::invalid("the password of '" + s.username + "' is read from $LICSAT_PASSWORD, which is not set"));
  return {};
}

ClientOptions client_options(const ManagerSettings& s) {
  ClientOptions o;
  o.base_url = s.server;
  o.ca_file = s.ca_file;
  o.insecure = s.insecure;
  o.proxy = s.proxy;
  o.timeout_seconds = static_cast<long>(s.timeout);
  o.connect_timeout_seconds = std::min<long>(10, static_cast<long>(s.timeout));
  return o;
}

Credentials credentials(const ManagerSettings& s) { return {s.client_id, s.client_secret, s.username, s.password}; }

}  // namespace licsat::manager
