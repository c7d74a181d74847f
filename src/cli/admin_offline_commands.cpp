// licsat admin offline answer IN OUT: answers a manager's (or a satellite's) offline request file
// through the server, which ingests its usage and signs the answer with its key.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "core/crypto.h"

namespace licsat::cli {
namespace {

// A satellite's request names its asker "satellite <id>"; its answer is imported with
// `licsat admin sync import`, a manager's with `licsat manager offline import`.
bool asked_by_satellite(const nlohmann::json& request) {
  if (!request.contains("payload") || !request["payload"].is_string()) return false;
  auto payload = crypto::from_base64(request["payload"].get<std::string>());
  if (!payload) return false;
  auto j = nlohmann::json::parse(*payload, nullptr, false);
  if (!j.is_object() || !j.contains("manager") || !j["manager"].is_string()) return false;
  return j["manager"].get<std::string>().starts_with("satellite ");
}

}  // namespace

void add_admin_offline_commands(CLI::App& admin, std::shared_ptr<AdminOptions> o) {
  auto* offline = admin.add_subcommand("offline", "Offline exchange with managers and satellites that cannot reach the server");
  offline->require_subcommand(1);
  struct Files {
    std::string in, out;
  };
  auto f = std::make_shared<Files>();
  auto* answer = offline->add_subcommand(
      "answer", "Answer a usage-request file: the server ingests its usage and writes a signed license-answer file");
  answer->add_option("IN", f->in, "The request file a manager wrote with `licsat manager offline export`")->required();
  answer->add_option("OUT", f->out, "Where to write the signed answer, for `licsat manager offline import` (or `licsat admin sync import` on a satellite)")->required();
  answer->callback([o, f] {
    std::ifstream in(f->in, std::ios::binary);
    if (!in) {
      std::cerr << "licsat admin offline answer: cannot read " << f->in << "\n";
      return set_exit(kUsage);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto body = nlohmann::json::parse(ss.str(), nullptr, false);
    if (!body.is_object()) {
      std::cerr << "licsat admin offline answer: " << f->in << " is not a request file (not a JSON object)\n";
      return set_exit(kUsage);
    }
    with_session(*o, [&](AdminSession& a) {
      auto r = a.call("POST", "/api/v1/admin/offline/answer", body);
      if (!r) return false;
      std::string tmp = f->out + ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << r->dump(2) << "\n";
        if (!out.flush()) {
          std::cerr << "licsat admin offline answer: cannot write " << f->out << "\n";
          return false;
        }
      }
      if (std::rename(tmp.c_str(), f->out.c_str()) != 0) {
        std::cerr << "licsat admin offline answer: cannot write " << f->out << "\n";
        return false;
      }
      if (asked_by_satellite(body))
        std::cout << "Answer written to " << f->out << "; carry it to the satellite and run `licsat admin sync import "
                  << f->out << "` there.\n";
      else
        std::cout << "Answer written to " << f->out << "; carry it to the manager and run `licsat manager offline import "
                  << f->out << "`.\n";
      return true;
    });
  });
}

}  // namespace licsat::cli
