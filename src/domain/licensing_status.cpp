#include "domain/licensing_status.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "core/clock.h"

namespace licsat::domain {

std::string_view license_kind_name(LicenseKind k) {
  switch (k) {
    case LicenseKind::kPerpetual: return "perpetual";
    case LicenseKind::kTerm: return "term";
    case LicenseKind::kSubscription: return "subscription";
  }
  return "perpetual";
}

std::string_view license_type_label(LicenseKind k) {
  switch (k) {
    case LicenseKind::kPerpetual: return "PERPETUAL";
    case LicenseKind::kTerm: return "TERM";
    case LicenseKind::kSubscription: return "SUBSCRIPTION";
  }
  return "PERPETUAL";
}

std::optional<LicenseKind> parse_license_kind(std::string_view s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "perpetual") return LicenseKind::kPerpetual;
  if (l == "term") return LicenseKind::kTerm;
  if (l == "subscription") return LicenseKind::kSubscription;
  return std::nullopt;
}

std::string_view pool_origin_name(PoolOrigin o) { return o == PoolOrigin::kLocal ? "local" : "upstream"; }

std::optional<PoolOrigin> parse_pool_origin(std::string_view s) {
  if (s == "local") return PoolOrigin::kLocal;
  if (s == "upstream") return PoolOrigin::kUpstream;
  return std::nullopt;
}

PoolState pool_state(const LicensePool& p, int64_t now) {
  if (p.ends != 0 && now >= p.ends) return PoolState::kExpired;
  if (p.starts != 0 && now < p.starts) return PoolState::kPending;
  return PoolState::kActive;
}

std::string pool_state_label(PoolState s) {
  switch (s) {
    case PoolState::kActive: return "ACTIVE";
    case PoolState::kPending: return "PENDING";
    case PoolState::kExpired: return "EXPIRED";
  }
  return "ACTIVE";
}

std::string compliance_label(Compliance c) {
  switch (c) {
    case Compliance::kInCompliance: return "In Compliance";
    case Compliance::kInsufficient: return "Insufficient Licenses";
    case Compliance::kExpired: return "Expired";
  }
  return "In Compliance";
}

std::string severity_label(Severity s) { return s == Severity::kMinor ? "Minor" : "Major"; }

std::vector<LicenseLine> license_lines(const std::vector<LicensePool>& pools, const std::vector<TagUsage>& usage,
                                       const std::map<int64_t, std::string>& va_names, int64_t now) {
  std::map<std::pair<int64_t, std::string>, int64_t> used;
  for (const auto& u : usage) used[{u.va_id, u.tag}] += u.in_use;

  std::vector<LicenseLine> out;
  out.reserve(pools.size());
  for (const auto& p : pools) {
    LicenseLine l;
    l.license = p.display_name.empty() ? p.tag : p.display_name;
    l.tag = p.tag;
    l.va_id = p.va_id;
    l.virtual_account = p.virtual_account;
    l.state = pool_state(p, now);
    l.quantity = l.state == PoolState::kActive ? p.quantity : 0;
    if (auto it = used.find({p.va_id, p.tag}); it != used.end()) {
      l.in_use = it->second;
      used.erase(it);
    }
    l.available = l.quantity - l.in_use;
    if (l.state == PoolState::kExpired) l.status = Compliance::kExpired;
    else if (l.in_use > l.quantity) l.status = Compliance::kInsufficient;
    l.pool = p;
    out.push_back(std::move(l));
  }
  // Tags in use with no pool: over-use to report, never to refuse.
  for (const auto& [key, n] : used) {
    if (n == 0) continue;
    LicenseLine l;
    l.license = key.second;
    l.tag = key.second;
    l.va_id = key.first;
    if (auto it = va_names.find(key.first); it != va_names.end()) l.virtual_account = it->second;
    l.in_use = n;
    l.available = -n;
    l.status = Compliance::kInsufficient;
    out.push_back(std::move(l));
  }
  std::sort(out.begin(), out.end(), [](const LicenseLine& a, const LicenseLine& b) {
    return std::tie(a.virtual_account, a.tag) < std::tie(b.virtual_account, b.tag);
  });
  return out;
}

int64_t sync_allowance(int64_t interval) { return 2 * std::max<int64_t>(interval, 60); }

namespace {

std::string days_text(int64_t seconds) {
  int64_t d = (seconds + 86399) / 86400;
  return d == 1 ? "1 day" : std::to_string(d) + " days";
}

std::string where(const LicenseLine& l) {
  return "'" + l.license + "' (" + l.tag + ") in virtual account '" + l.virtual_account + "'";
}

}  // namespace

std::vector<Alert> license_alerts(const std::vector<LicenseLine>& lines, const SyncHealth& sync, int64_t now) {
  std::vector<Alert> majors, minors;
  for (const auto& l : lines) {
    std::string source = l.virtual_account;
    if (l.status == Compliance::kInsufficient) {
      std::string msg = l.pool ? "License " + where(l) + ": " + std::to_string(l.in_use) + " in use, " +
                                     std::to_string(l.quantity) + " available to use; " +
                                     std::to_string(l.in_use - l.quantity) + " more needed."
                               : "License " + where(l) + ": " + std::to_string(l.in_use) +
                                     " in use and no license pool for this tag.";
      majors.push_back({"INSUFFICIENT_LICENSES", Severity::kMajor, source, msg});
    }
    if (!l.pool) continue;
    const auto& p = *l.pool;
    if (l.state == PoolState::kExpired) {
      std::string msg = "License " + where(l) + " expired on " + format_date(p.ends) + "; " +
                        std::to_string(p.quantity) + " licenses are no longer available" +
                        (l.in_use > 0 ? " and " + std::to_string(l.in_use) + " are in use." : ".");
      majors.push_back({"LICENSE_EXPIRED", Severity::kMajor, source, msg});
    } else if (p.ends != 0 && p.ends - now <= kExpiryWarningWindow) {
      std::string msg = "License " + where(l) + " expires on " + format_date(p.ends) + " (in " +
                        days_text(p.ends - now) + "); " + std::to_string(p.quantity) + " licenses.";
      minors.push_back({"LICENSE_EXPIRING", Severity::kMinor, source, msg});
    }
  }
  if (sync.configured) {
    int64_t allowance = sync_allowance(sync.interval);
    if (sync.last_ok) {
      if (now - *sync.last_ok > allowance)
        majors.push_back({"SYNC_OVERDUE", Severity::kMajor, "upstream",
                          "No successful sync with the upstream authority " + sync.upstream + " since " +
                              format_iso8601(*sync.last_ok) + " (allowed: " + days_text(allowance) +
                              "); licenses may be out of date. Run `licsat admin sync now` and check `sync status`."});
    } else if (sync.since == 0 || now - sync.since > allowance) {
      majors.push_back({"SYNC_OVERDUE", Severity::kMajor, "upstream",
                        "This server has not yet synced with the upstream authority " + sync.upstream +
                            "; licenses may be out of date. Run `licsat admin sync now` and check `sync status`."});
    }
  }
  majors.insert(majors.end(), minors.begin(), minors.end());
  return majors;
}

}  // namespace licsat::domain
