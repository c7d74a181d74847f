// Lockout that an attacker cannot aim at someone else: failed logins are counted per (user
// name, source address). `threshold` failures from one address within `window` lock that name
// for that address only, for `duration` (doubled for each further lock from that address, up to
// `max_duration`); other addresses keep logging in. When many addresses fail for one name
// (`global_threshold` failures within `window`, all addresses together), attempts from addresses
// that have not logged in as that name before are spaced `global_delay` apart (a delay, not a
// lock: the answer is 429 slow_down with Retry-After, nothing is verified or counted), while
// addresses with a successful login as that name (within `known_for`) are not delayed.
// Names are counted whether or not they exist, so the answers tell nothing about which do, and
// without regard to ASCII case: directories (LDAP, AD) match names so, and "Alice", "ALICE", …
// must not each get their own count of guesses.
// In memory, per server node (like the address throttle); a restart forgets it. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace licsat::domain {

struct LoginGuardPolicy {
  int64_t threshold = 5;
  int64_t window = 15 * 60;
  int64_t duration = 15 * 60;
  int64_t max_duration = 24 * 3600;
  int64_t global_threshold = 20;
  int64_t global_delay = 5;
  int64_t known_for = 30 * 86400;
  size_t max_names = 10000;  // past this, names without a lock or a known address are dropped first
};

class LoginGuard {
 public:
  explicit LoginGuard(LoginGuardPolicy p) : p_(p) {}

  struct Verdict {
    int64_t locked_until = 0;   // > now: this name is locked for this address until then
    int64_t delayed_until = 0;  // > now: attempts on this name from this address wait until then
    bool known = false;         // the name logged in from this address within known_for
  };
  Verdict check(const std::string& name, const std::string& address, int64_t now);

  struct Failure {
    bool locked_now = false;
    int64_t locked_until = 0;
    bool delay_started = false;  // this failure put the name into the global delay
  };
  Failure failed(const std::string& name, const std::string& address, int64_t now);
  // A successful login: the address's count ends and the address becomes known for the name.
  void succeeded(const std::string& name, const std::string& address, int64_t now);
  // An admin's unlock: every lock, count and delay of the name ends (known addresses stay).
  void clear(const std::string& name);
  // The addresses for which the name is locked now, with the lock's end (the users' list).
  std::vector<std::pair<std::string, int64_t>> locked_addresses(const std::string& name, int64_t now);

  const LoginGuardPolicy& policy() const { return p_; }

 private:
  struct PerAddress {
    int64_t failures = 0;
    int64_t first_failure = 0;
    int64_t locked_until = 0;
    int64_t lockouts = 0;
  };
  struct PerName {
    std::map<std::string, PerAddress> addresses;
    std::vector<int64_t> failures;  // times of recent failures, every address
    int64_t delayed_until = 0;
    std::map<std::string, int64_t> known;  // address -> last successful login
  };
  static std::string key(const std::string& name);
  void sweep(int64_t now);

  LoginGuardPolicy p_;
  std::mutex mu_;
  std::unordered_map<std::string, PerName> names_;
  int64_t last_sweep_ = 0;
};

}  // namespace licsat::domain
