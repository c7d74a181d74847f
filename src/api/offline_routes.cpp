// Offline exchange on the server: POST /api/v1/admin/offline/answer answers a manager's (or a
// satellite's) usage-request file with a license-answer file signed by the server's Ed25519 key;
// GET /api/v1/server-key publishes that key for `licsat manager trust` to pin.
#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/usage_report_parser.h"
#include "core/clock.h"
#include "protocol/bundle.h"
#include "protocol/license_line.h"
#include "protocol/offline_answer.h"

namespace licsat::api {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

// The license database as the offline answer sees it.
class AppAnswerSource final : public protocol::AnswerSource {
 public:
  AppAnswerSource(App& app, domain::Actor by) : app_(app), by_(std::move(by)) {}

  Result<std::vector<protocol::Account>> accounts() override {
    auto list = app_.licensing->accounts();
    if (!list) return fail(list.error());
    std::vector<protocol::Account> out;
    for (const auto& a : *list) {
      auto vas = app_.store->list_virtual_accounts(a.id);
      if (!vas) return fail(vas.error());
      protocol::Account m{a.name, a.domain, "ACTIVE", "CUSTOMER", {}};
      for (const auto& v : *vas) m.virtual_accounts.push_back(v.name);
      out.push_back(std::move(m));
    }
    return out;
  }

  Result<protocol::Acknowledgement> ingest(const std::string& account, const std::string& va,
                                           const std::string& report_json) override {
    auto report = parse_usage_report(report_json);
    if (!report) return fail(report.error());
    auto out = app_.licensing->report_usage(account, va, std::move(*report), "", by_);
    if (!out) return fail(out.error());
    return protocol::Acknowledgement{out->ack.report_id, "accepted", out->ack.devices, out->ack.warnings,
                                     format_iso8601(out->ack.at)};
  }

  Result<std::vector<protocol::LicensePool>> licenses(const std::string& account) override {
    auto page = app_.licensing->licenses(account, {}, -1, 0);
    if (!page) return fail(page.error());
    std::vector<protocol::LicensePool> out;
    for (const auto& l : page->lines) out.push_back(protocol::license_pool_of(l, account));
    return out;
  }

 private:
  App& app_;
  domain::Actor by_;
};

Response answer(App& app, Request& req, const oauth::Principal& p) {
  auto by = actor_of(p, req);
  AppAnswerSource source(app, by);
  auto out = protocol::answer_request(req.body, source, app.signing_key, app.clock->now());
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
    std::string fp = protocol::key_fingerprint(app.signing_key.public_key);
    return http::json_response(200, {{"algorithm", "Ed25519"},
                                     {"publicKey", crypto::to_base64(app.signing_key.public_key)},
                                     {"fingerprint", fp},
                                     {"fingerprintDisplay", protocol::display_fingerprint(fp)}});
  });
}

}  // namespace licsat::api
