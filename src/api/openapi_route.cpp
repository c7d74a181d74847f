// GET /api/openapi.json: the OpenAPI 3 description of the server, built from the router itself
// (so every registered route appears, with its path parameters) joined with the descriptions
// below. An API route without a description is marked "x-undocumented" — a unit test fails on
// that, which keeps this file in step with the handlers. Web UI assets are described generically.
#include "api/openapi.h"

#include "api/app.h"

namespace licsat::api {
namespace {

using nlohmann::json;

struct Doc {
  const char* method;
  const char* pattern;
  const char* tag;
  const char* who;        // "anyone" | "viewer" | "operator" | "admin" | "grant"
  const char* summary;
  const char* request;    // schema name in components, or ""
  const char* response;   // schema name in components, or ""
};

// clang-format off
const Doc kDocs[] = {
  {"GET", "/healthz", "System", "anyone", "Readiness: 200 once the database answers", "", "Health"},
  {"GET", "/metrics", "System", "anyone", "Prometheus metrics (text format)", "", ""},
  {"GET", "/api/openapi.json", "System", "anyone", "This document", "", ""},
  {"POST", "/oauth/token", "OAuth", "anyone", "RFC 6749 token endpoint: password, client_credentials, refresh_token (form, JSON or query parameters)", "TokenRequest", "TokenResponse"},
  {"POST", "/backend/oauth/token", "OAuth", "anyone", "The token endpoint at the path field managers use", "TokenRequest", "TokenResponse"},
  {"POST", "/oauth/revoke", "OAuth", "grant", "RFC 7009 token revocation (client authentication required)", "", ""},
  {"POST", "/oauth/introspect", "OAuth", "grant", "RFC 7662 token introspection (client authentication required)", "", ""},
  {"GET", "/api/v1/me", "Access Management", "viewer", "The caller's name, role and token expiry", "", ""},
  {"GET", "/api/v1/admin/users", "Access Management", "admin", "List users", "", ""},
  {"POST", "/api/v1/admin/users", "Access Management", "admin", "Add a user {name, role, password, accounts}", "", ""},
  {"PATCH", "/api/v1/admin/users/{name}", "Access Management", "admin", "Change a user's role, accounts, password or lock", "", ""},
  {"DELETE", "/api/v1/admin/users/{name}", "Access Management", "admin", "Delete a user", "", ""},
  {"POST", "/api/v1/admin/users/{name}/lock", "Access Management", "admin", "Lock a user", "", ""},
  {"POST", "/api/v1/admin/users/{name}/unlock", "Access Management", "admin", "Unlock a user", "", ""},
  {"GET", "/api/v1/admin/grants", "API Tool Kit", "admin", "List grants (?search=)", "", ""},
  {"POST", "/api/v1/admin/grants", "API Tool Kit", "admin", "Create a grant; the answer holds its client secret, once", "", ""},
  {"GET", "/api/v1/admin/grants/{name}", "API Tool Kit", "admin", "One grant", "", ""},
  {"PATCH", "/api/v1/admin/grants/{name}", "API Tool Kit", "admin", "Change the smart accounts a grant reaches {accounts}", "", ""},
  {"DELETE", "/api/v1/admin/grants/{name}", "API Tool Kit", "admin", "Delete a grant and its tokens", "", ""},
  {"POST", "/api/v1/admin/grants/{name}/regenerate-secret", "API Tool Kit", "admin", "New client secret; the old one stops working", "", ""},
  {"GET", "/api/v1/admin/console", "API Tool Kit", "admin", "Whether the API console (token issuance to grants) is enabled", "", ""},
  {"PUT", "/api/v1/admin/console", "API Tool Kit", "admin", "Enable or disable the API console {enabled}", "", ""},
  {"GET", "/api/v1/admin/events", "Event Log", "admin", "The Event Log, newest first (?since=&action=&outcome=&actor=&limit=&offset= or &after=): {total, limit, offset, events, next}; `after` is the `next` of the previous page (empty: from the newest), such pages carry no `total`; `next` is absent on the last page; `format=csv`: every matching event as CSV (text/csv, header row first, streamed)", "", ""},
  {"GET", "/api/v1/admin/accounts", "License administration", "admin", "List smart accounts", "", ""},
  {"POST", "/api/v1/admin/accounts", "License administration", "admin", "Create a smart account {name, domain}", "AdminAccount", "AdminAccount"},
  {"GET", "/api/v1/admin/accounts/{account}", "License administration", "admin", "One smart account with its virtual accounts", "", "AdminAccount"},
  {"PATCH", "/api/v1/admin/accounts/{account}", "License administration", "admin", "Rename a smart account or change its domain", "AdminAccount", "AdminAccount"},
  {"DELETE", "/api/v1/admin/accounts/{account}", "License administration", "admin", "Delete a smart account with everything in it", "", ""},
  {"GET", "/api/v1/admin/accounts/{account}/virtual-accounts", "License administration", "admin", "List virtual accounts", "", ""},
  {"POST", "/api/v1/admin/accounts/{account}/virtual-accounts", "License administration", "admin", "Create a virtual account {name, description}", "AdminVirtualAccount", "AdminVirtualAccount"},
  {"PATCH", "/api/v1/admin/accounts/{account}/virtual-accounts/{va}", "License administration", "admin", "Rename a virtual account or change its description", "AdminVirtualAccount", "AdminVirtualAccount"},
  {"DELETE", "/api/v1/admin/accounts/{account}/virtual-accounts/{va}", "License administration", "admin", "Delete a virtual account with its pools and devices", "", ""},
  {"GET", "/api/v1/admin/accounts/{account}/virtual-accounts/{va}/licenses", "License administration", "admin", "List the license pools of a virtual account", "", ""},
  {"POST", "/api/v1/admin/accounts/{account}/virtual-accounts/{va}/licenses", "License administration", "admin", "Create a license pool {tag, name, kind, quantity, starts, ends}", "AdminLicensePool", "AdminLicensePool"},
  {"PATCH", "/api/v1/admin/accounts/{account}/virtual-accounts/{va}/licenses/{tag}", "License administration", "admin", "Change a local license pool (pools mirrored from upstream are read-only: 409)", "AdminLicensePool", "AdminLicensePool"},
  {"DELETE", "/api/v1/admin/accounts/{account}/virtual-accounts/{va}/licenses/{tag}", "License administration", "admin", "Delete a local license pool", "", ""},
  {"POST", "/api/v1/admin/offline/answer", "Offline", "admin", "Answer an offline request file of a manager or satellite (signed)", "", ""},
  {"GET", "/api/v1/server-key", "Offline", "anyone", "The server's public signing key, for offline files", "", ""},
  {"GET", "/api/v1/admin/sync", "Sync", "operator", "A satellite's upstream link: lastOk, lastError, nextRun, pendingReports, authorityKeyFingerprint", "", ""},
  {"POST", "/api/v1/admin/sync/now", "Sync", "operator", "Sync with the authority now (forward usage, mirror pools); 502 with the outcome on failure", "", ""},
  {"POST", "/api/v1/admin/sync/export", "Sync", "admin", "The signed usage-request file of the usage not yet forwarded upstream", "", ""},
  {"POST", "/api/v1/admin/sync/import", "Sync", "admin", "Apply the authority's signed license-answer file (400 when tampered, foreign or replayed)", "", ""},
  {"POST", "/api/v1/admin/sync/trust", "Sync", "admin", "Pin the authority's signing key {publicKey} (fetched from the authority when absent)", "", ""},
  {"GET", "/api/v1/admin/sync", "Sync", "operator", "Upstream sync status of a satellite (last success, last error, queue)", "", ""},
  {"POST", "/api/v1/admin/sync/now", "Sync", "operator", "Sync with the upstream authority now", "", ""},
  {"POST", "/api/v1/admin/sync/export", "Sync", "admin", "Export a signed offline sync request file", "", ""},
  {"POST", "/api/v1/admin/sync/import", "Sync", "admin", "Import the authority's signed answer file", "", ""},
  {"POST", "/api/v1/admin/sync/trust", "Sync", "admin", "Pin the authority's signing key for offline files", "", ""},
  {"GET", "/api/v1/accounts", "Licensing", "viewer", "Smart accounts with their virtual accounts", "", "Accounts"},
  {"GET", "/api/v1/accounts/{account}/customer/virtual-accounts", "Licensing", "viewer", "Virtual accounts of a smart account", "", "VirtualAccounts"},
  {"POST", "/api/v1/accounts/{account}/licenses", "Licensing", "viewer", "Licenses with usage and compliance, per virtual account and tag", "LicensesQuery", "Licenses"},
  {"GET", "/api/v1/accounts/{account}/licenses", "Licensing", "viewer", "Licenses (?virtualAccount=&limit=&offset=)", "", "Licenses"},
  {"GET", "/api/v1/accounts/{account}/licenses/usage-history", "Licensing", "viewer", "Usage over time of one pool (?virtualAccount=&tag=, required; since=, until=: ISO 8601 or a date; default: every sample kept up to now): inUse and quantity per time bucket (one hour by default; the bucket's last report), oldest first", "", "UsageHistory"},
  {"POST", "/api/v1/accounts/{account}/alerts", "Licensing", "viewer", "Alerts: insufficient, expired, expiring within 30 days, upstream sync overdue", "", "Alerts"},
  {"GET", "/api/v1/accounts/{account}/alerts", "Licensing", "viewer", "Alerts", "", "Alerts"},
  {"GET", "/api/v1/accounts/{account}/devices", "Licensing", "viewer", "Devices with their last report and licenses in use (?virtualAccount=&limit=&offset= or &after=, the `next` of the previous page); `format=csv`: every matching device as CSV (text/csv, header row first, streamed)", "", "Devices"},
  {"POST", "/api/v1/accounts/{account}/virtual-accounts/{va}/usage", "Licensing", "operator", "Report usage; idempotent by reportId (a different body under a used id: 409)", "UsageReport", "UsageAck"},
  {"GET", "/api/v1/accounts/{account}/virtual-accounts/{va}/tokens", "Licensing", "viewer", "Device registration tokens (masked)", "", "Tokens"},
  {"POST", "/api/v1/accounts/{account}/virtual-accounts/{va}/tokens", "Licensing", "admin", "Create a device registration token {description, expiresAfterDays}; shown once", "NewToken", "TokenInfo"},
  {"POST", "/api/v1/admin/offline/answer", "Offline", "admin", "Answer a usage-request file (signed bundle): ingests its usage, returns a license-answer file signed with the server key", "", ""},
  {"GET", "/api/v1/server-key", "Offline", "anyone", "The server's Ed25519 public key that signs offline answers {algorithm, publicKey, fingerprint}", "", ""},
};
// clang-format on

const char* kSchemas = R"json({
  "Error": {"type": "object", "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}, "error_message": {"type": "string"}}},
  "Health": {"type": "object", "properties": {"status": {"type": "string"}, "version": {"type": "string"}}},
  "TokenRequest": {"type": "object", "properties": {"grant_type": {"type": "string", "enum": ["password", "client_credentials", "refresh_token"]}, "client_id": {"type": "string"}, "client_secret": {"type": "string"}, "username": {"type": "string"}, "password": {"type": "string"}, "refresh_token": {"type": "string"}, "scope": {"type": "string"}}},
  "TokenResponse": {"type": "object", "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"}, "expires_in": {"type": "integer"}, "scope": {"type": "string"}, "created_at": {"type": "integer"}, "refresh_token": {"type": "string"}}},
  "VirtualAccount": {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "isDefault": {"type": "boolean"}}},
  "Accounts": {"type": "object", "properties": {"accounts": {"type": "array", "items": {"type": "object", "properties": {"accountName": {"type": "string"}, "accountDomain": {"type": "string"}, "accountStatus": {"type": "string"}, "accountType": {"type": "string"}, "virtualAccounts": {"type": "array", "items": {"$ref": "#/components/schemas/VirtualAccount"}}}}}}},
  "VirtualAccounts": {"type": "object", "properties": {"virtualAccounts": {"type": "array", "items": {"$ref": "#/components/schemas/VirtualAccount"}}}},
  "LicensesQuery": {"type": "object", "properties": {"virtualAccounts": {"type": "array", "items": {"type": "string"}}, "limit": {"type": "integer", "description": "-1: all"}, "offset": {"type": "integer"}}},
  "Licenses": {"type": "object", "properties": {"totalRecords": {"type": "integer"}, "licenses": {"type": "array", "items": {"type": "object", "properties": {
      "license": {"type": "string"}, "tag": {"type": "string"}, "virtualAccount": {"type": "string"}, "quantity": {"type": "integer"}, "inUse": {"type": "integer"}, "available": {"type": "integer"},
      "status": {"type": "string", "enum": ["In Compliance", "Insufficient Licenses", "Expired"]}, "billingType": {"type": "string"}, "source": {"type": "string", "enum": ["local", "upstream", ""]},
      "licenseDetails": {"type": "array", "items": {"type": "object", "properties": {"licenseType": {"type": "string", "enum": ["PERPETUAL", "TERM", "SUBSCRIPTION"]}, "quantity": {"type": "integer"}, "startDate": {"type": "string"}, "endDate": {"type": "string", "nullable": true}, "status": {"type": "string", "enum": ["ACTIVE", "PENDING", "EXPIRED"]}}}}}}}}},
  "Alerts": {"type": "object", "properties": {"alerts": {"type": "array", "items": {"type": "object", "properties": {"messageType": {"type": "string"}, "severity": {"type": "string", "enum": ["Minor", "Major"]}, "source": {"type": "string"}, "message": {"type": "string"}}}}}},
  "TagCount": {"type": "object", "required": ["tag", "count"], "properties": {"tag": {"type": "string"}, "count": {"type": "integer", "minimum": 0}}},
  "Devices": {"type": "object", "properties": {"totalRecords": {"type": "integer"}, "devices": {"type": "array", "items": {"type": "object", "properties": {"pid": {"type": "string"}, "sn": {"type": "string"}, "hostname": {"type": "string"}, "virtualAccount": {"type": "string"}, "lastReport": {"type": "string", "format": "date-time"}, "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/TagCount"}}}}},
    "next": {"type": "string", "description": "Opaque cursor of the next page (pass it as ?after=); absent on the last page"}}},
  "UsageReport": {"type": "object", "required": ["reportId", "period", "devices"], "properties": {"reportId": {"type": "string"}, "manager": {"type": "string"},
      "period": {"type": "object", "required": ["start", "end"], "properties": {"start": {"type": "string", "format": "date-time"}, "end": {"type": "string", "format": "date-time"}}},
      "devices": {"type": "array", "items": {"type": "object", "required": ["pid", "sn"], "properties": {"pid": {"type": "string"}, "sn": {"type": "string"}, "hostname": {"type": "string"}, "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/TagCount"}}}}}}},
  "UsageAck": {"type": "object", "properties": {"reportId": {"type": "string"}, "status": {"type": "string", "enum": ["accepted"]}, "devices": {"type": "integer"}, "warnings": {"type": "array", "items": {"type": "string"}}, "at": {"type": "string", "format": "date-time"}}},
  "UsageHistory": {"type": "object", "properties": {"tag": {"type": "string"}, "virtualAccount": {"type": "string"}, "since": {"type": "string", "format": "date-time"}, "until": {"type": "string", "format": "date-time"}, "bucketSeconds": {"type": "integer"},
      "points": {"type": "array", "items": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time", "description": "when the bucket's last usage report was received"}, "inUse": {"type": "integer"}, "quantity": {"type": "integer", "description": "the pool's quantity then (0: no pool)"}}}}}},
  "Token": {"type": "object", "properties": {"token": {"type": "string"}, "description": {"type": "string"}, "virtualAccount": {"type": "string"}, "createdBy": {"type": "string"}, "createdAt": {"type": "string"}, "expirationDate": {"type": "string"}, "status": {"type": "string"}, "expiresAfterDays": {"type": "integer"}}},
  "Tokens": {"type": "object", "properties": {"tokens": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}},
  "NewToken": {"type": "object", "properties": {"description": {"type": "string"}, "expiresAfterDays": {"type": "integer", "minimum": 1, "maximum": 365}}},
  "TokenInfo": {"type": "object", "properties": {"tokenInfo": {"$ref": "#/components/schemas/Token"}}},
  "AdminAccount": {"type": "object", "properties": {"name": {"type": "string"}, "domain": {"type": "string"}}},
  "AdminVirtualAccount": {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "is_default": {"type": "boolean"}}},
  "AdminLicensePool": {"type": "object", "properties": {"tag": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["perpetual", "term", "subscription"]}, "quantity": {"type": "integer", "minimum": 0}, "starts": {"type": "string", "format": "date", "nullable": true}, "ends": {"type": "string", "format": "date", "nullable": true}, "origin": {"type": "string", "enum": ["local", "upstream"]}}}
})json";

