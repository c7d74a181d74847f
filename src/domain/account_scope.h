// The smart accounts a user, a grant or a token may reach (tenancy). A scope is either "every
// account" (the default, and what a missing list means) or a list of smart account names. A
// token reaches the intersection of its grant's scope and its user's scope, evaluated on each
// request, so a change to either applies at once. Pure logic: no storage, no HTTP.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace licsat::domain {

class AccountScope {
 public:
  // Every account (the default).
  AccountScope() = default;
  static AccountScope every() { return AccountScope(); }
  // Only these accounts; names are kept sorted and without duplicates. An empty list reaches no
  // account (what two disjoint scopes intersect to).
  static AccountScope only(std::vector<std::string> names);

  // Parses what an admin types: "all" (or "*") for every account, else a comma-separated list of
  // smart account names ("acme, globex"). Refuses an empty list and names that are not valid.
  static Result<AccountScope> parse(std::string_view text);
  // Checks one smart account name as a scope may hold it: 1 to 128 bytes, no control byte and
  // no comma (the list separator), no leading or trailing space.
  static Status check_name(std::string_view name);

  bool is_every() const { return every_; }
  bool permits(std::string_view account) const;
  // The accounts both scopes reach.
  AccountScope intersect(const AccountScope& other) const;
  // The listed names, sorted (empty for every account).
  const std::vector<std::string>& names() const { return names_; }
  // "all", or the names joined by commas: what the CLI prints and parse() reads back.
  std::string to_string() const;

  bool operator==(const AccountScope&) const = default;

 private:
  bool every_ = true;
  std::vector<std::string> names_;
};

}  // namespace licsat::domain
