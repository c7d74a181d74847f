// Lists of strings kept in one TEXT column, one item per line (report warnings, forwarded report
// ids). Items never contain a newline.
#pragma once

#include <string>
#include <vector>

namespace licsat::store {

std::string join_lines(const std::vector<std::string>& items);
// Splits on '\n'. Empty items between newlines are kept unless `skip_empty`.
std::vector<std::string> split_lines(const std::string& text, bool skip_empty = false);

}  // namespace licsat::store
