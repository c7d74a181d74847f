// CSV fields and rows (RFC 4180) with the formula-injection defence; see csv.h.
#include "core/csv.h"

namespace licsat {

std::string csv_field(std::string_view value) {
  std::string text;
  text.reserve(value.size() + 3);
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                         value[0] == '\t' || value[0] == '\r'))
    text += '\'';
  text += value;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

void csv_append_row(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (auto f : fields) {
    if (!first) out += ',';
    first = false;
    out += csv_field(f);
  }
  out += "\r\n";
}

}  // namespace licsat
