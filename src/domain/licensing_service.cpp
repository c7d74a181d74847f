#include "domain/licensing_service.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include "core/crypto.h"

namespace licsat::domain {
namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

Error no_account(const std::string& key) { return Error::not_found("smart account " + q(key) + " does not exist"); }

Error no_va(const std::string& account, const std::string& va) {
  return Error::not_found("virtual account " + q(va) + " does not exist in smart account " + q(account));
}

// SHA-256 over a canonical rendering of the report (field order fixed, lengths prefixed), taken
// 1,000 devices at a time and chained, so that the same report hashes the same whatever its
// JSON spacing or key order, without building one large string. (The rendering is what stored
// hashes were made with: it must not change.) One buffer is reused for every chunk, numbers are
// written with to_chars: no allocation per field.
void canonical_field(std::string& out, std::string_view s) {
  char len[24];
  auto [end, ec] = std::to_chars(len, len + sizeof len, s.size());
  out.append(len, end);
  out += ':';
  out.append(s);
}

void canonical_number(std::string& out, int64_t v) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
  canonical_field(out, std::string_view(digits, static_cast<size_t>(end - digits)));
}

std::string canonical_hash(const std::string& va, const UsageReport& r) {
  std::string chunk;
  chunk.reserve(256 * 1024);
  canonical_field(chunk, va);
  canonical_field(chunk, r.report_id);
  canonical_field(chunk, r.manager);
  canonical_number(chunk, r.period_start);
  canonical_number(chunk, r.period_end);
  canonical_number(chunk, static_cast<int64_t>(r.devices.size()));
  std::string h = crypto::sha256_hex(chunk);
  for (size_t i = 0; i < r.devices.size();) {
    chunk.assign(h);
    for (size_t end = std::min(r.devices.size(), i + 1000); i < end; ++i) {
      const auto& d = r.devices[i];
      canonical_field(chunk, d.pid);
      canonical_field(chunk, d.sn);
      canonical_field(chunk, d.hostname);
      canonical_number(chunk, static_cast<int64_t>(d.licenses.size()));
      for (const auto& l : d.licenses) {
        canonical_field(chunk, l.tag);
        canonical_number(chunk, l.count);
      }
    }
    h = crypto::sha256_hex(chunk);
  }
  return h;
}

}  // namespace

Status check_name(const std::string& what, const std::string& name) {
  if (name.empty()) return fail(Error::invalid(what + " must not be empty"));
  if (name.size() > 100) return fail(Error::invalid(what + " must be at most 100 characters"));
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/')
      return fail(Error::invalid(what + " " + q(name) + " must not contain '/' or control characters"));
  return {};
}

