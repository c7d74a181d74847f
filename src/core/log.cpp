#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/printable.h"

namespace licsat::log {
namespace {

std::atomic<bool> g_json{false};

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init(const std::string& format, const std::string& level) {
  // A second init (tests in one process, a settings reload) replaces the first: spdlog refuses
  // to register a name twice.
  spdlog::drop("licsat");
  auto logger = spdlog::stderr_logger_mt("licsat");
  spdlog::set_default_logger(logger);
  g_json = (format == "json");
  if (g_json) {
    spdlog::set_pattern("%v");
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

bool enabled(Level level) { return spdlog::should_log(to_spd(level)); }

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  auto lvl = to_spd(level);
  if (!spdlog::should_log(lvl)) return;
  if (g_json) {
    nlohmann::json j;
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    char ts[40];
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(ms % 1000));
    j["time"] = ts;
    j["level"] = spdlog::level::to_string_view(lvl).data();
    j["msg"] = printable_for_json(message);
    for (const auto& [k, v] : fields) j[std::string(k)] = printable_for_json(v);
    spdlog::log(lvl, "{}", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  // Values (and the message) may carry text from outside: printable() escapes control bytes
  // and backslashes, so a value cannot start a forged line or drive the terminal.
  std::string line = printable(message);
  for (const auto& [k, raw] : fields) {
    std::string v = printable(raw);
    line += ' ';
    line += k;
    line += '=';
    bool quote = v.empty() || v.find_first_of(" \"=") != std::string::npos;
    if (quote) {
      line += '"';
      for (char c : v) {
        if (c == '"') line += '\\';
        line += c;
      }
      line += '"';
    } else {
      line += v;
    }
  }
  spdlog::log(lvl, "{}", line);
}

}  // namespace licsat::log
