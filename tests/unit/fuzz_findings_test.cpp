// Regression tests of what fuzzing (tests/fuzz) found in the parsers of outside bytes. Each test
// is the crashing input, or its smallest form, and the answer the parser owes it. The raw inputs
// are also kept in tests/fuzz/regressions/<target>/ and replayed by scripts/fuzz-smoke.sh.
#include <gtest/gtest.h>

#include <string>

#include "api/usage_report_parser.h"
#include "core/config.h"
#include "manager/device_inventory.h"
#include "protocol/offline_messages.h"

namespace licsat {
namespace {

// Counts of one tag on one device add up; a sum beyond 64 bits was signed overflow (UBSan).
TEST(FuzzFindings, InventoryCountsThatAddUpPastInt64AreRefusedNotOverflowed) {
  const std::string forms[] = {
      "pid,sn,virtual_account,licenses\nC,F,B,t=9223372036854775807;t=1\n",
      "pid,sn,virtual_account,tag,count\nC,F,B,t,9223372036854775807\nC,F,B,t,1\n",
      R"({"devices":[{"pid":"a","sn":"b","virtualAccount":"v","licenses":[{"tag":"t","count":9223372036854775807},{"tag":"t","count":1}]}]})",
      R"([{"pid":"a","sn":"b","virtualAccount":"v","licenses":{"t":9223372036854775807}},)"
      R"({"pid":"a","sn":"b","virtualAccount":"v","licenses":{"t":1}}])",
  };
  for (const auto& text : forms) {
    auto d = manager::parse_inventory(text, "devices");
    ASSERT_FALSE(d) << text;
    EXPECT_NE(d.error().message.find("add up to more than 9223372036854775807"), std::string::npos)
        << d.error().message;
  }
}

TEST(FuzzFindings, InventoryCountsThatAddUpToExactlyInt64MaxAreAccepted) {
  auto d = manager::parse_inventory("pid,sn,virtual_account,licenses\nC,F,B,t=9223372036854775806;t=1\n", "devices");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  ASSERT_EQ((*d)[0].licenses.size(), 1u);
  EXPECT_EQ((*d)[0].licenses[0].count, 9223372036854775807);
}

// An acknowledgement that is not an object threw nlohmann's type_error out of the reader
// (std::terminate in `licsat manager offline import`, a 500 on a satellite's sync import).
TEST(FuzzFindings, LicenseAnswerWithANonObjectAcknowledgementIsRefused) {
  for (const char* ack : {"1", "\"x\"", "null", "[]"}) {
    std::string payload = std::string(R"({"requestNonce":"n","acknowledgements":[)") + ack +
                          R"(],"refused":[],"accounts":[],"licenses":[]})";
    auto a = protocol::license_answer_from_payload(payload);
    ASSERT_FALSE(a) << payload;
    EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
  }
}

// "2000000000000000d" multiplied into signed overflow; a duration is now at most 100 years, so
// that adding one to the current time (token expiry, sync schedule) cannot overflow either.
TEST(FuzzFindings, DurationsBeyondOneHundredYearsAreRefusedNotOverflowed) {
  EXPECT_FALSE(parse_duration("2000000000000000d"));
  EXPECT_FALSE(parse_duration("9223372036854775807m"));
  EXPECT_FALSE(parse_duration("36501d"));
  ASSERT_TRUE(parse_duration("36500d"));
  EXPECT_EQ(*parse_duration("36500d"), 36500LL * 86400);
  ServerConfig c;
  auto s = apply_config_text(c, "[auth]\naccess_token_ttl = \"106751991167300d\"\n", "f.toml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("auth.access_token_ttl"), std::string::npos) << s.error().message;
}

// Settings held in narrower integers were narrowed silently (threads = 3000000000 became negative).
TEST(FuzzFindings, IntegerSettingsOutsideTheirTypeAreRefused) {
  ServerConfig c;
  EXPECT_FALSE(set_config_key(c, "threads", "3000000000"));
  EXPECT_FALSE(set_config_key(c, "threads", "1025"));
  EXPECT_TRUE(set_config_key(c, "threads", "16"));
  EXPECT_EQ(c.threads, 16);
  EXPECT_FALSE(set_config_key(c, "limits.max_header_bytes", "4294967296"));
  EXPECT_TRUE(set_config_key(c, "limits.max_header_bytes", "65536"));
}

// Counts up to INT64_MAX were accepted; two devices with such counts of one tag made SQLite's
// SUM overflow, and the account's licenses, alerts and offline answers failed with 500 until the
// devices reported again (a device repeating a tag overflowed the in-memory sum: UBSan).
TEST(FuzzFindings, UsageCountsAboveTheMaximumAreRefusedAndTheMaximumIsAccepted) {
  auto report = [](const std::string& count) {
    return R"({"reportId":"r","period":{"start":1,"end":2},"devices":[{"pid":"a","sn":"b","licenses":[{"tag":"t","count":)" +
           count + "}]}]}";
  };
  auto big = api::parse_usage_report(report("9223372036854775807"));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "'devices[0].licenses[0].count' must be at most 1000000000.");
  EXPECT_FALSE(api::parse_usage_report(report("1000000001")));
  auto max = api::parse_usage_report(report("1000000000"));
  ASSERT_TRUE(max) << max.error().message;
  EXPECT_EQ(max->devices[0].licenses[0].count, api::kMaxLicenseCount);
}

}  // namespace
}  // namespace licsat
