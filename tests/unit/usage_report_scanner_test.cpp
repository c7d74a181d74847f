// The fast path for plain usage reports: it reads exactly what the full parser reads, and gives
// up (so that the full parser answers, with its messages) on everything outside the plain shape.
#include <gtest/gtest.h>

#include "api/usage_report_parser.h"
#include "api/usage_report_scanner.h"

using namespace licsat;

namespace {

void expect_same_report(const domain::UsageReport& a, const domain::UsageReport& b) {
  EXPECT_EQ(a.report_id, b.report_id);
  EXPECT_EQ(a.manager, b.manager);
  EXPECT_EQ(a.period_start, b.period_start);
  EXPECT_EQ(a.period_end, b.period_end);
  ASSERT_EQ(a.devices.size(), b.devices.size());
  for (size_t i = 0; i < a.devices.size(); ++i) {
    const auto &x = a.devices[i], &y = b.devices[i];
    EXPECT_EQ(x.pid, y.pid);
    EXPECT_EQ(x.sn, y.sn);
    EXPECT_EQ(x.hostname, y.hostname);
    ASSERT_EQ(x.licenses.size(), y.licenses.size());
    for (size_t k = 0; k < x.licenses.size(); ++k) {
      EXPECT_EQ(x.licenses[k].tag, y.licenses[k].tag);
      EXPECT_EQ(x.licenses[k].count, y.licenses[k].count);
    }
  }
}

// Scans `body` (which must be of the plain shape) and checks it against the full parser.
void expect_scanned_as_in_full(const std::string& body) {
  auto fast = api::scan_plain_usage_report(body);
  auto full = api::parse_usage_report_in_full(body);
  ASSERT_TRUE(full) << full.error().message << "\n" << body;
  ASSERT_TRUE(fast.has_value()) << body;
  expect_same_report(*fast, *full);
}

const std::string kHead = R"({"reportId":"r-1","manager":"vm1","period":{"start":"2026-11-24T00:00:00Z","end":"2026-11-25T00:00:00Z"},)";

}  // namespace

TEST(UsageReportScanner, ReadsPlainReportsAsTheFullParserDoes) {
  expect_scanned_as_in_full(kHead + R"("devices":[{"pid":"C9300","sn":"FOC1","hostname":"sw1","licenses":[{"tag":"dna","count":3},{"tag":"sec","count":0}]},{"sn":"FOC2","pid":"C9200","licenses":[]}]})");
  expect_scanned_as_in_full(R"({"devices":[],"period":{"end":20,"start":10},"reportId":"x"})");
  expect_scanned_as_in_full(" \r\n\t{ \"reportId\" : \"a b\" , \"period\" : { \"start\" : 0 , \"end\" : 0 } ,\n"
                            " \"devices\" : [ { \"pid\" : \"p\" , \"sn\" : \"s\" , \"licenses\" : [ { \"count\" : 1000000000 ,"
                            " \"tag\" : \"t\" } ] } ] }\n ");
  expect_scanned_as_in_full(kHead + R"("devices":[{"pid":"p","sn":"s","hostname":""}]})");
  expect_scanned_as_in_full(kHead + R"("devices":[{"pid":")" + std::string(256, 'p') + R"(","sn":"s"}]})");
}

TEST(UsageReportScanner, GivesUpOutsideThePlainShapeAndTheFullParserDecides) {
  const std::vector<std::string> valid = {
      kHead + R"("extra":{"x":[1,null]},"devices":[]})",                       // unknown member
      kHead + R"("devices":[{"pid":"p","sn":"s","hostname":null}]})",          // null hostname
      kHead + R"("devices":[{"pid":"p\u0041","sn":"s"}]})",                      // an escape
      kHead + R"("devices":[{"pid":"C9300","sn":"S\u00e9"}]})",                  // non-ASCII by escape
      kHead + "\"devices\":[{\"pid\":\"C9300\",\"sn\":\"S\xc3\xa9\"}]}",         // non-ASCII bytes
      kHead + R"("devices":[],"devices":[]})",                                   // a member twice
      kHead + R"("devices":[{"pid":"p","pid":"q","sn":"s"}]})",
  };
  for (const auto& body : valid) {
    EXPECT_FALSE(api::scan_plain_usage_report(body).has_value()) << body;
    auto full = api::parse_usage_report_in_full(body);
    auto used = api::parse_usage_report(body);
    ASSERT_EQ(bool(full), bool(used)) << body;
    if (full) expect_same_report(*used, *full);
  }
  const std::vector<std::string> invalid = {
      "", "[]", "{}", "{", kHead + R"("devices":[]} x)", kHead + R"("devices":[],})",
      R"({"reportId":"","period":{"start":0,"end":0},"devices":[]})",
      R"({"reportId":"x","period":{"start":2,"end":1},"devices":[]})",
      R"({"reportId":"x","period":{"start":"yesterday","end":1},"devices":[]})",
      R"({"period":{"start":0,"end":0},"devices":[]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"tag":"t","count":1000000001}]}]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"tag":"t","count":-1}]}]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"tag":"t","count":1.5}]}]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"tag":"t","count":01}]}]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"tag":"t","count":1e3}]}]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"tag":"t"}]}]})",
      kHead + R"("devices":[{"pid":"p","sn":"s","licenses":[{"count":1}]}]})",
      kHead + R"("devices":[{"pid":"p"}]})",
      kHead + R"("devices":[{"pid":")" + std::string(257, 'p') + R"(","sn":"s"}]})",
      kHead + "\"devices\":[{\"pid\":\"a\tb\",\"sn\":\"s\"}]}",
  };
  for (const auto& body : invalid) {
    EXPECT_FALSE(api::scan_plain_usage_report(body).has_value()) << body;
    auto full = api::parse_usage_report_in_full(body);
    auto used = api::parse_usage_report(body);
    ASSERT_FALSE(full) << body;
    ASSERT_FALSE(used) << body;
    EXPECT_EQ(used.error().message, full.error().message);
  }
}
