// licsat admin account|vaccount|license against a running server (DESIGN.md section 4).
#include "harness.h"

using namespace licsat::e2e;

namespace {

CommandResult admin_cli(const Server& s, const std::string& args) {
  return run_command(licsat_binary() + " admin --server " + s.url() + " --user admin --ca-file " + s.ca_file() + " " + args,
                     {{"LICSAT_PASSWORD", kAdminPassword}});
}

}  // namespace

TEST(LicensingCli, AccountVaccountAndLicenseCommandsManageTheDatabase) {
  Server s;
  s.start();
  auto a = admin_cli(s, "account add acme --domain acme.example");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  auto v = admin_cli(s, "vaccount add acme Physics");
  ASSERT_EQ(v.exit_code, 0) << v.output;
  auto l = admin_cli(s, "license add acme Physics dna-adv --quantity 25 --name 'DNA Advantage'");
  ASSERT_EQ(l.exit_code, 0) << l.output;
  auto t = admin_cli(s, "license add acme Physics sec --quantity 5 --kind term --ends 2099-12-31");
  ASSERT_EQ(t.exit_code, 0) << t.output;

  auto list = admin_cli(s, "license list acme");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("dna-adv"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("DNA Advantage"), std::string::npos);
  EXPECT_NE(list.output.find("2099-12-31"), std::string::npos);
  EXPECT_NE(list.output.find("In Compliance"), std::string::npos);

  auto json_list = admin_cli(s, "license list acme Physics --json");
  ASSERT_EQ(json_list.exit_code, 0) << json_list.output;
  auto j = nlohmann::json::parse(json_list.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json_list.output;
  EXPECT_EQ(j["totalRecords"], 2);

  auto change = admin_cli(s, "license change acme Physics dna-adv --quantity 30");
  ASSERT_EQ(change.exit_code, 0) << change.output;
  EXPECT_NE(admin_cli(s, "license list acme").output.find("30"), std::string::npos);

  auto accounts = admin_cli(s, "account list");
  EXPECT_NE(accounts.output.find("acme.example"), std::string::npos) << accounts.output;
  auto vas = admin_cli(s, "vaccount list acme");
  EXPECT_NE(vas.output.find("Physics"), std::string::npos) << vas.output;

  // Errors name what is wrong and exit non-zero.
  auto unknown = admin_cli(s, "license add nosuch Physics x --quantity 1");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("nosuch"), std::string::npos) << unknown.output;
  auto dup = admin_cli(s, "account add acme");
  EXPECT_NE(dup.exit_code, 0);
  EXPECT_NE(dup.output.find("already exists"), std::string::npos) << dup.output;

  EXPECT_EQ(admin_cli(s, "license delete acme Physics sec").exit_code, 0);
  EXPECT_EQ(admin_cli(s, "vaccount delete acme Physics").exit_code, 0);
  EXPECT_EQ(admin_cli(s, "account delete acme").exit_code, 0);
  EXPECT_EQ(admin_cli(s, "account list").output.find("acme"), std::string::npos);

  auto events = admin_cli(s, "events --action account. --json");
  ASSERT_EQ(events.exit_code, 0) << events.output;
  EXPECT_NE(events.output.find("account.create"), std::string::npos);
  EXPECT_NE(events.output.find("account.delete"), std::string::npos);
}

// Operator mistakes from the newcomer's list: each gets a message naming the cause and the fix.
TEST(LicensingCli, OperatorMistakesGetTheirOwnMessage) {
  Server s;
  s.start();
  // No terminal, no $LICSAT_PASSWORD and nothing on stdin: say so instead of sending an empty login.
  auto nopw = run_command("unset LICSAT_PASSWORD; " + licsat_binary() + " admin --server " + s.url() + " --user admin --ca-file " + s.ca_file() +
                          " account list </dev/null");
  EXPECT_NE(nopw.exit_code, 0) << nopw.output;
  EXPECT_NE(nopw.output.find("no password for 'admin'"), std::string::npos) << nopw.output;
  EXPECT_NE(nopw.output.find("LICSAT_PASSWORD"), std::string::npos) << nopw.output;
  // The default self-signed certificate without --ca-file: refused as untrusted, with the fix.
  auto untrusted = run_command(licsat_binary() + " admin --server " + s.url() + " --user admin account list",
                               {{"LICSAT_PASSWORD", kAdminPassword}});
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.output;
  EXPECT_NE(untrusted.output.find("fix: pass --ca-file"), std::string::npos) << untrusted.output;
}
