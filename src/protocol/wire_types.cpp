#include "protocol/wire_types.h"

#include "core/clock.h"

namespace licsat::protocol {
namespace {

using nlohmann::json;

std::string str_or(const json& j, const char* k, const std::string& dflt = "") {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return dflt;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

Result<int64_t> int_of(const json& j, const char* k, const std::string& where) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return int64_t{0};
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_unsigned()) return static_cast<int64_t>(it->get<uint64_t>());
  return fail(Error::invalid(where + ": '" + k + "' is not a whole number"));
}

}  // namespace

json to_json(const UsageReport& r) {
  json devices = json::array();
  for (const auto& d : r.devices) {
    json lic = json::array();
    for (const auto& l : d.licenses) lic.push_back({{"tag", l.tag}, {"count", l.count}});
    devices.push_back({{"pid", d.pid}, {"sn", d.sn}, {"hostname", d.hostname}, {"licenses", lic}});
  }
  return {{"reportId", r.report_id},
          {"manager", r.manager},
          {"period", {{"start", format_iso8601(r.period_start)}, {"end", format_iso8601(r.period_end)}}},
          {"devices", devices}};
}

Result<UsageReport> usage_report_from_json(const json& j) {
  if (!j.is_object()) return fail(Error::invalid("a usage report must be a JSON object"));
  UsageReport r;
  r.report_id = str_or(j, "reportId");
  if (r.report_id.empty()) return fail(Error::invalid("the usage report has no reportId"));
  r.manager = str_or(j, "manager");
  if (j.contains("period") && j["period"].is_object()) {
    auto s = parse_iso8601(str_or(j["period"], "start"));
    auto e = parse_iso8601(str_or(j["period"], "end"));
    r.period_start = s.value_or(0);
    r.period_end = e.value_or(0);
  }
  if (!j.contains("devices") || !j["devices"].is_array()) return fail(Error::invalid("the usage report has no devices list"));
  for (const auto& d : j["devices"]) {
    if (!d.is_object()) return fail(Error::invalid("a device of the usage report is not an object"));
    Device dev{str_or(d, "pid"), str_or(d, "sn"), str_or(d, "hostname"), "", "", {}};
    if (d.contains("licenses") && d["licenses"].is_array()) {
      for (const auto& l : d["licenses"]) {
        auto c = int_of(l, "count", "device " + dev.sn);
        if (!c) return fail(c.error());
        dev.licenses.push_back({str_or(l, "tag"), *c});
      }
    }
    r.devices.push_back(std::move(dev));
  }
  return r;
}

json to_json(const Acknowledgement& a) {
  return {{"reportId", a.report_id}, {"status", a.status}, {"devices", a.devices}, {"warnings", a.warnings}, {"at", a.at}};
}

Result<Acknowledgement> acknowledgement_from_json(const json& j) {
  if (!j.is_object()) return fail(Error::invalid("the acknowledgement is not a JSON object"));
  Acknowledgement a;
  a.report_id = str_or(j, "reportId");
  a.status = str_or(j, "status");
  auto n = j.contains("devices") && j["devices"].is_array() ? Result<int64_t>(static_cast<int64_t>(j["devices"].size()))
                                                             : int_of(j, "devices", "acknowledgement");
  if (!n) return fail(n.error());
  a.devices = *n;
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"]) a.warnings.push_back(w.is_string() ? w.get<std::string>() : w.dump());
  a.at = str_or(j, "at");
  if (a.report_id.empty() || a.status.empty())
    return fail(Error::invalid("the acknowledgement lacks reportId or status"));
  return a;
}

json to_json(const Account& a) {
  json vas = json::array();
  for (const auto& v : a.virtual_accounts) vas.push_back({{"name", v}});
  return {{"accountName", a.name},
          {"accountDomain", a.domain},
          {"accountStatus", a.status},
          {"accountType", a.type},
          {"virtualAccounts", vas}};
}

Result<std::vector<Account>> accounts_from_json(const json& j) {
  if (!j.is_object() || !j.contains("accounts") || !j["accounts"].is_array())
    return fail(Error::invalid("the answer has no \"accounts\" list"));
  std::vector<Account> out;
  for (const auto& a : j["accounts"]) {
    if (!a.is_object()) return fail(Error::invalid("an account in the answer is not an object"));
    Account acc{str_or(a, "accountName"), str_or(a, "accountDomain"), str_or(a, "accountStatus"), str_or(a, "accountType"), {}};
    if (acc.name.empty()) return fail(Error::invalid("an account in the answer has no accountName"));
    if (a.contains("virtualAccounts") && a["virtualAccounts"].is_array()) {
      for (const auto& v : a["virtualAccounts"]) {
        if (v.is_string()) acc.virtual_accounts.push_back(v.get<std::string>());
        else if (v.is_object()) acc.virtual_accounts.push_back(str_or(v, "name", str_or(v, "virtualAccount")));
      }
    }
    out.push_back(std::move(acc));
  }
  return out;
}

json to_json(const LicensePool& p) {
  return {{"account", p.account},       {"license", p.license},   {"tag", p.tag},
          {"virtualAccount", p.virtual_account}, {"quantity", p.quantity}, {"inUse", p.in_use},
          {"available", p.available},   {"status", p.status},     {"billingType", p.billing_type},
          {"licenseDetails", p.details}};
}

Result<LicensePool> license_pool_from_json(const json& l, const std::string& account) {
  if (!l.is_object()) return fail(Error::invalid("a license in the answer is not an object"));
  LicensePool p;
  p.account = account.empty() ? str_or(l, "account") : account;
  p.license = str_or(l, "license");
  p.tag = str_or(l, "tag");
  p.virtual_account = str_or(l, "virtualAccount");
  std::string where = "license '" + (p.license.empty() ? p.tag : p.license) + "'";
  auto q = int_of(l, "quantity", where);
  auto u = int_of(l, "inUse", where);
  auto a = int_of(l, "available", where);
  if (!q || !u || !a) return fail(Error::invalid(where + ": quantity, inUse and available must be whole numbers"));
  p.quantity = *q;
  p.in_use = *u;
  p.available = *a;
  p.status = str_or(l, "status");
  p.billing_type = str_or(l, "billingType");
  if (l.contains("licenseDetails") && l["licenseDetails"].is_array()) p.details = l["licenseDetails"];
  return p;
}

Result<std::vector<LicensePool>> licenses_from_json(const json& j, const std::string& account) {
  if (!j.is_object() || !j.contains("licenses") || !j["licenses"].is_array())
    return fail(Error::invalid("the answer has no \"licenses\" list"));
  std::vector<LicensePool> out;
  for (const auto& l : j["licenses"]) {
    auto p = license_pool_from_json(l, account);
    if (!p) return fail(p.error());
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace licsat::protocol
