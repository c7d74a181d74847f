// Offline exchange on the server: POST /api/v1/admin/offline/answer answers a manager's (or a
// satellite's) usage-request file with a license-answer file signed by the server's Ed25519 key;
// GET /api/v1/server-key publishes that key for `licsat manager trust` to pin.
#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/usage_report_parser.h"
#include "core/clock.h"
#include "sync/offline_answer.h"
#include "sync/offline_bundle.h"

namespace licsat::api {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

// The license database as the offline answer sees it.
class AppAnswerSource final : public sync::AnswerSource {
 public:
  AppAnswerSource(App& app, domain::Actor by) : app_(app), by_(std::move(by)) {}

  Result<std::vector<manager::Account>> accounts() override {
    auto list = app_.licensing->accounts();
    if (!list) return fail(list.error());
    std::vector<manager::Account> out;
    for (const auto& a : *list) {
      auto vas = app_.store->list_virtual_accounts(a.id);
      if (!vas) return fail(vas.error());
      manager::Account m{a.name, a.domain, "ACTIVE", "CUSTOMER", {}};
      for (const auto& v : *vas) m.virtual_accounts.push_back(v.name);
      out.push_back(std::move(m));
    }
    return out;
  }

  Result<manager::Acknowledgement> ingest(const std::string& account, const std::string& va,
                                          const std::string& report_json) override {
    auto report = parse_usage_report(report_json);
    if (!report) return fail(report.error());
    auto out = app_.licensing->report_usage(account, va, std::move(*report), "", by_);
    if (!out) return fail(out.error());
    return manager::Acknowledgement{out->ack.report_id, "accepted", out->ack.devices, out->ack.warnings,
                                    format_iso8601(out->ack.at)};
  }

  Result<std::vector<manager::LicensePool>> licenses(const std::string& account) override {
    auto page = app_.licensing->licenses(account, {}, -1, 0);
    if (!page) return fail(page.error());
    std::vector<manager::LicensePool> out;
    for (const auto& l : page->lines) {
      manager::LicensePool p;
      p.account = account;
      p.license = l.license;
      p.tag = l.tag;
      p.virtual_account = l.virtual_account;
      p.quantity = l.quantity;
      p.in_use = l.in_use;
      p.available = l.available;
      p.status = domain::compliance_label(l.status);
      p.billing_type = l.pool ? "PREPAID" : "";
      if (l.pool)
        p.details = json::array({{{"licenseType", std::string(domain::license_type_label(l.pool->kind))},
                                  {"quantity", l.pool->quantity},
                                  {"startDate", format_date(l.pool->starts ? l.pool->starts : l.pool->created_at)},
                                  {"endDate", l.pool->ends ? json(format_date(l.pool->ends)) : json(nullptr)},
                                  {"status", domain::pool_state_label(l.state)}}});
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  App& app_;
  domain::Actor by_;
};

Response answer(App& app, Request& req, const oauth::Principal& p) {
  auto by = actor_of(p, req);
  AppAnswerSource source(app, by);
  auto out = sync::answer_request(req.body, source, app.signing_key, app.clock->now());
  if (!out) {
    app.events->record(app.events->make(by.name, req.peer, "offline.answer", "failure", out.error().message));
    return error_of(out.error());
  }
  app.events->record(app.events->make(by.name, req.peer, "offline.answer", "success",
                                      "answered the offline request of manager '" + out->manager + "': " +
                                          std::to_string(out->acknowledged) + " reports acknowledged, " +
                                          std::to_string(out->refused) + " refused"));
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = out->bundle;
  r.set("Content-Disposition", "attachment; filename=\"license-answer.json\"");
  r.set("Cache-Control", "no-store");
  return r;
}

}  // namespace

void add_offline_routes(App& app) {
  app.router.add("POST", "/api/v1/admin/offline/answer",
                 with_role(app, domain::Role::kAdmin,
                           [&app](Request& req, const oauth::Principal& p) { return answer(app, req, p); }),
                 app.config.limits.max_usage_body_bytes);
  // Public: the key is what a manager pins before it trusts signed answers; publishing it costs nothing.
  app.router.add("GET", "/api/v1/server-key", [&app](Request&) -> Response {
    std::string fp = sync::key_fingerprint(app.signing_key.public_key);
    return http::json_response(200, {{"algorithm", "Ed25519"},
                                     {"publicKey", crypto::to_base64(app.signing_key.public_key)},
                                     {"fingerprint", fp},
                                     {"fingerprintDisplay", sync::display_fingerprint(fp)}});
  });
}

}  // namespace licsat::api
