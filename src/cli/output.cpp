#include "cli/output.h"

#include <algorithm>
#include <iostream>

#include "core/printable.h"

namespace licsat::cli {

void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& raw_rows) {
  // Cells hold text from outside (client IDs, user names, details): escaped, so no control
  // byte reaches the terminal and no value can forge a row.
  std::vector<std::vector<std::string>> rows;
  rows.reserve(raw_rows.size());
  for (const auto& r : raw_rows) {
    rows.emplace_back();
    for (const auto& cell : r) rows.back().push_back(printable(cell));
  }
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::cout << r[i];
      if (i + 1 < r.size() && i < w.size()) std::cout << std::string(w[i] - r[i].size() + 2, ' ');
    }
    std::cout << "\n";
  };
  line(head);
  for (const auto& r : rows) line(r);
}

std::string json_text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace licsat::cli
