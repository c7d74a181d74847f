// The licensing API's shapes on the wire (the cloud API's camelCase names): accounts, license
// pools, usage reports and their acknowledgements, and their JSON. The manager, and a satellite
// syncing with its authority, speak exactly these; so do the server's offline answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace licsat::protocol {

struct DeviceLicense {
  std::string tag;
  int64_t count = 0;
};

// One device of the manager: its UDI (product ID and serial number), where it reports and what it uses.
struct Device {
  std::string pid;
  std::string sn;
  std::string hostname;
  std::string virtual_account;
  std::string account;  // smart account; empty: resolved from the server's accounts
  std::vector<DeviceLicense> licenses;
};

// A usage report for one virtual account. Idempotent on the server by report_id: sending it again
// (after a lost answer) counts it once.
struct UsageReport {
  std::string report_id;
  std::string manager;
  int64_t period_start = 0;
  int64_t period_end = 0;
  std::vector<Device> devices;
};

struct Acknowledgement {
  std::string report_id;
  std::string status;  // "accepted"
  int64_t devices = 0;
  std::vector<std::string> warnings;
  std::string at;
};

struct Account {
  std::string name;
  std::string domain;
  std::string status;
  std::string type;
  std::vector<std::string> virtual_accounts;
};

struct LicensePool {
  std::string account;
  std::string license;  // display name
  std::string tag;
  std::string virtual_account;
  int64_t quantity = 0;
  int64_t in_use = 0;
  int64_t available = 0;
  std::string status;   // In Compliance | Insufficient Licenses | Expired
  std::string billing_type;
  nlohmann::json details = nlohmann::json::array();  // licenseDetails as sent
};

nlohmann::json to_json(const UsageReport& r);
Result<UsageReport> usage_report_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Acknowledgement& a);
Result<Acknowledgement> acknowledgement_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Account& a);
// GET /api/v1/accounts → accounts (virtualAccounts given as names or as {"name": …} objects).
Result<std::vector<Account>> accounts_from_json(const nlohmann::json& j);
nlohmann::json to_json(const LicensePool& p);
// POST /api/v1/accounts/{a}/licenses → pools of `account`.
Result<std::vector<LicensePool>> licenses_from_json(const nlohmann::json& j, const std::string& account);
Result<LicensePool> license_pool_from_json(const nlohmann::json& j, const std::string& account);

}  // namespace licsat::protocol
