// Structured logging over spdlog: one line per event, as "message key=value ..." text or as one
// JSON object per line (--log-format json). Callers pass fields; they never pass a body, a
// password, a secret or a token.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace licsat::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Configures the process-wide logger (stderr). format: "text" or "json".
void init(const std::string& format, const std::string& level);

// Whether a message at `level` would be written; lets a hot path skip building its fields.
bool enabled(Level level);

using Field = std::pair<std::string_view, std::string>;
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kError, m, f); }
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kDebug, m, f); }

}  // namespace licsat::log
