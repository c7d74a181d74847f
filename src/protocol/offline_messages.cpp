#include "protocol/offline_messages.h"

namespace licsat::protocol {
namespace {

using nlohmann::json;

std::string s_of(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string to_payload(const UsageRequest& r) {
  json reports = json::array();
  for (const auto& x : r.reports)
    reports.push_back({{"account", x.account}, {"virtualAccount", x.virtual_account}, {"report", x.report}});
  return json{{"manager", r.manager}, {"accounts", r.accounts}, {"reports", reports}}.dump();
}

Result<UsageRequest> usage_request_from_payload(const std::string& payload) {
  auto j = json::parse(payload, nullptr, false);
  if (!j.is_object()) return fail(Error::invalid("the request's payload is not a JSON object"));
  UsageRequest r;
  r.manager = s_of(j, "manager");
  if (j.contains("accounts") && j["accounts"].is_array())
    for (const auto& a : j["accounts"])
      if (a.is_string()) r.accounts.push_back(a.get<std::string>());
  if (!j.contains("reports") || !j["reports"].is_array()) return fail(Error::invalid("the request has no \"reports\" list"));
  size_t n = 0;
  for (const auto& x : j["reports"]) {
    ++n;
    if (!x.is_object() || !x.contains("report") || !x["report"].is_object() || s_of(x, "virtualAccount").empty())
      return fail(Error::invalid("report #" + std::to_string(n) + " of the request lacks virtualAccount or report"));
    r.reports.push_back({s_of(x, "account"), s_of(x, "virtualAccount"), x["report"]});
  }
  return r;
}

std::string to_payload(const LicenseAnswer& a) {
  json acks = json::array(), refused = json::array(), accounts = json::array(), licenses = json::array();
  for (const auto& x : a.acknowledgements)
    acks.push_back({{"account", x.account}, {"virtualAccount", x.virtual_account}, {"ack", to_json(x.ack)}});
  for (const auto& x : a.refused)
    refused.push_back(
        {{"reportId", x.report_id}, {"account", x.account}, {"virtualAccount", x.virtual_account}, {"error", x.error}});
  for (const auto& x : a.accounts) accounts.push_back(to_json(x));
  for (const auto& x : a.licenses) licenses.push_back(to_json(x));
  return json{{"requestNonce", a.request_nonce}, {"manager", a.manager}, {"acknowledgements", acks},
              {"refused", refused},              {"accounts", accounts}, {"licenses", licenses}}
      .dump();
}

Result<LicenseAnswer> license_answer_from_payload(const std::string& payload) {
  auto j = json::parse(payload, nullptr, false);
  if (!j.is_object()) return fail(Error::invalid("the answer's payload is not a JSON object"));
  LicenseAnswer a;
  a.request_nonce = s_of(j, "requestNonce");
  a.manager = s_of(j, "manager");
  if (a.request_nonce.empty()) return fail(Error::invalid("the answer names no request (requestNonce)"));
  for (const char* k : {"acknowledgements", "refused", "accounts", "licenses"})
    if (!j.contains(k) || !j[k].is_array()) return fail(Error::invalid(std::string("the answer has no \"") + k + "\" list"));
  for (const auto& x : j["acknowledgements"]) {
    if (!x.is_object()) return fail(Error::invalid("an acknowledgement in the answer is not an object"));
    auto ack = acknowledgement_from_json(x.value("ack", json()));
    if (!ack) return fail(ack.error());
    a.acknowledgements.push_back({s_of(x, "account"), s_of(x, "virtualAccount"), *ack});
  }
  for (const auto& x : j["refused"])
    a.refused.push_back({s_of(x, "reportId"), s_of(x, "account"), s_of(x, "virtualAccount"), s_of(x, "error")});
  auto accounts = accounts_from_json(json{{"accounts", j["accounts"]}});
  if (!accounts) return fail(accounts.error());
  a.accounts = std::move(*accounts);
  for (const auto& x : j["licenses"]) {
    auto p = license_pool_from_json(x, "");
    if (!p) return fail(p.error());
    a.licenses.push_back(std::move(*p));
  }
  return a;
}

}  // namespace licsat::protocol
