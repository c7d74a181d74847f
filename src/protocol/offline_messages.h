// The payloads carried inside signed bundles (protocol/bundle.h) when a manager, or a
// satellite, has no network path to its server:
//
//   usage-request (manager → server):
//     {"manager", "accounts": [names wanted, may be empty],
//      "reports": [{"account" (may be empty), "virtualAccount", "report": <usage report>}]}
//
//   license-answer (server → manager), signed with the server's key:
//     {"requestNonce": <nonce of the request bundle>, "manager",
//      "acknowledgements": [{"account", "virtualAccount", "ack": <acknowledgement>}],
//      "refused": [{"reportId", "account", "virtualAccount", "error"}],
//      "accounts": [<account>], "licenses": [<license pool with "account">]}
//
// The usage reports, acknowledgements, accounts and pools have exactly the licensing API's
// shapes, so an offline exchange means what an online sync means.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "protocol/wire_types.h"

namespace licsat::protocol {

struct RequestedReport {
  std::string account;
  std::string virtual_account;
  nlohmann::json report;  // the usage report as JSON (passed through unchanged)
};

struct UsageRequest {
  std::string manager;
  std::vector<std::string> accounts;
  std::vector<RequestedReport> reports;
};

struct AnsweredReport {
  std::string account;
  std::string virtual_account;
  Acknowledgement ack;
};

struct RefusedReport {
  std::string report_id;
  std::string account;
  std::string virtual_account;
  std::string error;
};

struct LicenseAnswer {
  std::string request_nonce;
  std::string manager;
  std::vector<AnsweredReport> acknowledgements;
  std::vector<RefusedReport> refused;
  std::vector<Account> accounts;
  std::vector<LicensePool> licenses;
};

std::string to_payload(const UsageRequest& r);
Result<UsageRequest> usage_request_from_payload(const std::string& payload);
std::string to_payload(const LicenseAnswer& a);
Result<LicenseAnswer> license_answer_from_payload(const std::string& payload);

}  // namespace licsat::protocol
