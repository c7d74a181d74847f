#include "core/config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <toml++/toml.h>

#include <charconv>
#include <functional>
#include <limits>
#include <type_traits>

#include "core/cidr.h"
#include "core/syslog_target.h"

namespace licsat {
namespace {

Result<int64_t> parse_int(const std::string& key, const std::string& v) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size())
    return fail(Error::invalid("setting '" + key + "': '" + v + "' is not a whole number"));
  return out;
}

Result<bool> parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return fail(Error::invalid("setting '" + key + "': '" + v + "' is not true or false"));
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string item = v.substr(start, comma - start);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

using Setter = std::function<Status(ServerConfig&, const std::string&, const std::string&)>;

Setter str(std::string ServerConfig::*m) {
  return [m](ServerConfig& c, const std::string&, const std::string& v) -> Status {
    c.*m = v;
    return {};
  };
}

template <typename Get>
Setter integer(Get get, bool duration = false, int64_t min = 0,
               int64_t max = std::numeric_limits<std::remove_reference_t<std::invoke_result_t<Get, ServerConfig&>>>::max()) {
  return [get, duration, min, max](ServerConfig& c, const std::string& k, const std::string& v) -> Status {
    auto n = duration ? parse_duration(v) : parse_int(k, v);
    if (!n) return fail(Error::invalid("setting '" + k + "': " + n.error().message));
    if (*n < min)
      return fail(Error::invalid("setting '" + k + "' must be at least " + std::to_string(min)));
    if (*n > max) return fail(Error::invalid("setting '" + k + "' must be at most " + std::to_string(max)));
    get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(*n);
    return {};
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> all = [] {
    std::map<std::string, Setter> m;
    m["data"] = str(&ServerConfig::data_dir);
    m["listen"] = str(&ServerConfig::listen);
    m["tls_cert"] = str(&ServerConfig::tls_cert);
    m["tls_key"] = str(&ServerConfig::tls_key);
    m["database"] = str(&ServerConfig::database);
    m["database_password_file"] = str(&ServerConfig::database_password_file);
    m["server.key_file"] = str(&ServerConfig::key_file);
    m["log_format"] = [](ServerConfig& c, const std::string& k, const std::string& v) -> Status {
      if (v != "text" && v != "json")
        return fail(Error::invalid("setting '" + k + "' must be text or json, not '" + v + "'"));
      c.log_format = v;
      return {};
    };
    m["log_level"] = str(&ServerConfig::log_level);
    m["threads"] = integer([](ServerConfig& c) -> int& { return c.threads; }, false, 0, 1024);
    m["workers"] = integer([](ServerConfig& c) -> int& { return c.workers; }, false, 0, 1024);
    auto& L = m;
    L["limits.max_header_bytes"] = integer([](ServerConfig& c) -> int64_t& { return c.limits.max_header_bytes; }, false, 1024,
                                           std::numeric_limits<uint32_t>::max());  // Beast's header limit is 32 bits
    L["limits.max_body_bytes"] = integer([](ServerConfig& c) -> int64_t& { return c.limits.max_body_bytes; }, false, 1024);
    L["limits.max_usage_body_bytes"] = integer([](ServerConfig& c) -> int64_t& { return c.limits.max_usage_body_bytes; }, false, 1024);
    L["limits.read_timeout"] = integer([](ServerConfig& c) -> int64_t& { return c.limits.read_timeout; }, true, 1);
    L["limits.idle_timeout"] = integer([](ServerConfig& c) -> int64_t& { return c.limits.idle_timeout; }, true, 1);
    L["limits.max_connections"] = integer([](ServerConfig& c) -> int64_t& { return c.limits.max_connections; }, false, 1);
    L["limits.max_inflight_body_bytes"] =
        integer([](ServerConfig& c) -> int64_t& { return c.limits.max_inflight_body_bytes; }, false, 1024);
    L["auth.access_token_ttl"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.access_token_ttl; }, true, 1);
    L["auth.refresh_token_ttl"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.refresh_token_ttl; }, true, 1);
    L["auth.password_min_length"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.password_min_length; }, false, 8);
    L["auth.lockout_threshold"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.lockout_threshold; }, false, 1);
    L["auth.lockout_window"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.lockout_window; }, true, 1);
    L["auth.lockout_duration"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.lockout_duration; }, true, 0);
    L["auth.pwhash_ops"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.pwhash_ops; }, false, 1);
    L["auth.pwhash_mem_mib"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.pwhash_mem_mib; }, false, 8);
    L["auth.client_failures_per_minute"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.client_failures_per_minute; }, false, 1);
    L["auth.address_failures_per_minute"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.address_failures_per_minute; }, false, 1);
    L["auth.session_idle_timeout"] = integer([](ServerConfig& c) -> int64_t& { return c.auth.session_idle_timeout; }, true, 60);
    L["usage_history.bucket"] = integer([](ServerConfig& c) -> int64_t& { return c.usage_history.bucket; }, true, 1);
    L["usage_history.retention"] = integer([](ServerConfig& c) -> int64_t& { return c.usage_history.retention; }, true, 60);
    L["event_log.retention"] = integer([](ServerConfig& c) -> int64_t& { return c.event_log.retention; }, true, 0);
    m["event_log.syslog"] = [](ServerConfig& c, const std::string& k, const std::string& v) -> Status {
      auto targets = split_list(v);
      for (const auto& t : targets)
        if (auto parsed = syslog::parse_target(t); !parsed)
          return fail(Error::invalid("setting '" + k + "': " + parsed.error().message));
      c.event_log.syslog = std::move(targets);
      return {};
    };
    m["event_log.syslog_ca_file"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.event_log.syslog_ca_file = v; return {}; };
    L["event_log.syslog_queue"] = integer([](ServerConfig& c) -> int64_t& { return c.event_log.syslog_queue; }, false, 1, 10'000'000);
    m["upstream.url"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.upstream.url = v; return {}; };
    m["upstream.client_id"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.upstream.client_id = v; return {}; };
    m["upstream.client_secret"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.upstream.client_secret = v; return {}; };
    m["upstream.client_secret_file"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.upstream.client_secret_file = v; return {}; };
    m["upstream.ca_file"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.upstream.ca_file = v; return {}; };
    m["upstream.accounts"] = [](ServerConfig& c, const std::string&, const std::string& v) -> Status { c.upstream.accounts = split_list(v); return {}; };
    m["upstream.insecure"] = [](ServerConfig& c, const std::string& k, const std::string& v) -> Status {
      auto b = parse_bool(k, v);
      if (!b) return fail(b.error());
      c.upstream.insecure = *b;
      return {};
    };
    // [metrics]: checked here with every other key (a bad range stops the start, naming the key);
    // api::metrics_access_from_config_file reads the values for the server's MetricsAccess.
    m["metrics.allow"] = [](ServerConfig&, const std::string& k, const std::string& v) -> Status {
      if (auto ranges = parse_cidrs(split_list(v)); !ranges) return fail(Error::invalid(k + ": " + ranges.error().message));
      return {};
    };
    m["metrics.token_file"] = [](ServerConfig&, const std::string&, const std::string&) -> Status { return {}; };
    m["upstream.interval"] = integer([](ServerConfig& c) -> int64_t& { return c.upstream.interval; }, true, 60);
    return m;
  }();
  return all;
}

