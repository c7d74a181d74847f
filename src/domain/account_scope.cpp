#include "domain/account_scope.h"

#include <algorithm>

namespace licsat::domain {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

AccountScope AccountScope::only(std::vector<std::string> names) {
  AccountScope s;
  s.every_ = false;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  s.names_ = std::move(names);
  return s;
}

Status AccountScope::check_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return fail(Error::invalid("a smart account name must be 1 to 128 characters"));
  if (trim(name).size() != name.size())
    return fail(Error::invalid("smart account name '" + std::string(name) + "' starts or ends with a space"));
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return fail(Error::invalid("a smart account name may not hold control characters"));
    if (c == ',') return fail(Error::invalid("smart account name '" + std::string(name) + "' holds a comma"));
  }
  return {};
}

Result<AccountScope> AccountScope::parse(std::string_view text) {
  std::string_view t = trim(text);
  if (t == "all" || t == "*") return every();
  std::vector<std::string> names;
  while (true) {
    size_t comma = t.find(',');
    std::string_view item = trim(t.substr(0, comma));
    if (item.empty())
      return fail(Error::invalid("the account list is empty or has an empty item; give smart account names separated "
                                 "by commas, or 'all'"));
    if (auto s = check_name(item); !s) return fail(s.error());
    names.emplace_back(item);
    if (comma == std::string_view::npos) break;
    t = t.substr(comma + 1);
  }
  return only(std::move(names));
}

bool AccountScope::permits(std::string_view account) const {
  return every_ || std::binary_search(names_.begin(), names_.end(), account);
}

AccountScope AccountScope::intersect(const AccountScope& other) const {
  if (every_) return other;
  if (other.every_) return *this;
  std::vector<std::string> both;
  std::set_intersection(names_.begin(), names_.end(), other.names_.begin(), other.names_.end(), std::back_inserter(both));
  return only(std::move(both));
}

std::string AccountScope::to_string() const {
  if (every_) return "all";
  std::string out;
  for (const auto& n : names_) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

}  // namespace licsat::domain
