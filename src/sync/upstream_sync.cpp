#include "sync/upstream_sync.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "domain/licensing.h"
#include "manager/api_types.h"
#include "manager/failure.h"
#include "manager/sync_client.h"
#include "sync/offline_bundle.h"
#include "sync/offline_messages.h"

namespace licsat::sync {
namespace {

using nlohmann::json;

constexpr int64_t kBatch = 1000;  // reports taken into the outbox (and sent) per round

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
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

// A pool of the licenses answer as the mirror stores it; nullopt for a line without a pool
// (a tag in use with no entitlement), which is not the authority's to grant.
std::optional<store::MirrorPool> mirror_pool_of(const manager::LicensePool& p) {
  if (!p.details.is_array() || p.details.empty() || !p.details[0].is_object()) return std::nullopt;
  const json& d = p.details[0];
  store::MirrorPool m;
  m.virtual_account = p.virtual_account;
  m.tag = p.tag;
  m.display_name = p.license.empty() ? p.tag : p.license;
  std::string type = d.contains("licenseType") && d["licenseType"].is_string() ? d["licenseType"].get<std::string>() : "";
  auto kind = domain::parse_license_kind(type);
  m.kind = std::string(domain::license_kind_name(kind.value_or(domain::LicenseKind::kPerpetual)));
  m.quantity = d.contains("quantity") && d["quantity"].is_number_integer() ? d["quantity"].get<int64_t>() : p.quantity;
  if (d.contains("startDate") && d["startDate"].is_string()) m.starts = parse_iso8601(d["startDate"].get<std::string>()).value_or(0);
  if (d.contains("endDate") && d["endDate"].is_string()) m.ends = parse_iso8601(d["endDate"].get<std::string>()).value_or(0);
  if (m.kind == "perpetual") m.ends = 0;
  if (m.virtual_account.empty() || m.tag.empty() || m.quantity < 0) return std::nullopt;
  return m;
}

// The ack of a report the authority already holds under our id with another body (the satellite's
// database was restored, say): the report is counted there, so it leaves the queue with a warning.
bool already_counted(const manager::Failure& f) { return f.cls == manager::FailureClass::kRejected && f.http_status == 409; }

}  // namespace

UpstreamSync::UpstreamSync(UpstreamConfig cfg, store::SyncStore& sync, store::AuthStore& settings,
                           domain::EventLog& events, const Clock& clock, const crypto::SigningKey& own_key)
    : cfg_(std::move(cfg)), sync_(sync), settings_(settings), events_(events), clock_(clock), own_key_(own_key) {
  prefix_ = "sat-" + key_fingerprint(own_key_.public_key).substr(0, 12) + "-";
}

std::string UpstreamSync::forward_id(const std::string& report_id) const {
  std::string id = prefix_ + report_id;
  if (id.size() > 256) id = prefix_ + "sha256-" + crypto::sha256_hex(report_id);
  return id;
}

Result<std::string> UpstreamSync::client_secret() const {
  if (!cfg_.client_secret.empty()) return cfg_.client_secret;
  if (cfg_.client_secret_file.empty())
    return fail(Error::invalid("[upstream] has no client_secret or client_secret_file: set the secret of the Client "
                               "Credentials Grant created on the authority"));
  std::ifstream in(cfg_.client_secret_file);
  if (!in) return fail(Error::invalid("cannot read upstream.client_secret_file '" + cfg_.client_secret_file + "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = trim(ss.str());
  if (s.empty()) return fail(Error::invalid("upstream.client_secret_file '" + cfg_.client_secret_file + "' is empty"));
  return s;
}

Result<std::optional<std::string>> UpstreamSync::pinned_key() {
  auto v = settings_.get_setting(kSettingKey);
  if (!v) return fail(v.error());
  if (!*v || (*v)->empty()) return std::optional<std::string>();
  auto raw = crypto::from_base64(**v);
  if (!raw || raw->size() != 32) return fail(Error::internal("the pinned authority key (setting upstream_key) is damaged"));
  return std::optional<std::string>(*raw);
}

Status UpstreamSync::queue_pending() {
  for (;;) {
    auto pending = sync_.unqueued_reports(kBatch);
    if (!pending) return fail(pending.error());
    if (pending->empty()) return {};
    std::vector<store::OutboxEntry> entries;
    int64_t now = clock_.now();
    for (const auto& p : *pending) {
      manager::UsageReport r;
      r.report_id = forward_id(p.report_id);
      r.manager = p.manager;
      r.period_start = p.period_start;
      r.period_end = p.period_end;
      for (const auto& d : p.devices) {
        manager::Device dev{d.pid, d.sn, d.hostname, p.virtual_account, p.account, {}};
        for (const auto& [tag, count] : d.licenses) dev.licenses.push_back({tag, count});
        r.devices.push_back(std::move(dev));
      }
      entries.push_back({p.id, p.account, p.virtual_account, r.report_id, manager::to_json(r).dump(), now});
    }
    if (auto s = sync_.add_to_outbox(entries); !s) return s;
    if (static_cast<int64_t>(pending->size()) < kBatch) return {};
  }
}

void UpstreamSync::attach_metrics(metrics::Registry& registry) {
  failures_ = &registry.counter("licsat_upstream_sync_failures_total",
                                "Failed syncs with the authority, by kind (connect, tls, certificate, timeout, "
                                "invalid_client, server, rejected, config, store, ...).",
                                {"reason"}, 32);
}

void UpstreamSync::record(const SyncOutcome& o, const domain::Actor& by) {
  if (!o.ok && failures_) failures_->with({o.reason.empty() ? "other" : o.reason}).inc();
  std::string t = std::to_string(o.finished);
  (void)settings_.set_setting(kSettingLastAttempt, t, std::nullopt);
  if (o.ok) {
    (void)settings_.set_setting(kSettingLastOk, t, std::nullopt);
    (void)settings_.set_setting(kSettingLastError, "", std::nullopt);
  } else {
    (void)settings_.set_setting(kSettingLastError, o.error, std::nullopt);
  }
  std::string detail = o.mode + " sync with " + cfg_.url + ": " + std::to_string(o.forwarded) +
                       " usage reports forwarded, " + std::to_string(o.pending) + " pending; pools " +
                       std::to_string(o.pools_added) + " added, " + std::to_string(o.pools_changed) + " changed, " +
                       std::to_string(o.pools_removed) + " removed";
  if (!o.ok) detail += "; failed: " + o.error;
  for (const auto& w : o.warnings) detail += "; " + w;
  events_.record(events_.make(by.name.empty() ? "system" : by.name, by.source_ip, "sync.run", o.ok ? "success" : "failure",
                              detail));
  if (o.ok)
    log::info("upstream sync done", {{"upstream", cfg_.url}, {"forwarded", std::to_string(o.forwarded)},
                                     {"pending", std::to_string(o.pending)}});
  else
    log::warn("upstream sync failed", {{"upstream", cfg_.url}, {"error", o.error}});
}

SyncOutcome UpstreamSync::run_online(const domain::Actor& by) {
  std::lock_guard lock(mu_);
  SyncOutcome o;
  o.mode = "online";
  o.started = clock_.now();
  auto finish = [&](std::string error) -> SyncOutcome {
    o.finished = clock_.now();
    o.error = std::move(error);
    o.ok = o.error.empty();
    if (!o.ok && o.reason.empty()) o.reason = "store";
    if (auto n = sync_.pending_count(); n) o.pending = *n;
    record(o, by);
    return o;
  };
  if (!configured()) {
    o.reason = "config";
    return finish("this server has no upstream; it is an authority");
  }

  auto secret = client_secret();
  if (!secret) {
    o.reason = "config";
    return finish(secret.error().message);
  }
  manager::ClientOptions http{cfg_.url, cfg_.ca_file, cfg_.insecure, "", 120, 10};
  manager::SyncClient client(http, manager::Credentials{cfg_.client_id, *secret, "", ""}, clock_);
  auto failed = [&](const manager::Failure& f) {
    o.reason = manager::class_name(f.cls);
    return manager::render(f, client.fix_context());
  };

  if (auto a = client.authenticate(); !a) return finish(failed(a.error()));

  // First contact: pin the key that will sign the authority's offline answers.
  auto pinned = pinned_key();
  if (!pinned) return finish(pinned.error().message);
  if (!*pinned) {
    auto key = client.fetch_server_key();
    if (!key) return finish(failed(key.error()));
    auto kept = settings_.init_setting(kSettingKey, crypto::to_base64(*key));
    if (!kept) return finish(kept.error().message);
    events_.record(events_.make(by.name.empty() ? "system" : by.name, by.source_ip, "sync.trust", "success",
                                "pinned the authority's signing key " + display_fingerprint(key_fingerprint(*key)) +
                                    " at first contact with " + cfg_.url));
  }

  // 1. Usage: queue, then send the outbox oldest first. Each acknowledged report is marked at
  //    once, so a cut costs at most re-sending reports the authority will see as repeats.
  if (auto q = queue_pending(); !q) return finish("cannot queue usage reports: " + q.error().message);
  std::vector<std::string> rejected;
  for (bool more = true; more;) {
    auto box = sync_.outbox(kBatch);
    if (!box) return finish("cannot read the usage outbox: " + box.error().message);
    more = static_cast<int64_t>(box->size()) == kBatch;
    size_t progress = 0;
    for (const auto& e : *box) {
      auto body = json::parse(e.body, nullptr, false);
      auto report = manager::usage_report_from_json(body);
      if (!report) {
        rejected.push_back("report " + e.forward_id + ": " + report.error().message);
        continue;
      }
      auto ack = client.send_usage(e.account, e.virtual_account, *report);
      if (!ack) {
        if (already_counted(ack.error())) {
          o.warnings.push_back("report " + e.forward_id + " was already received by the authority with another body; "
                               "it is counted there and leaves the queue");
        } else if (ack.error().cls == manager::FailureClass::kRejected) {
          rejected.push_back(manager::render(ack.error(), client.fix_context()));
          continue;
        } else {
          return finish(failed(ack.error()));  // unreachable or refusing: stop, everything stays queued
        }
      }
      auto marked = sync_.mark_forwarded(e.forward_id, clock_.now());
      if (!marked) return finish("cannot mark report " + e.forward_id + " forwarded: " + marked.error().message);
      ++o.forwarded;
      ++progress;
    }
    if (progress == 0) more = false;  // only rejected reports left in this batch
  }

  // 2. Licenses: mirror the authority's pools of each smart account.
  auto accounts = client.fetch_accounts();
  if (!accounts) return finish(failed(accounts.error()));
  std::vector<manager::Account> chosen;
  std::vector<std::string> problems = rejected;
  if (cfg_.accounts.empty()) {
    chosen = *accounts;
  } else {
    for (const auto& name : cfg_.accounts) {
      auto it = std::find_if(accounts->begin(), accounts->end(),
                             [&](const manager::Account& a) { return a.name == name || (!a.domain.empty() && a.domain == name); });
      if (it == accounts->end())
        problems.push_back("smart account '" + name + "' (upstream.accounts) does not exist on the authority or is "
                           "not permitted for this satellite's grant; create it there, add it to the grant's "
                           "accounts, or correct upstream.accounts");
      else
        chosen.push_back(*it);
    }
  }
  for (const auto& a : chosen) {
    auto pools = client.fetch_licenses(a.name);
    if (!pools) return finish(failed(pools.error()));
    std::vector<store::MirrorPool> mirror;
    for (const auto& p : *pools)
      if (auto m = mirror_pool_of(p)) mirror.push_back(std::move(*m));
    auto ev = events_.make(by.name.empty() ? "system" : by.name, by.source_ip, "sync.mirror", "success",
                           "mirrored smart account '" + a.name + "' from " + cfg_.url);
    auto changed = sync_.mirror_account(a.name, a.domain, a.virtual_accounts, mirror, clock_.now(), ev);
    if (!changed) return finish("cannot store the mirror of '" + a.name + "': " + changed.error().message);
    o.accounts.push_back(a.name);
    o.pools_added += changed->added;
    o.pools_changed += changed->changed;
    o.pools_removed += changed->removed;
    for (const auto& c : changed->conflicts)
      o.warnings.push_back("local pool " + a.name + "/" + c + " holds a tag the authority grants; it is left as it is "
                           "(delete the local pool to mirror the authority's)");
  }
  std::string error;
  for (const auto& p : problems) error += (error.empty() ? "" : "; ") + p;
  if (!error.empty()) o.reason = "rejected";
  return finish(error);
}

Result<std::string> UpstreamSync::export_request(const domain::Actor& by) {
  std::lock_guard lock(mu_);
  if (!configured())
    return fail(Error::conflict("this server has no upstream (it is an authority); sync export is for satellites"));
  if (auto q = queue_pending(); !q) return fail(q.error());
  auto box = sync_.outbox(1'000'000);
  if (!box) return fail(box.error());
  UsageRequest req;
  req.manager = "satellite " + prefix_.substr(4, 12);
  req.accounts = cfg_.accounts;
  std::vector<std::string> ids;
  for (const auto& e : *box) {
    auto body = json::parse(e.body, nullptr, false);
    if (!body.is_object()) continue;
    req.reports.push_back({e.account, e.virtual_account, body});
    ids.push_back(e.forward_id);
  }
  int64_t now = clock_.now();
  std::string nonce = crypto::random_urlsafe(18);
  std::string text = seal_bundle(kKindUsageRequest, to_payload(req), own_key_, now, nonce);
  if (auto s = sync_.record_request({nonce, now, ids, std::nullopt}); !s) return fail(s.error());
  events_.record(events_.make(by.name, by.source_ip, "sync.export", "success",
                              "exported an offline usage request for " + cfg_.url + " with " + std::to_string(ids.size()) +
                                  " usage reports"));
  return text;
}

Result<SyncOutcome> UpstreamSync::import_answer(const std::string& text, const domain::Actor& by) {
  std::lock_guard lock(mu_);
  auto refuse = [&](const std::string& m) -> Result<SyncOutcome> {
    events_.record(events_.make(by.name, by.source_ip, "sync.import", "failure", m));
    return fail(Error::invalid(m));
  };
  if (!configured())
    return fail(Error::conflict("this server has no upstream (it is an authority); sync import is for satellites"));
  auto pinned = pinned_key();
  if (!pinned) return fail(pinned.error());
  if (!*pinned)
    return refuse("answer refused: no authority key is pinned on this satellite, so the answer's signature cannot be "
                  "checked; run `licsat admin sync trust` (online, or with --key from the authority's "
                  "GET /api/v1/server-key)");
  auto bundle = open_bundle(text, kKindLicenseAnswer, **pinned);
  if (!bundle) {
    std::string why;
    switch (bundle.error().problem) {
      case BundleProblem::kBadSignature: why = "tampered: "; break;
      case BundleProblem::kForeign: why = "foreign: "; break;
      case BundleProblem::kWrongKind: why = "wrong file: "; break;
      default: why = "not a valid answer file: "; break;
    }
    return refuse("answer refused, " + why + bundle.error().message);
  }
  auto answer = license_answer_from_payload(bundle->payload);
  if (!answer) return refuse("answer refused: " + answer.error().message);
  auto seen = sync_.answer_applied(bundle->nonce);
  if (!seen) return fail(seen.error());
  if (*seen) return refuse("answer refused, replayed: this answer file was already imported");
  auto request = sync_.find_request(answer->request_nonce);
  if (!request) return fail(request.error());
  if (!*request)
    return refuse("answer refused, foreign: it answers a request this satellite never exported (another satellite's "
                  "or a manager's file)");
  if ((*request)->answered_at)
    return refuse("answer refused, replayed: the answer to this request was already imported on " +
                  format_iso8601(*(*request)->answered_at));
  if (auto last = int_setting(settings_, kSettingLastAnswer); last && bundle->created < *last)
    return refuse("answer refused, replayed: a newer answer (created " + format_iso8601(*last) +
                  ") was already imported; this one would roll the licenses back");

  SyncOutcome o;
  o.mode = "offline import";
  o.started = clock_.now();
  const auto& ids = (*request)->forward_ids;
  for (const auto& a : answer->acknowledgements) {
    if (std::find(ids.begin(), ids.end(), a.ack.report_id) == ids.end()) continue;
    auto marked = sync_.mark_forwarded(a.ack.report_id, clock_.now());
    if (!marked) return fail(marked.error());
    if (*marked) ++o.forwarded;
  }
  for (const auto& r : answer->refused)
    o.warnings.push_back("the authority refused report " + r.report_id + " (" + r.account + "/" + r.virtual_account +
                         "): " + r.error + "; it stays queued");
  for (const auto& acc : answer->accounts) {
    if (!cfg_.accounts.empty() && std::find(cfg_.accounts.begin(), cfg_.accounts.end(), acc.name) == cfg_.accounts.end() &&
        std::find(cfg_.accounts.begin(), cfg_.accounts.end(), acc.domain) == cfg_.accounts.end())
      continue;
    std::vector<store::MirrorPool> mirror;
    for (const auto& p : answer->licenses)
      if (p.account == acc.name)
        if (auto m = mirror_pool_of(p)) mirror.push_back(std::move(*m));
    auto ev = events_.make(by.name, by.source_ip, "sync.mirror", "success",
                           "mirrored smart account '" + acc.name + "' from an offline answer of " + cfg_.url);
    auto changed = sync_.mirror_account(acc.name, acc.domain, acc.virtual_accounts, mirror, clock_.now(), ev);
    if (!changed) return fail(changed.error());
    o.accounts.push_back(acc.name);
    o.pools_added += changed->added;
    o.pools_changed += changed->changed;
    o.pools_removed += changed->removed;
    for (const auto& c : changed->conflicts)
      o.warnings.push_back("local pool " + acc.name + "/" + c + " holds a tag the authority grants; it is left as it is");
  }
  auto marked = sync_.mark_request_answered(answer->request_nonce, bundle->nonce, clock_.now());
  if (!marked) return fail(marked.error());
  if (!*marked) return refuse("answer refused, replayed: the answer to this request was imported meanwhile");
  (void)settings_.set_setting(kSettingLastAnswer, std::to_string(bundle->created), std::nullopt);
  o.finished = clock_.now();
  o.ok = true;
  if (auto n = sync_.pending_count(); n) o.pending = *n;
  record(o, by);
  return o;
}

Result<std::string> UpstreamSync::trust(const std::string& public_key_b64, const domain::Actor& by) {
  std::string raw;
  if (!public_key_b64.empty()) {
    auto k = crypto::from_base64(public_key_b64);
    if (!k || k->size() != 32)
      return fail(Error::invalid("the key must be the base64 of a 32-byte Ed25519 public key (the publicKey of the "
                                 "authority's GET /api/v1/server-key)"));
    raw = *k;
  } else {
    if (!configured()) return fail(Error::conflict("this server has no upstream to fetch a key from; give the key"));
    manager::ClientOptions http{cfg_.url, cfg_.ca_file, cfg_.insecure, "", 60, 10};
    manager::SyncClient client(http, manager::Credentials{}, clock_);
    auto k = client.fetch_server_key();
    if (!k) return fail(Error::unavailable(manager::render(k.error(), client.fix_context())));
    raw = *k;
  }
  std::string fp = key_fingerprint(raw);
  domain::Event e = events_.make(by.name, by.source_ip, "sync.trust", "success",
                                 "pinned the authority's signing key " + display_fingerprint(fp));
  if (auto s = settings_.set_setting(kSettingKey, crypto::to_base64(raw), e); !s) return fail(s.error());
  return fp;
}

Result<SyncStatus> UpstreamSync::status() {
  SyncStatus s;
  s.configured = configured();
  s.upstream = cfg_.url;
  s.accounts = cfg_.accounts;
  s.interval = cfg_.interval;
  s.last_ok = int_setting(settings_, kSettingLastOk);
  s.last_attempt = int_setting(settings_, kSettingLastAttempt);
  s.next_run = int_setting(settings_, kSettingNextRun);
  auto err = settings_.get_setting(kSettingLastError);
  if (!err) return fail(err.error());
  if (*err) s.last_error = **err;
  auto n = sync_.pending_count();
  if (!n) return fail(n.error());
  s.pending = *n;
  auto k = pinned_key();
  if (!k) return fail(k.error());
  if (*k) s.key_fingerprint = key_fingerprint(**k);
  return s;
}

}  // namespace licsat::sync