bool is_api_path(const std::string& p) {
  for (const char* prefix : {"/api/", "/oauth/", "/backend/", "/healthz", "/metrics"})
    if (p.starts_with(prefix)) return true;
  return false;
}

const Doc* find_doc(const std::string& method, const std::string& pattern) {
  for (const auto& d : kDocs)
    if (method == d.method && pattern == d.pattern) return &d;
  return nullptr;
}

json ref(const char* schema) { return {{"$ref", std::string("#/components/schemas/") + schema}}; }

json operation(const http::Route& r) {
  json op;
  std::string method = r.method;
  for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  op["operationId"] = method + r.pattern;
  json params = json::array();
  for (const auto& s : r.segments)
    if (s.size() > 2 && s.front() == '{' && s.back() == '}')
      params.push_back({{"name", s.substr(1, s.size() - 2)}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  if (!params.empty()) op["parameters"] = params;

  const Doc* d = find_doc(r.method, r.pattern);
  json responses = json::object();
  if (d) {
    op["summary"] = d->summary;
    op["tags"] = {d->tag};
    std::string who = d->who;
    if (who != "anyone" && who != "grant") {
      op["security"] = json::array({{{"bearer", json::array()}}});
      op["x-required-role"] = who;
      responses["401"] = {{"description", "No valid bearer token"}, {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
      responses["403"] = {{"description", "The token's role is not " + who + " or higher"},
                          {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
    }
    if (*d->request) op["requestBody"] = {{"content", {{"application/json", {{"schema", ref(d->request)}}}}}};
    json ok = {{"description", "Success"}};
    if (*d->response) ok["content"] = {{"application/json", {{"schema", ref(d->response)}}}};
    responses[r.method == "POST" && std::string(d->response).starts_with("Admin") ? "201" : "200"] = ok;
    if (r.pattern.find("{account}") != std::string::npos)
      responses["404"] = {{"description", "Unknown smart account or virtual account (named in the message)"},
                          {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
    if (*d->request)
      responses["400"] = {{"description", "Malformed JSON or a missing or invalid field (named in the message)"},
                          {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
    if (std::string(d->response) == "UsageHistory") {
      op["parameters"].push_back({{"name", "virtualAccount"}, {"in", "query"}, {"required", true}, {"schema", {{"type", "string"}}}});
      op["parameters"].push_back({{"name", "tag"}, {"in", "query"}, {"required", true}, {"schema", {{"type", "string"}}}});
      for (const char* t : {"since", "until"})
        op["parameters"].push_back({{"name", t}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}, {"format", "date-time"}}}});
      responses["400"] = {{"description", "A missing or malformed query parameter (named in the message)"},
                          {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
    }
    if (std::string(d->response) == "UsageAck") {
      responses["409"] = {{"description", "A different report was already received under this reportId"},
                          {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
      responses["413"] = {{"description", "The report exceeds limits.max_usage_body_bytes"}};
    }
  } else if (!is_api_path(r.pattern)) {
    op["summary"] = "Admin Workspace (web UI) asset";
    op["tags"] = {"Admin Workspace"};
    responses["200"] = {{"description", "The file"}};
  } else {
    op["summary"] = "(undocumented)";
    op["x-undocumented"] = true;
    responses["200"] = {{"description", "Success"}};
  }
  op["responses"] = responses;
  return op;
}

}  // namespace

nlohmann::json openapi_document(const http::Router& router) {
  json paths = json::object();
  for (const auto& r : router.routes()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.pattern][method] = operation(r);
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "licsat"},
            {"version", LICSAT_VERSION},
            {"description",
             "On-premises smart-licensing server: OAuth2 token endpoint, licensing API in the field's shapes "
             "(camelCase), admin API (snake_case). Errors are {error, error_description, error_message}."}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", json::parse(kSchemas)}}},
          {"paths", paths}};
}

std::vector<std::pair<std::string, std::string>> documented_routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& d : kDocs) out.emplace_back(d.method, d.pattern);
  return out;
}

void add_openapi_route(App& app) {
  // Built at request time from the router, so routes registered after this one are described too.
  app.router.add("GET", "/api/openapi.json", [&app](http::Request&) {
    auto r = http::json_response(200, openapi_document(app.router));
    r.set("Cache-Control", "no-cache");
    return r;
  });
}

}  // namespace licsat::api
