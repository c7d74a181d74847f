#include "api/metrics_access.h"

#include <toml++/toml.h>

#include <fstream>

#include "api/metrics_access_config.h"
#include "core/crypto.h"

namespace licsat::api {
namespace {
constexpr std::string_view kHashPrefix = "metrics-token:";
}  // namespace

Result<MetricsAccess> MetricsAccess::load(const std::vector<std::string>& allow, const std::string& token_file,
                                          const std::string& hash_key) {
  MetricsAccess a;
  auto ranges = parse_cidrs(allow);
  if (!ranges) return fail(Error::invalid("metrics.allow: " + ranges.error().message));
  a.allow_ = std::move(*ranges);
  a.hash_key_ = hash_key;
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) return fail(Error::invalid("cannot read metrics.token_file '" + token_file + "'"));
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
    if (token.size() < 16)
      return fail(Error::invalid("metrics.token_file '" + token_file +
                                 "' must hold a token of at least 16 characters on its first line"));
    a.token_hash_ = crypto::keyed_hash(hash_key, std::string(kHashPrefix) + token);
  }
  return a;
}

std::optional<std::string> MetricsAccess::refusal(const std::string& peer,
                                                  std::optional<std::string_view> authorization) const {
  if (is_loopback(peer)) return std::nullopt;
  for (const auto& c : allow_)
    if (c.contains(peer)) return std::nullopt;
  if (authorization) {
    std::string_view v = *authorization;
    if (!token_hash_) return "a bearer token was given but metrics.token_file is not set";
    if (v.size() < 7 || (v.substr(0, 7) != "Bearer " && v.substr(0, 7) != "bearer "))
      return "the Authorization header is not a bearer token";
    std::string given = crypto::keyed_hash(hash_key_, std::string(kHashPrefix) + std::string(v.substr(7)));
    if (crypto::equal_ct(given, *token_hash_)) return std::nullopt;
    return "wrong metrics bearer token";
  }
  return "address not in metrics.allow and no bearer token";
}

}  // namespace licsat::api

namespace licsat::api {

Result<MetricsAccess> metrics_access_from_config_file(const std::optional<std::string>& path,
                                                      const std::string& hash_key) {
  std::vector<std::string> allow;
  std::string token_file;
  if (path) {
    toml::table t;
    try {
      t = toml::parse_file(*path);
    } catch (const toml::parse_error& e) {
      return fail(Error::invalid(*path + ": " + std::string(e.description())));
    }
    if (auto* m = t["metrics"].as_table()) {
      if (auto* a = (*m)["allow"].as_array()) {
        for (auto&& el : *a) {
          auto* s = el.as_string();
          if (!s) return fail(Error::invalid(*path + ": 'metrics.allow' must be a list of strings"));
          allow.push_back(s->get());
        }
      }
      if (auto* f = (*m)["token_file"].as_string()) token_file = f->get();
    }
  }
  return MetricsAccess::load(allow, token_file, hash_key);
}

}  // namespace licsat::api
