#include "sync/satellite_outbox.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/licensing.h"
#include "protocol/bundle.h"
#include "protocol/sync_run.h"

namespace licsat::sync {
namespace {

using nlohmann::json;

// A pool of the licenses answer as the mirror stores it; nullopt for a line without a pool
// (a tag in use with no entitlement), which is not the authority's to grant.
std::optional<store::MirrorPool> mirror_pool_of(const protocol::LicensePool& p) {
  if (!p.details.is_array() || p.details.empty() || !p.details[0].is_object()) return std::nullopt;
  const json& d = p.details[0];
  store::MirrorPool m;
  m.virtual_account = p.virtual_account;
  m.tag = p.tag;
  m.display_name = p.license.empty() ? p.tag : p.license;
  std::string type =
      d.contains("licenseType") && d["licenseType"].is_string() ? d["licenseType"].get<std::string>() : "";
  auto kind = domain::parse_license_kind(type);
  m.kind = std::string(domain::license_kind_name(kind.value_or(domain::LicenseKind::kPerpetual)));
  m.quantity = d.contains("quantity") && d["quantity"].is_number_integer() ? d["quantity"].get<int64_t>() : p.quantity;
  if (d.contains("startDate") && d["startDate"].is_string())
    m.starts = parse_iso8601(d["startDate"].get<std::string>()).value_or(0);
  if (d.contains("endDate") && d["endDate"].is_string())
    m.ends = parse_iso8601(d["endDate"].get<std::string>()).value_or(0);
  if (m.kind == "perpetual") m.ends = 0;
  if (m.virtual_account.empty() || m.tag.empty() || m.quantity < 0) return std::nullopt;
  return m;
}

bool wanted(const std::vector<std::string>& accounts, const protocol::Account& a) {
  return accounts.empty() || std::find(accounts.begin(), accounts.end(), a.name) != accounts.end() ||
         (!a.domain.empty() && std::find(accounts.begin(), accounts.end(), a.domain) != accounts.end());
}

}  // namespace

std::string forward_id(const std::string& prefix, const std::string& report_id) {
  std::string id = prefix + report_id;
  if (id.size() > 256) id = prefix + "sha256-" + crypto::sha256_hex(report_id);
  return id;
}

std::optional<int64_t> int_setting(store::AuthStore& s, const char* key) {
  auto v = s.get_setting(key);
  if (!v || !*v || (*v)->empty()) return std::nullopt;
  try {
    return std::stoll(**v);
  } catch (...) {
    return std::nullopt;
  }
}

Result<std::optional<std::string>> pinned_authority_key(store::AuthStore& settings) {
  auto v = settings.get_setting(kSettingKey);
  if (!v) return fail(v.error());
  if (!*v || (*v)->empty()) return std::optional<std::string>();
  auto raw = crypto::from_base64(**v);
  if (!raw || raw->size() != 32)
    return fail(Error::internal("the pinned authority key (setting upstream_key) is damaged"));
  return std::optional<std::string>(*raw);
}

Status SatelliteOutbox::queue() {
  for (;;) {
    auto pending = s_.sync.unqueued_reports(protocol::kSyncBatch);
    if (!pending) return fail(pending.error());
    if (pending->empty()) return {};
    std::vector<store::OutboxEntry> entries;
    int64_t now = s_.clock.now();
    for (const auto& p : *pending) {
      protocol::UsageReport r;
      r.report_id = forward_id(prefix_, p.report_id);
      r.manager = p.manager;
      r.period_start = p.period_start;
      r.period_end = p.period_end;
      for (const auto& d : p.devices) {
        protocol::Device dev{d.pid, d.sn, d.hostname, p.virtual_account, p.account, {}};
        for (const auto& [tag, count] : d.licenses) dev.licenses.push_back({tag, count});
        r.devices.push_back(std::move(dev));
      }
      entries.push_back({p.id, p.account, p.virtual_account, r.report_id, protocol::to_json(r).dump(), now});
    }
    if (auto s = s_.sync.add_to_outbox(entries); !s) return s;
    if (static_cast<int64_t>(pending->size()) < protocol::kSyncBatch) return {};
  }
}

Result<std::vector<protocol::OutboxReport>> SatelliteOutbox::outbox(int64_t limit) {
  auto box = s_.sync.outbox(limit);
  if (!box) return fail(box.error());
  std::vector<protocol::OutboxReport> out;
  for (const auto& e : *box) {
    protocol::OutboxReport q{e.account, e.virtual_account, {}, ""};
    auto report = protocol::usage_report_from_json(json::parse(e.body, nullptr, false));
    if (report)
      q.report = std::move(*report);
    else
      q.problem = report.error().message;
    q.report.report_id = e.forward_id;
    out.push_back(std::move(q));
  }
  return out;
}

Status SatelliteOutbox::mark_sent(const std::string& report_id, const protocol::Acknowledgement&) {
  auto marked = s_.sync.mark_forwarded(report_id, s_.clock.now());
  if (!marked)
    return fail(
        Error{marked.error().code, "cannot mark report " + report_id + " forwarded: " + marked.error().message});
  if (*marked) ++outcome_.forwarded;
  return {};
}

Status SatelliteOutbox::keep_licenses(const std::vector<protocol::Account>& accounts,
                                      const std::vector<protocol::LicensePool>& pools) {
  for (const auto& a : accounts) {
    if (!wanted(accounts_, a)) continue;
    std::vector<store::MirrorPool> mirror;
    for (const auto& p : pools)
      if (p.account == a.name)
        if (auto m = mirror_pool_of(p)) mirror.push_back(std::move(*m));
    auto ev = s_.events.make(by_.name.empty() ? "system" : by_.name, by_.source_ip, "sync.mirror", "success",
                             "mirrored smart account '" + a.name + "' " + source_);
    auto changed = s_.sync.mirror_account(a.name, a.domain, a.virtual_accounts, mirror, s_.clock.now(), ev);
    if (!changed)
      return fail(
          Error{changed.error().code, "cannot store the mirror of '" + a.name + "': " + changed.error().message});
    outcome_.accounts.push_back(a.name);
    outcome_.pools_added += changed->added;
    outcome_.pools_changed += changed->changed;
    outcome_.pools_removed += changed->removed;
    for (const auto& c : changed->conflicts)
      outcome_.warnings.push_back("local pool " + a.name + "/" + c +
                                  " holds a tag the authority grants; it is left as "
                                  "it is (delete the local pool to mirror the authority's)");
  }
  return {};
}

std::string SatelliteOutbox::how_to_pin() const {
  return "run `licsat admin sync trust` (online, or with --key from the authority's GET /api/v1/server-key)";
}

Status SatelliteOutbox::record_request(const protocol::RequestRecord& r) {
  return s_.sync.record_request({r.nonce, r.created_at, r.report_ids, std::nullopt});
}

Result<std::optional<protocol::RequestRecord>> SatelliteOutbox::find_request(const std::string& nonce) {
  auto r = s_.sync.find_request(nonce);
  if (!r) return fail(r.error());
  if (!*r) return std::optional<protocol::RequestRecord>();
  return std::optional<protocol::RequestRecord>(
      protocol::RequestRecord{(*r)->nonce, (*r)->created_at, (*r)->forward_ids, (*r)->answered_at.value_or(0)});
}

Result<std::optional<int64_t>> SatelliteOutbox::last_answer_created() {
  return int_setting(s_.settings, kSettingLastAnswer);
}

Status SatelliteOutbox::apply_answer(const protocol::CheckedAnswer& a) {
  for (const auto& ack : a.acknowledgements)
    if (auto s = mark_sent(ack.report_id, ack); !s) return s;
  for (const auto& r : a.refused)
    outcome_.warnings.push_back("the authority refused report " + r.report_id + " (" + r.account + "/" +
                                r.virtual_account + "): " + r.error + "; it stays queued");
  if (auto s = keep_licenses(a.accounts, a.licenses); !s) return s;
  auto marked = s_.sync.mark_request_answered(a.request_nonce, a.answer_nonce, s_.clock.now());
  if (!marked) return fail(marked.error());
  if (!*marked) return fail(Error::conflict("the answer to this request was imported meanwhile"));
  (void)s_.settings.set_setting(kSettingLastAnswer, std::to_string(a.created), std::nullopt);
  return {};
}

}  // namespace licsat::sync
