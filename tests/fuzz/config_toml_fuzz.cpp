// The TOML configuration file (src/core/config.cpp): toml++'s parser, the flattening into dotted
// keys and every setting's own value parser (durations, integers with minimums, lists, booleans).
//
// Properties checked on an accepted file: the limits and durations keep their minimums.
#include <cstdlib>
#include <string>

#include "core/config.h"

using namespace licsat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  ServerConfig cfg;
  auto s = apply_config_text(cfg, text, "fuzz.toml");
  if (!s) {
    if (s.error().message.empty()) std::abort();
  } else {
    if (cfg.limits.max_header_bytes < 1024 || cfg.limits.max_body_bytes < 1024 || cfg.limits.read_timeout < 1 ||
        cfg.auth.pwhash_mem_mib < 8 || cfg.auth.pwhash_ops < 1 || cfg.upstream.interval < 60 || cfg.threads < 0 ||
        cfg.threads > 1024 || cfg.limits.max_header_bytes > 0xffffffffLL)
      std::abort();
  }
  // The same text as one flag value (flags go through the same setters).
  (void)parse_duration(text);
  ServerConfig flags;
  (void)set_config_key(flags, "auth.access_token_ttl", text);
  (void)set_config_key(flags, "limits.max_body_bytes", text);
  (void)set_config_key(flags, "upstream.accounts", text);
  (void)set_config_key(flags, "upstream.insecure", text);
  return 0;
}