// Flattens a TOML table into dotted keys with textual values.
Status flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out,
               const std::string& source) {
  for (auto&& [k, node] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    for (auto& ch : key) if (ch == '-') ch = '_';
    if (auto* sub = node.as_table()) {
      if (auto s = flatten(*sub, key, out, source); !s) return s;
    } else if (auto* s = node.as_string()) {
      out[key] = s->get();
    } else if (auto* i = node.as_integer()) {
      out[key] = std::to_string(i->get());
    } else if (auto* b = node.as_boolean()) {
      out[key] = b->get() ? "true" : "false";
    } else if (auto* a = node.as_array()) {
      std::string joined;
      for (auto&& el : *a) {
        auto* es = el.as_string();
        if (!es) return fail(Error::invalid(source + ": '" + key + "' must be a list of strings"));
        if (!joined.empty()) joined += ",";
        joined += es->get();
      }
      out[key] = joined;
    } else {
      return fail(Error::invalid(source + ": '" + key + "' has an unsupported value type"));
    }
  }
  return {};
}

}  // namespace

Result<int64_t> parse_duration(const std::string& text) {
  if (text.empty()) return fail(Error::invalid("empty duration"));
  int64_t mult = 1;
  std::string num = text;
  switch (text.back()) {
    case 's': mult = 1; num.pop_back(); break;
    case 'm': mult = 60; num.pop_back(); break;
    case 'h': mult = 3600; num.pop_back(); break;
    case 'd': mult = 86400; num.pop_back(); break;
    default: break;
  }
  int64_t n = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
  if (num.empty() || ec != std::errc() || p != num.data() + num.size() || n < 0)
    return fail(Error::invalid("'" + text + "' is not a duration (examples: 90s, 15m, 24h, 14d)"));
  // At most 100 years: no overflow here, nor where a duration is added to the current time.
  constexpr int64_t kMaxDuration = 36500LL * 86400;
  if (n > kMaxDuration / mult) return fail(Error::invalid("'" + text + "' is longer than 100 years"));
  return n * mult;
}

