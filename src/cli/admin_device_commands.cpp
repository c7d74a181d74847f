// licsat admin devices list | alerts: an account's reported devices (every page, walked by
// cursor) and its alerts, as a table, JSON or CSV.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/admin_client.h"
#include "cli/output.h"
#include "http/message.h"

namespace licsat::cli {
namespace {

using nlohmann::json;

constexpr int kPageRows = 1000;

// The licenses a device uses, "tag=count" joined by ';' (as in the CSV export), and their sum.
std::pair<std::string, int64_t> licenses_text(const json& device) {
  std::string text;
  int64_t sum = 0;
  for (const auto& l : device.value("licenses", json::array())) {
    if (!text.empty()) text += ';';
    text += json_text(l, "tag") + "=" + json_text(l, "count");
    if (l.contains("count") && l["count"].is_number_integer()) sum += l["count"].get<int64_t>();
  }
  return {text, sum};
}

void add_devices(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  struct Args {
    std::string account, va;
    bool csv = false, json = false;
  };
  auto a = std::make_shared<Args>();
  auto* dev = admin.add_subcommand("devices", "Devices reported by managers");
  dev->require_subcommand(1);
  auto* list = dev->add_subcommand("list", "List an account's devices (every page)");
  list->add_option("--account", a->account, "Smart account")->required();
  list->add_option("--virtual-account", a->va, "Only this virtual account");
  auto* csv = list->add_flag("--csv", a->csv, "Print CSV (the server's export, header row first)");
  list->add_flag("--json", a->json, "Print JSON")->excludes(csv);
  list->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      std::string base = "/api/v1/accounts/" + http::url_encode(a->account) + "/devices?virtualAccount=" +
                         http::url_encode(a->va);
      if (a->csv) {
        auto r = s.call("GET", base + "&format=csv");
        if (!r) return false;
        std::cout << (r->is_string() ? r->get<std::string>() : r->dump());
        return true;
      }
      json devices = json::array();
      std::string after;
      for (;;) {
        auto r = s.call("GET", base + "&limit=" + std::to_string(kPageRows) +
                                   (after.empty() ? "" : "&after=" + http::url_encode(after)));
        if (!r) return false;
        for (auto& d : (*r)["devices"]) devices.push_back(std::move(d));
        if (!r->contains("next") || !(*r)["next"].is_string()) break;
        after = (*r)["next"].get<std::string>();
      }
      if (a->json) {
        std::cout << json{{"totalRecords", devices.size()}, {"devices", devices}}.dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& d : devices) {
        auto [text, sum] = licenses_text(d);
        rows.push_back({json_text(d, "sn"), json_text(d, "pid"), json_text(d, "hostname"), json_text(d, "virtualAccount"),
                        json_text(d, "lastReport"), std::to_string(sum), text});
      }
      print_table({"SERIAL", "PID", "HOST NAME", "VIRTUAL ACCOUNT", "LAST REPORT", "IN USE", "LICENSES"}, rows);
      return true;
    });
  });
}

void add_alerts(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  struct Args {
    std::string account;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* al = admin.add_subcommand("alerts", "An account's alerts (insufficient or expiring licenses)");
  al->add_option("--account", a->account, "Smart account")->required();
  al->add_flag("--json", a->json, "Print JSON");
  al->callback([o, a] {
    with_session(*o, [&](AdminSession& s) {
      auto r = s.call("GET", "/api/v1/accounts/" + http::url_encode(a->account) + "/alerts");
      if (!r) return false;
      if (a->json) {
        std::cout << r->dump(2) << "\n";
        return true;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& x : (*r)["alerts"])
        rows.push_back({json_text(x, "severity"), json_text(x, "messageType"), json_text(x, "source"), json_text(x, "message")});
      if (rows.empty()) {
        std::cout << "no alerts\n";
        return true;
      }
      print_table({"SEVERITY", "TYPE", "SOURCE", "MESSAGE"}, rows);
      return true;
    });
  });
}

}  // namespace

void add_admin_device_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  add_devices(admin, o);
  add_alerts(admin, o);
}

}  // namespace licsat::cli
