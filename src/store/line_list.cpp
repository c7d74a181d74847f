#include "store/line_list.h"

namespace licsat::store {

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text, bool skip_empty) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    if (j > i || !skip_empty) out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace licsat::store