Status set_config_key(ServerConfig& cfg, const std::string& key, const std::string& value) {
  if (key.rfind("ldap.", 0) == 0) return set_ldap_key(cfg.ldap, key.substr(5), value);
  auto it = setters().find(key);
  if (it == setters().end()) return fail(Error::invalid("unknown setting '" + key + "'"));
  return it->second(cfg, key, value);
}

Status apply_config_text(ServerConfig& cfg, const std::string& text, const std::string& source) {
  toml::table t;
  try {
    t = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return fail(Error::invalid(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                               ": " + std::string(e.description())));
  }
  std::map<std::string, std::string> flat;
  if (auto s = flatten(t, "", flat, source); !s) return s;
  // Every bad line is reported at once, so a file with three typos takes one edit, not three runs.
  std::string problems;
  for (const auto& [k, v] : flat) {
    if (auto s = set_config_key(cfg, k, v); !s) problems += (problems.empty() ? "" : "; ") + s.error().message;
  }
  if (!problems.empty()) return fail(Error::invalid(source + ": " + problems));
  return {};
}

Status apply_config_file(ServerConfig& cfg, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(Error::invalid("cannot read config file '" + path + "'"));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return apply_config_text(cfg, text, path);
}

std::string key_file_path(const ServerConfig& cfg) {
  return cfg.key_file.empty() ? cfg.data_dir + "/keys/master.key" : cfg.key_file;
}

Result<ServerConfig> load_server_config(const std::optional<std::string>& file,
                                        const std::map<std::string, std::string>& flags) {
  ServerConfig cfg;
  if (file) {
    if (auto s = apply_config_file(cfg, *file); !s) return fail(s.error());
  }
  for (const auto& [k, v] : flags) {
    if (auto s = set_config_key(cfg, k, v); !s) return fail(s.error());
  }
  if (!cfg.database_password_file.empty()) {
    auto pw = read_password_file(cfg.database_password_file);
    if (!pw) return fail(pw.error());
    cfg.database_password = std::move(*pw);
  }
  if (auto s = finish_ldap_config(cfg.ldap); !s) return fail(s.error());
  return cfg;
}

Result<std::string> read_password_file(const std::string& path, const std::string& setting) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail(Error::invalid(setting + " '" + path + "' cannot be read: " + std::strerror(errno)));
  if ((st.st_mode & 077) != 0)
    return fail(Error::invalid(setting + " '" + path + "' is readable by other users: chmod 600 it"));
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(Error::invalid(setting + " '" + path + "' cannot be read: " + std::strerror(errno)));
  std::string text;
  char buf[1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() < 64 * 1024) text.append(buf, n);
  std::fclose(f);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return fail(Error::invalid(setting + " '" + path + "' is empty"));
  return text;
}

}  // namespace licsat
