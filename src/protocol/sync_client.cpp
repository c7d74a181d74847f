#include "protocol/sync_client.h"

#include <ctime>

#include "core/crypto.h"
#include "http/message.h"

namespace licsat::protocol {
namespace {

using nlohmann::json;

// An answer that is not what the API promises.
Failure malformed(const std::string& what, const std::string& why) {
  Failure f;
  f.cls = FailureClass::kServer;
  f.what = what + ": the server's answer is not understood (" + why + ")";
  return f;
}

std::string path_segment(const std::string& s) { return http::url_encode(s); }

}  // namespace

std::optional<int64_t> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

SyncClient::SyncClient(ClientOptions http, Credentials creds, const Clock& clock)
    : http_(std::move(http)), creds_(std::move(creds)), clock_(clock) {}

FixContext SyncClient::fix_context() const {
  const auto& o = http_.options();
  return FixContext{o.base_url, creds_.username, redact_credentials(effective_proxy(o.base_url, o.proxy)), o.ca_file,
                    o.insecure, false};
}

void SyncClient::note_date(const HttpReply& r) {
  if (auto it = r.headers.find("date"); it != r.headers.end())
    if (auto t = parse_http_date(it->second)) last_date_ = *t;
}

std::expected<void, Failure> SyncClient::authenticate() {
  std::string form;
  if (!creds_.username.empty()) {
    form = "grant_type=password&username=" + http::url_encode(creds_.username) +
           "&password=" + http::url_encode(creds_.password);
  } else {
    form = "grant_type=client_credentials";
  }
  form += "&client_id=" + http::url_encode(creds_.client_id) + "&client_secret=" + http::url_encode(creds_.client_secret);
  http_.set_bearer("");
  auto r = http_.request("POST", "/oauth/token", form, "application/x-www-form-urlencoded");
  if (!r) return std::unexpected(from_transport(r.error()));
  note_date(*r);
  if (r->status != 200) return std::unexpected(from_token_reply(*r));
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    return std::unexpected(malformed("token request", "no access_token"));
  token_ = j["access_token"].get<std::string>();
  int64_t ttl = j.contains("expires_in") && j["expires_in"].is_number_integer() ? j["expires_in"].get<int64_t>() : 300;
  token_expires_ = clock_.now() + std::max<int64_t>(ttl - 30, 1);
  http_.set_bearer(token_);
  return {};
}

std::expected<json, Failure> SyncClient::call(const std::string& method, const std::string& path, const json& body,
                                              const std::string& what) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (token_.empty() || clock_.now() >= token_expires_) {
      if (auto a = authenticate(); !a) return std::unexpected(a.error());
    }
    auto r = http_.request(method, path, body.is_null() ? "" : body.dump());
    if (!r) return std::unexpected(from_transport(r.error()));
    note_date(*r);
    if (r->status == 401 && attempt == 0) {  // the token expired or was revoked meanwhile
      token_.clear();
      continue;
    }
    if (r->status < 200 || r->status >= 300) return std::unexpected(from_api_reply(*r, what));
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return std::unexpected(malformed(what, "not JSON"));
    return j;
  }
  return std::unexpected(malformed(what, "the token was refused twice"));
}

std::expected<std::vector<Account>, Failure> SyncClient::fetch_accounts() {
  auto j = call("GET", "/api/v1/accounts", nullptr, "fetching accounts");
  if (!j) return std::unexpected(j.error());
  auto a = accounts_from_json(*j);
  if (!a) return std::unexpected(malformed("fetching accounts", a.error().message));
  return *a;
}

std::expected<std::vector<LicensePool>, Failure> SyncClient::fetch_licenses(const std::string& account,
                                                                           const std::vector<std::string>& vas) {
  std::vector<LicensePool> out;
  const int64_t page = 500;
  std::string what = "fetching the licenses of account '" + account + "'";
  for (int64_t offset = 0;;) {
    json body = {{"virtualAccounts", vas}, {"limit", page}, {"offset", offset}};
    auto j = call("POST", "/api/v1/accounts/" + path_segment(account) + "/licenses", body, what);
    if (!j) return std::unexpected(j.error());
    auto pools = licenses_from_json(*j, account);
    if (!pools) return std::unexpected(malformed(what, pools.error().message));
    int64_t total = j->contains("totalRecords") && (*j)["totalRecords"].is_number_integer()
                        ? (*j)["totalRecords"].get<int64_t>()
                        : static_cast<int64_t>(offset + pools->size());
    size_t got = pools->size();
    for (auto& p : *pools) out.push_back(std::move(p));
    offset += static_cast<int64_t>(got);
    if (got == 0 || offset >= total) break;
  }
  return out;
}

std::expected<Acknowledgement, Failure> SyncClient::send_usage(const std::string& account, const std::string& va,
                                                               const UsageReport& report) {
  std::string what = "sending usage report " + report.report_id + " for " + account + "/" + va;
  auto j = call("POST", "/api/v1/accounts/" + path_segment(account) + "/virtual-accounts/" + path_segment(va) + "/usage",
                to_json(report), what);
  if (!j) return std::unexpected(j.error());
  auto a = acknowledgement_from_json(*j);
  if (!a) return std::unexpected(malformed(what, a.error().message));
  if (a->report_id != report.report_id)
    return std::unexpected(malformed(what, "acknowledges report " + a->report_id + " instead"));
  return *a;
}

std::expected<std::string, Failure> SyncClient::fetch_server_key() {
  auto r = http_.request("GET", "/api/v1/server-key");
  if (!r) return std::unexpected(from_transport(r.error()));
  note_date(*r);
  if (r->status != 200) return std::unexpected(from_api_reply(*r, "fetching the server's signing key"));
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("publicKey") || !j["publicKey"].is_string())
    return std::unexpected(malformed("fetching the server's signing key", "no publicKey"));
  auto raw = crypto::from_base64(j["publicKey"].get<std::string>());
  if (!raw || raw->size() != 32) return std::unexpected(malformed("fetching the server's signing key", "publicKey is not 32 bytes"));
  return *raw;
}

}  // namespace licsat::protocol
