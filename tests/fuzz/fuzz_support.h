// Small helpers shared by the fuzz targets: quiet logs, temporary directories and input splitting.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/log.h"

namespace licsat::fuzz {

// A temporary directory (in /dev/shm when there is one: the App writes to SQLite on every
// request), removed when the process exits normally.
inline std::string temp_dir(const char* what) {
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/licsat-fuzz-" + what + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) std::abort();
  static std::vector<std::string> dirs;
  if (dirs.empty()) std::atexit([] {
      for (const auto& d : dirs) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
      }
    });
  dirs.emplace_back(buf.data());
  return dirs.back();
}

inline void quiet() {
  static bool done = [] {
    crypto::init();
    log::init("text", "off");
    return true;
  }();
  (void)done;
}

// Replaces every `from` in `s` by `to`.
inline void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) s.replace(i, from.size(), to);
}

// Splits fuzz input at a separator line "\n--\n" into at most `n` parts (missing parts are empty).
inline std::vector<std::string> split_parts(std::string_view in, size_t n) {
  std::vector<std::string> out;
  while (out.size() + 1 < n) {
    auto at = in.find("\n--\n");
    if (at == std::string_view::npos) break;
    out.emplace_back(in.substr(0, at));
    in.remove_prefix(at + 4);
  }
  out.emplace_back(in);
  out.resize(n);
  return out;
}

}  // namespace licsat::fuzz
