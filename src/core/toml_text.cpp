#include "core/toml_text.h"

namespace licsat {

Result<toml::table> parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return fail(Error::invalid(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                               std::string(e.description())));
  }
}

}  // namespace licsat
