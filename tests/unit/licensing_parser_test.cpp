// The usage report reader: field-naming 400s, and the report it builds.
#include <gtest/gtest.h>

#include "api/usage_report_parser.h"

using namespace licsat;

namespace {

std::string error_of(const std::string& body) {
  auto r = api::parse_usage_report(body);
  EXPECT_FALSE(r) << body;
  return r ? "" : r.error().message;
}

const char* kGood = R"({"reportId":"r-1","manager":"vm1","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},
  "extra":{"ignored":[1,2,{"x":null}]},
  "devices":[{"pid":"C9300","sn":"FOC1","hostname":"sw1","licenses":[{"tag":"dna","count":3},{"tag":"sec","count":0}]},
             {"sn":"FOC2","pid":"C9200","licenses":[]}]})";

}  // namespace

TEST(UsageReportParser, ReadsAWellFormedReport) {
  auto r = api::parse_usage_report(kGood);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->report_id, "r-1");
  EXPECT_EQ(r->manager, "vm1");
  EXPECT_EQ(r->period_end - r->period_start, 86400);
  ASSERT_EQ(r->devices.size(), 2u);
  EXPECT_EQ(r->devices[0].hostname, "sw1");
  ASSERT_EQ(r->devices[0].licenses.size(), 2u);
  EXPECT_EQ(r->devices[0].licenses[0].tag, "dna");
  EXPECT_EQ(r->devices[0].licenses[0].count, 3);
  EXPECT_EQ(r->devices[1].pid, "C9200");
  EXPECT_TRUE(r->devices[1].licenses.empty());
}

TEST(UsageReportParser, PeriodMayBeUnixSeconds) {
  auto r = api::parse_usage_report(R"({"reportId":"x","period":{"start":10,"end":20},"devices":[]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->period_start, 10);
}

TEST(UsageReportParser, MalformedJsonIsNamed) {
  EXPECT_NE(error_of("{\"reportId\": ").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of("").find("required"), std::string::npos);
}

TEST(UsageReportParser, MissingFieldsAreNamed) {
  EXPECT_NE(error_of(R"({"period":{"start":1,"end":2},"devices":[]})").find("'reportId'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","devices":[]})").find("'period'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":1},"devices":[]})").find("'period.end'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":1,"end":2}})").find("'devices'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":[{"pid":"a"}]})").find("'devices[0].sn'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":[{"pid":"a","sn":"b"},
                        {"pid":"a","sn":"c","licenses":[{"tag":"t","count":1},{"tag":"u"}]}]})")
                .find("'devices[1].licenses[1].count'"),
            std::string::npos);
}

TEST(UsageReportParser, NegativeAndFractionalCountsAreRefusedByName) {
  auto neg = error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":[{"pid":"a","sn":"b","licenses":[{"tag":"t","count":-1}]}]})");
  EXPECT_NE(neg.find("'devices[0].licenses[0].count'"), std::string::npos);
  EXPECT_NE(neg.find("negative"), std::string::npos);
  auto frac = error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":[{"pid":"a","sn":"b","licenses":[{"tag":"t","count":1.5}]}]})");
  EXPECT_NE(frac.find("count"), std::string::npos);
  auto str = error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":[{"pid":"a","sn":"b","licenses":[{"tag":"t","count":"3"}]}]})");
  EXPECT_NE(str.find("count"), std::string::npos);
}

TEST(UsageReportParser, WrongTypesAreNamed) {
  EXPECT_NE(error_of(R"({"reportId":5,"period":{"start":1,"end":2},"devices":[]})").find("'reportId'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":{}})").find("'devices'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":1,"end":2},"devices":[1]})").find("'devices[0]'"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":"yesterday","end":2},"devices":[]})").find("'period.start'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"","period":{"start":1,"end":2},"devices":[]})").find("empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"reportId":"x","period":{"start":3,"end":2},"devices":[]})").find("'period.end'"), std::string::npos);
}
