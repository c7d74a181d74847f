#include "domain/login_guard.h"

#include <algorithm>
#include <cctype>

namespace licsat::domain {

std::string LoginGuard::key(const std::string& name) {
  std::string k = name.substr(0, 128);
  for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return k;
}

LoginGuard::Verdict LoginGuard::check(const std::string& name, const std::string& address, int64_t now) {
  std::lock_guard l(mu_);
  Verdict v;
  auto it = names_.find(key(name));
  if (it == names_.end()) return v;
  PerName& n = it->second;
  if (auto a = n.addresses.find(address); a != n.addresses.end() && a->second.locked_until > now)
    v.locked_until = a->second.locked_until;
  auto k = n.known.find(address);
  v.known = k != n.known.end() && now - k->second <= p_.known_for;
  if (!v.known && n.delayed_until > now) v.delayed_until = n.delayed_until;
  return v;
}

LoginGuard::Failure LoginGuard::failed(const std::string& name, const std::string& address, int64_t now) {
  std::lock_guard l(mu_);
  sweep(now);
  Failure out;
  PerName& n = names_[key(name)];
  PerAddress& a = n.addresses[address];
  if (a.locked_until > now) return out;  // failures during a lock are not counted
  // A lock that has run out, or a window that has passed, starts a fresh count.
  if (a.first_failure == 0 || now - a.first_failure > p_.window || a.locked_until != 0) {
    a.failures = 1;
    a.first_failure = now;
    a.locked_until = 0;
  } else {
    ++a.failures;
  }
  if (a.failures >= p_.threshold) {
    int64_t cap = std::max(p_.duration, p_.max_duration);
    int64_t d = p_.duration;
    for (int64_t i = 0; i < a.lockouts && d < cap; ++i) d *= 2;
    a.locked_until = now + std::min(d, cap);
    ++a.lockouts;
    out.locked_now = true;
    out.locked_until = a.locked_until;
  }
  std::erase_if(n.failures, [&](int64_t t) { return now - t > p_.window; });
  n.failures.push_back(now);
  if (static_cast<int64_t>(n.failures.size()) > p_.global_threshold) n.failures.erase(n.failures.begin());
  if (static_cast<int64_t>(n.failures.size()) >= p_.global_threshold && p_.global_delay > 0) {
    out.delay_started = n.delayed_until <= now;
    n.delayed_until = now + p_.global_delay;
  }
  return out;
}

void LoginGuard::succeeded(const std::string& name, const std::string& address, int64_t now) {
  std::lock_guard l(mu_);
  PerName& n = names_[key(name)];
  n.addresses.erase(address);
  n.known[address] = now;
  if (n.known.size() > 16) {  // keep the 16 most recent
    auto oldest = std::min_element(n.known.begin(), n.known.end(),
                                   [](const auto& x, const auto& y) { return x.second < y.second; });
    n.known.erase(oldest);
  }
}

void LoginGuard::clear(const std::string& name) {
  std::lock_guard l(mu_);
  auto it = names_.find(key(name));
  if (it == names_.end()) return;
  it->second.addresses.clear();
  it->second.failures.clear();
  it->second.delayed_until = 0;
}

std::vector<std::pair<std::string, int64_t>> LoginGuard::locked_addresses(const std::string& name, int64_t now) {
  std::lock_guard l(mu_);
  std::vector<std::pair<std::string, int64_t>> out;
  auto it = names_.find(key(name));
  if (it == names_.end()) return out;
  for (const auto& [addr, a] : it->second.addresses)
    if (a.locked_until > now) out.emplace_back(addr, a.locked_until);
  return out;
}

// Forgets what no longer matters, at most once a minute: counts whose window passed, locks that
// ran out (their doubling is kept only while a lock is in force), known addresses past
// known_for. Past max_names, names with nothing but counts go first.
void LoginGuard::sweep(int64_t now) {
  if (now - last_sweep_ < 60 && names_.size() < p_.max_names) return;
  last_sweep_ = now;
  for (auto it = names_.begin(); it != names_.end();) {
    PerName& n = it->second;
    std::erase_if(n.addresses, [&](const auto& kv) {
      const PerAddress& a = kv.second;
      return a.locked_until <= now && now - a.first_failure > p_.window && now - a.locked_until > p_.max_duration;
    });
    std::erase_if(n.failures, [&](int64_t t) { return now - t > p_.window; });
    std::erase_if(n.known, [&](const auto& kv) { return now - kv.second > p_.known_for; });
    bool empty = n.addresses.empty() && n.failures.empty() && n.known.empty() && n.delayed_until <= now;
    it = empty ? names_.erase(it) : std::next(it);
  }
  if (names_.size() < p_.max_names) return;
  for (auto it = names_.begin(); it != names_.end() && names_.size() >= p_.max_names;) {
    bool keep = !it->second.known.empty() ||
                std::any_of(it->second.addresses.begin(), it->second.addresses.end(),
                            [&](const auto& kv) { return kv.second.locked_until > now; });
    it = keep ? std::next(it) : names_.erase(it);
  }
}

}  // namespace licsat::domain
