#include "sync/upstream_sync.h"

#include <fstream>
#include <sstream>

#include "core/log.h"
#include "protocol/bundle.h"
#include "protocol/offline_exchange.h"
#include "protocol/sync_run.h"

namespace licsat::sync {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// The fix text of a failure names the satellite's [upstream] settings, not a manager's flags.
protocol::FixContext satellite_context(const protocol::SyncClient& client) {
  auto ctx = client.fix_context();
  ctx.satellite = true;
  return ctx;
}

}  // namespace

UpstreamSync::UpstreamSync(UpstreamConfig cfg, store::SyncStore& sync, store::AuthStore& settings,
                           domain::EventLog& events, const Clock& clock, const crypto::SigningKey& own_key)
    : cfg_(std::move(cfg)), sync_(sync), settings_(settings), events_(events), clock_(clock), own_key_(own_key) {
  prefix_ = "sat-" + protocol::key_fingerprint(own_key_.public_key).substr(0, 12) + "-";
}

std::string UpstreamSync::forward_id(const std::string& report_id) const {
  return sync::forward_id(prefix_, report_id);
}

SatelliteOutbox UpstreamSync::outbox(const domain::Actor& by, const std::string& source, SyncOutcome& o) {
  return SatelliteOutbox({sync_, settings_, events_, clock_, own_key_}, prefix_, cfg_.accounts, by, source, o);
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
  protocol::ClientOptions http{cfg_.url, cfg_.ca_file, cfg_.insecure, "", 120, 10};
  protocol::SyncClient client(http, protocol::Credentials{cfg_.client_id, *secret, "", ""}, clock_);
  auto failed = [&](const protocol::Failure& f) {
    if (f.cls == protocol::FailureClass::kState) {
      o.reason = "store";
      return f.what;
    }
    o.reason = protocol::class_name(f.cls);
    return protocol::render(f, satellite_context(client));
  };

  auto box = outbox(by, "from " + cfg_.url, o);
  protocol::SyncPlan plan;
  plan.accounts = cfg_.accounts;
  // First contact: pin the key that will sign the authority's offline answers.
  plan.signed_in = [&](protocol::SyncClient& c) -> std::optional<protocol::Failure> {
    auto pinned = box.pinned_key();
    if (!pinned) return protocol::state_failure(pinned.error());
    if (*pinned) return std::nullopt;
    auto key = c.fetch_server_key();
    if (!key) return key.error();
    auto kept = settings_.init_setting(kSettingKey, crypto::to_base64(*key));
    if (!kept) return protocol::state_failure(kept.error());
    events_.record(events_.make(by.name.empty() ? "system" : by.name, by.source_ip, "sync.trust", "success",
                                "pinned the authority's signing key " +
                                    protocol::display_fingerprint(protocol::key_fingerprint(*key)) +
                                    " at first contact with " + cfg_.url));
    return std::nullopt;
  };
  auto run = protocol::run_sync(client, box, plan);
  for (const auto& id : run.repeats)
    o.warnings.push_back("report " + id +
                         " was already received by the authority with another body; "
                         "it is counted there and leaves the queue");
  if (run.failure) return finish(failed(*run.failure));  // everything not acknowledged stays queued

  std::vector<std::string> problems;
  for (const auto& u : run.undelivered)
    problems.push_back(u.failure ? failed(*u.failure) : "report " + u.report.report.report_id + ": " + u.why);
  for (const auto& name : run.missing_accounts)
    problems.push_back("smart account '" + name +
                       "' (upstream.accounts) does not exist on the authority or is "
                       "not permitted for this satellite's grant; create it there, add it to the grant's "
                       "accounts, or correct upstream.accounts");
  std::string error;
  for (const auto& p : problems) error += (error.empty() ? "" : "; ") + p;
  if (!error.empty()) o.reason = "rejected";
  return finish(error);
}

Result<std::string> UpstreamSync::export_request(const domain::Actor& by) {
  std::lock_guard lock(mu_);
  if (!configured())
    return fail(Error::conflict("this server has no upstream (it is an authority); sync export is for satellites"));
  SyncOutcome unused;
  auto box = outbox(by, "", unused);
  protocol::ExportPlan plan{"satellite " + prefix_.substr(4, 12), cfg_.accounts, ""};
  auto r = protocol::export_request(box, plan, clock_.now());
  if (!r) return fail(Error::unavailable(r.error().what));
  events_.record(events_.make(by.name, by.source_ip, "sync.export", "success",
                              "exported an offline usage request for " + cfg_.url + " with " +
                                  std::to_string(r->reports.size()) + " usage reports"));
  return r->bundle;
}

Result<SyncOutcome> UpstreamSync::import_answer(const std::string& text, const domain::Actor& by) {
  std::lock_guard lock(mu_);
  auto refuse = [&](const std::string& m) -> Result<SyncOutcome> {
    events_.record(events_.make(by.name, by.source_ip, "sync.import", "failure", m));
    return fail(Error::invalid(m));
  };
  if (!configured())
    return fail(Error::conflict("this server has no upstream (it is an authority); sync import is for satellites"));
  SyncOutcome o;
  o.mode = "offline import";
  o.started = clock_.now();
  auto box = outbox(by, "from an offline answer of " + cfg_.url, o);
  auto imported = protocol::import_answer(box, text);
  if (!imported) {
    const auto& f = imported.error();
    if (f.cls == protocol::FailureClass::kOfflineRefused)
      return refuse(f.what + (f.detail.empty() ? "" : "; " + f.detail));
    return fail(Error::unavailable(f.what));
  }
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
    protocol::ClientOptions http{cfg_.url, cfg_.ca_file, cfg_.insecure, "", 60, 10};
    protocol::SyncClient client(http, protocol::Credentials{}, clock_);
    auto k = client.fetch_server_key();
    if (!k) return fail(Error::unavailable(protocol::render(k.error(), satellite_context(client))));
    raw = *k;
  }
  std::string fp = protocol::key_fingerprint(raw);
  domain::Event e = events_.make(by.name, by.source_ip, "sync.trust", "success",
                                 "pinned the authority's signing key " + protocol::display_fingerprint(fp));
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
  auto k = pinned_authority_key(settings_);
  if (!k) return fail(k.error());
  if (*k) s.key_fingerprint = protocol::key_fingerprint(**k);
  return s;
}

}  // namespace licsat::sync
