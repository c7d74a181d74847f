#include "protocol/license_line.h"

#include "core/clock.h"
#include "domain/licensing.h"

namespace licsat::protocol {

using nlohmann::json;

LicensePool license_pool_of(const domain::LicenseLine& l, const std::string& account) {
  LicensePool p;
  p.account = account;
  p.license = l.license;
  p.tag = l.tag;
  p.virtual_account = l.virtual_account;
  p.quantity = l.quantity;
  p.in_use = l.in_use;
  p.available = l.available;
  p.status = domain::compliance_label(l.status);
  p.billing_type = l.pool ? "PREPAID" : "";
  if (l.pool) {
    const auto& pool = *l.pool;
    p.details = json::array({{{"licenseType", std::string(domain::license_type_label(pool.kind))},
                              {"quantity", pool.quantity},
                              {"startDate", format_date(pool.starts ? pool.starts : pool.created_at)},
                              {"endDate", pool.ends ? json(format_date(pool.ends)) : json(nullptr)},
                              {"status", domain::pool_state_label(l.state)}}});
  }
  return p;
}

json license_line_json(const domain::LicenseLine& l) {
  json j = to_json(license_pool_of(l, ""));
  j.erase("account");
  // Where the pool comes from: "local", or "upstream" (mirrored from this satellite's authority,
  // read-only here); "" for a tag in use without a pool. Only the licenses answer says it.
  j["source"] = l.pool ? std::string(domain::pool_origin_name(l.pool->origin)) : "";
  return j;
}

}  // namespace licsat::protocol