void merge_duplicates(UsageReport& r, std::vector<std::string>& warnings) {
  // Keyed by views of each device's pid and sn (the devices do not move while it is in use).
  struct Udi {
    std::string_view pid, sn;
    bool operator==(const Udi&) const = default;
  };
  struct UdiHash {
    size_t operator()(const Udi& u) const {
      size_t h = std::hash<std::string_view>{}(u.pid);
      return h ^ (std::hash<std::string_view>{}(u.sn) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    }
  };
  std::unordered_map<Udi, size_t, UdiHash> seen;
  seen.reserve(r.devices.size());
  std::vector<char> keep(r.devices.size(), 1);
  size_t dropped = 0;
  for (size_t i = 0; i < r.devices.size(); ++i) {
    auto& d = r.devices[i];
    auto [it, fresh] = seen.emplace(Udi{d.pid, d.sn}, i);
    if (!fresh) {
      keep[it->second] = 0;  // the later entry wins
      it->second = i;
      if (++dropped <= 10)
        warnings.push_back("device " + d.pid + "/" + d.sn + " is listed more than once; its last entry counts");
    }
    // Tags repeated within one device add up.
    if (d.licenses.size() > 1) {
      bool repeated = false;
      for (size_t a = 0; a < d.licenses.size() && !repeated; ++a)
        for (size_t b = a + 1; b < d.licenses.size() && !repeated; ++b) repeated = d.licenses[a].tag == d.licenses[b].tag;
      if (repeated) {
        std::map<std::string, size_t> at;
        std::vector<TagCount> merged;
        for (auto& l : d.licenses) {
          auto [t, first] = at.emplace(l.tag, merged.size());
          if (first) merged.push_back(std::move(l));
          else merged[t->second].count += l.count;
        }
        warnings.push_back("device " + d.pid + "/" + d.sn + " lists a tag more than once; its counts are added");
        d.licenses = std::move(merged);
      }
    }
  }
  if (dropped > 10) warnings.push_back(std::to_string(dropped) + " repeated device entries in all");
  if (dropped) {
    size_t w = 0;
    for (size_t i = 0; i < r.devices.size(); ++i)
      if (keep[i]) {
        if (w != i) r.devices[w] = std::move(r.devices[i]);
        ++w;
      }
    r.devices.resize(w);
  }
}

LicenseService::LicenseService(store::LicenseStore& store, store::AuthStore& settings, const Clock& clock,
                               UpstreamConfig upstream, std::string hash_key)
    : store_(store),
      settings_(settings),
      clock_(clock),
      upstream_(std::move(upstream)),
      hash_key_(std::move(hash_key)),
      started_at_(clock.now()) {}

Event LicenseService::event(const Actor& by, const std::string& action, const std::string& detail) const {
  Event e;
  e.time = clock_.now();
  e.actor = by.name;
  e.source_ip = by.source_ip;
  e.action = action;
  e.outcome = "success";
  e.detail = detail;
  return e;
}

Result<SmartAccount> LicenseService::account(const std::string& key) {
  auto a = store_.find_account(key);
  if (!a) return fail(a.error());
  if (!*a) return fail(no_account(key));
  return **a;
}

Result<std::vector<SmartAccount>> LicenseService::accounts() { return store_.list_accounts(); }

Result<SmartAccount> LicenseService::add_account(const std::string& name, const std::string& domain, const Actor& by) {
  if (auto s = check_name("the smart account name", name); !s) return fail(s.error());
  if (!domain.empty())
    if (auto s = check_name("the domain", domain); !s) return fail(s.error());
  SmartAccount a{0, name, domain, clock_.now(), by.name};
  return store_.create_account(a, event(by, "account.create", "smart account " + q(name) +
                                                                 (domain.empty() ? "" : " (domain " + domain + ")")));
}

Result<SmartAccount> LicenseService::change_account(const std::string& key, const std::optional<std::string>& new_name,
                                                    const std::optional<std::string>& new_domain, const Actor& by) {
  auto a = account(key);
  if (!a) return a;
  SmartAccount c = *a;
  if (new_name) {
    if (auto s = check_name("the smart account name", *new_name); !s) return fail(s.error());
    c.name = *new_name;
  }
  if (new_domain) {
    if (!new_domain->empty())
      if (auto s = check_name("the domain", *new_domain); !s) return fail(s.error());
    c.domain = *new_domain;
  }
  std::string detail = "smart account " + q(a->name);
  if (c.name != a->name) detail += " renamed to " + q(c.name);
  if (c.domain != a->domain) detail += " domain " + q(a->domain) + " -> " + q(c.domain);
  if (auto s = store_.update_account(c, event(by, "account.update", detail)); !s) return fail(s.error());
  return c;
}

Status LicenseService::remove_account(const std::string& key, const Actor& by) {
  auto a = account(key);
  if (!a) return fail(a.error());
  return store_.delete_account(a->id, event(by, "account.delete", "smart account " + q(a->name)));
}

Result<VirtualAccount> LicenseService::virtual_account(const SmartAccount& a, const std::string& name) {
  auto v = store_.find_virtual_account(a.id, name);
  if (!v) return fail(v.error());
  if (!*v) return fail(no_va(a.name, name));
  return **v;
}

Result<std::pair<SmartAccount, VirtualAccount>> LicenseService::both(const std::string& account_key,
                                                                     const std::string& va_name) {
  auto a = account(account_key);
  if (!a) return fail(a.error());
  auto v = virtual_account(*a, va_name);
  if (!v) return fail(v.error());
  return std::make_pair(*a, *v);
}

Result<VirtualAccount> LicenseService::add_virtual_account(const std::string& account_key, const std::string& name,
                                                           const std::string& description, const Actor& by) {
  auto a = account(account_key);
  if (!a) return fail(a.error());
  if (auto s = check_name("the virtual account name", name); !s) return fail(s.error());
  VirtualAccount v{0, a->id, name, description, false, clock_.now(), by.name};
  return store_.create_virtual_account(
      v, event(by, "vaccount.create", "virtual account " + q(name) + " in smart account " + q(a->name)));
}

Result<std::vector<VirtualAccount>> LicenseService::virtual_accounts(const std::string& account_key) {
  auto a = account(account_key);
  if (!a) return fail(a.error());
  return store_.list_virtual_accounts(a->id);
}

Result<VirtualAccount> LicenseService::change_virtual_account(const std::string& account_key, const std::string& name,
                                                              const std::optional<std::string>& new_name,
                                                              const std::optional<std::string>& new_description,
                                                              const Actor& by) {
  auto ab = both(account_key, name);
  if (!ab) return fail(ab.error());
  auto& [a, v] = *ab;
  VirtualAccount c = v;
  if (new_name) {
    if (auto s = check_name("the virtual account name", *new_name); !s) return fail(s.error());
    c.name = *new_name;
  }
  if (new_description) c.description = *new_description;
  std::string detail = "virtual account " + q(v.name) + " in smart account " + q(a.name);
  if (c.name != v.name) detail += " renamed to " + q(c.name);
  if (auto s = store_.update_virtual_account(c, event(by, "vaccount.update", detail)); !s) return fail(s.error());
  return c;
}

Status LicenseService::remove_virtual_account(const std::string& account_key, const std::string& name, const Actor& by) {
  auto ab = both(account_key, name);
  if (!ab) return fail(ab.error());
  return store_.delete_virtual_account(
      ab->second.id, event(by, "vaccount.delete", "virtual account " + q(name) + " in smart account " + q(ab->first.name)));
}

namespace {

Status check_pool(const LicensePool& p) {
  if (p.quantity < 0) return fail(Error::invalid("'quantity' must be zero or more"));
  if (p.kind == LicenseKind::kPerpetual && p.ends != 0)
    return fail(Error::invalid("a perpetual license does not end; give 'kind' term or subscription with 'ends'"));
  if (p.kind != LicenseKind::kPerpetual && p.ends == 0)
    return fail(Error::invalid("'ends' is required for " + std::string(license_kind_name(p.kind)) + " licenses"));
  if (p.ends != 0 && p.starts != 0 && p.starts >= p.ends) return fail(Error::invalid("'starts' must be before 'ends'"));
  return {};
}

std::string pool_text(const LicensePool& p) {
  std::string s = "pool " + p.tag + " (" + p.display_name + "), " + std::string(license_kind_name(p.kind)) + ", quantity " +
                  std::to_string(p.quantity);
  if (p.starts) s += ", starts " + format_date(p.starts);
  if (p.ends) s += ", ends " + format_date(p.ends);
  return s;
}

}  // namespace

Result<LicensePool> LicenseService::add_pool(const std::string& account_key, const std::string& va_name, LicensePool p,
                                             const Actor& by) {
  auto ab = both(account_key, va_name);
  if (!ab) return fail(ab.error());
  if (auto s = check_name("the tag", p.tag); !s) return fail(s.error());
  if (p.display_name.empty()) p.display_name = p.tag;
  if (auto s = check_pool(p); !s) return fail(s.error());
  p.va_id = ab->second.id;
  p.virtual_account = ab->second.name;
  p.origin = PoolOrigin::kLocal;
  p.created_at = p.updated_at = clock_.now();
  return store_.create_pool(p, event(by, "license.create",
                                     pool_text(p) + " in " + q(ab->first.name) + "/" + q(ab->second.name)));
}

Result<std::vector<LicensePool>> LicenseService::pools(const std::string& account_key, const std::string& va_name) {
  auto a = account(account_key);
  if (!a) return fail(a.error());
  if (!va_name.empty())
    if (auto v = virtual_account(*a, va_name); !v) return fail(v.error());
  auto all = store_.list_pools(a->id);
  if (!all || va_name.empty()) return all;
  std::erase_if(*all, [&](const LicensePool& p) { return p.virtual_account != va_name; });
  return all;
}

Result<LicensePool> LicenseService::pool(const std::string& account_key, const std::string& va_name,
                                         const std::string& tag) {
  auto list = pools(account_key, va_name);
  if (!list) return fail(list.error());
  for (const auto& p : *list)
    if (p.tag == tag) return p;
  return fail(Error::not_found("no license pool for tag " + q(tag) + " in virtual account " + q(va_name)));
}

Result<LicensePool> LicenseService::change_pool(const std::string& account_key, const std::string& va_name,
                                                const std::string& tag, const PoolChange& change, const Actor& by) {
  auto p = pool(account_key, va_name, tag);
  if (!p) return p;
  if (p->origin == PoolOrigin::kUpstream)
    return fail(Error::conflict("license pool " + q(tag) + " is mirrored from the upstream authority; change it there"));
  LicensePool c = *p;
  if (change.display_name) c.display_name = change.display_name->empty() ? c.tag : *change.display_name;
  if (change.kind) c.kind = *change.kind;
  if (change.quantity) c.quantity = *change.quantity;
  if (change.starts) c.starts = *change.starts;
  if (change.ends) c.ends = *change.ends;
  if (change.kind && *change.kind == LicenseKind::kPerpetual && !change.ends) c.ends = 0;
  if (auto s = check_pool(c); !s) return fail(s.error());
  c.updated_at = clock_.now();
  if (auto s = store_.update_pool(c, event(by, "license.update", pool_text(c) + " in " + q(account_key) + "/" + q(va_name)));
      !s)
    return fail(s.error());
  return c;
}

Status LicenseService::remove_pool(const std::string& account_key, const std::string& va_name, const std::string& tag,
                                   const Actor& by) {
  auto p = pool(account_key, va_name, tag);
  if (!p) return fail(p.error());
  if (p->origin == PoolOrigin::kUpstream)
    return fail(Error::conflict("license pool " + q(tag) + " is mirrored from the upstream authority; remove it there"));
  return store_.delete_pool(p->id, event(by, "license.delete", pool_text(*p) + " in " + q(account_key) + "/" + q(va_name)));
}

Result<LicensePage> LicenseService::licenses(const std::string& account_key, const std::vector<std::string>& va_names,
                                             int64_t limit, int64_t offset) {
  auto a = account(account_key);
  if (!a) return fail(a.error());
  auto vas = store_.list_virtual_accounts(a->id);
  if (!vas) return fail(vas.error());
  std::map<int64_t, std::string> names;
  for (const auto& v : *vas) names[v.id] = v.name;
  std::set<std::string> wanted;
  for (const auto& n : va_names) {
    bool known = std::any_of(vas->begin(), vas->end(), [&](const VirtualAccount& v) { return v.name == n; });
    if (!known) return fail(no_va(a->name, n));
    wanted.insert(n);
  }
  auto pools = store_.list_pools(a->id);
  if (!pools) return fail(pools.error());
  auto usage = store_.usage_totals(a->id);
  if (!usage) return fail(usage.error());
  auto lines = license_lines(*pools, *usage, names, clock_.now());
  if (!wanted.empty()) std::erase_if(lines, [&](const LicenseLine& l) { return !wanted.count(l.virtual_account); });
  LicensePage page;
  page.total = static_cast<int64_t>(lines.size());
  size_t from = static_cast<size_t>(std::clamp<int64_t>(offset, 0, page.total));
  size_t to = limit < 0 ? lines.size() : std::min(lines.size(), from + static_cast<size_t>(limit));
  page.lines.assign(std::make_move_iterator(lines.begin() + static_cast<std::ptrdiff_t>(from)),
                    std::make_move_iterator(lines.begin() + static_cast<std::ptrdiff_t>(to)));
  return page;
}

Result<std::vector<Alert>> LicenseService::alerts(const std::string& account_key) {
  auto page = licenses(account_key, {}, -1, 0);
  if (!page) return fail(page.error());
  SyncHealth sync;
  sync.configured = !upstream_.url.empty();
  sync.upstream = upstream_.url;
  sync.interval = upstream_.interval;
  sync.since = started_at_;
  if (sync.configured) {
    auto last = settings_.get_setting("upstream_last_ok");
    if (!last) return fail(last.error());
    if (*last && !(*last)->empty()) {
      try {
        sync.last_ok = std::stoll(**last);
      } catch (...) {
      }
    }
  }
  return license_alerts(page->lines, sync, clock_.now());
}

Result<DevicePage> LicenseService::devices(const std::string& account_key, const std::string& va_name, int64_t limit,
                                           int64_t offset, std::optional<int64_t> after) {
  auto a = account(account_key);
  if (!a) return fail(a.error());
  std::optional<int64_t> va;
  if (!va_name.empty()) {
    auto v = virtual_account(*a, va_name);
    if (!v) return fail(v.error());
    va = v->id;
  }
  return store_.list_devices(a->id, va, limit, offset, after);
}

Result<UsageOutcome> LicenseService::report_usage(const std::string& account_key, const std::string& va_name,
                                                  UsageReport report, const std::string& body_hash, const Actor& by) {
  auto ab = both(account_key, va_name);
  if (!ab) return fail(ab.error());
  const auto& [a, v] = ab.value();
  std::string hash = body_hash.empty() ? canonical_hash(v.name, report) : body_hash;

  std::vector<std::string> warnings;
  merge_duplicates(report, warnings);
  // Unknown tags are recorded and reported, never refused: licensing must not take a network down.
  auto all = store_.list_pools(a.id);
  if (!all) return fail(all.error());
  std::set<std::string> known;
  for (const auto& p : *all)
    if (p.va_id == v.id) known.insert(p.tag);
  std::map<std::string, int64_t> unknown;
  for (const auto& d : report.devices)
    for (const auto& l : d.licenses)
      if (!known.count(l.tag)) ++unknown[l.tag];
  for (const auto& [tag, n] : unknown)
    warnings.push_back("tag " + q(tag) + " (reported for " + std::to_string(n) + (n == 1 ? " device" : " devices") +
                       ") has no license pool in virtual account " + q(v.name) + "; its usage is recorded");

  store::UsageIngest in;
  in.account_id = a.id;
  in.va_id = v.id;
  in.body_hash = hash;
  in.received_at = clock_.now();
  in.received_by = by.name;
  in.report = &report;
  in.warnings = warnings;
  in.history = history_;
  auto e = event(by, "usage.report",
                 "report " + q(report.report_id) + " for " + q(a.name) + "/" + q(v.name) + ": " +
                     std::to_string(report.devices.size()) + " devices" +
                     (report.manager.empty() ? "" : " from manager " + q(report.manager)));
  auto r = store_.ingest_usage(in, e);
  if (!r) return fail(r.error());
  return UsageOutcome{r->ack, r->repeat};
}

Result<std::vector<UsageSample>> LicenseService::usage_history(const std::string& account_key,
                                                               const std::string& va_name, const std::string& tag,
                                                               int64_t since, int64_t until) {
  if (auto s = check_name("tag", tag); !s) return fail(s.error());
  if (since > until) return fail(Error::invalid("'since' must not be later than 'until'"));
  auto ab = both(account_key, va_name);
  if (!ab) return fail(ab.error());
  return store_.usage_history(ab->second.id, tag, since, until);
}

Result<std::vector<RegistrationToken>> LicenseService::registration_tokens(const std::string& account_key,
                                                                           const std::string& va_name) {
  auto ab = both(account_key, va_name);
  if (!ab) return fail(ab.error());
  return store_.list_registration_tokens(ab->second.id);
}

Result<NewRegistrationToken> LicenseService::create_registration_token(const std::string& account_key,
                                                                       const std::string& va_name,
                                                                       const std::string& description,
                                                                       int64_t expires_after_days, const Actor& by) {
  auto ab = both(account_key, va_name);
  if (!ab) return fail(ab.error());
  if (expires_after_days < 1 || expires_after_days > 365)
    return fail(Error::invalid("'expiresAfterDays' must be between 1 and 365"));
  NewRegistrationToken out;
  out.token = crypto::random_urlsafe(48);
  out.expires_after_days = expires_after_days;
  RegistrationToken t;
  t.va_id = ab->second.id;
  t.virtual_account = ab->second.name;
  t.hint = out.token.substr(0, 8);
  t.description = description;
  t.created_at = clock_.now();
  t.expires = t.created_at + expires_after_days * 86400;
  t.created_by = by.name;
  auto made = store_.create_registration_token(
      t, crypto::keyed_hash(hash_key_, out.token),
      event(by, "token.registration.create",
            "device registration token " + t.hint + "… for " + q(ab->first.name) + "/" + q(ab->second.name)));
  if (!made) return fail(made.error());
  out.record = *made;
  return out;
}

}  // namespace licsat::domain
