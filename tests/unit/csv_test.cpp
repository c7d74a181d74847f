// The CSV writer of the exports (issue 20 item 4): RFC 4180 quoting, the formula-injection
// defence, UTF-8 kept byte for byte.
#include "core/csv.h"

#include <gtest/gtest.h>

using licsat::csv_append_row;
using licsat::csv_field;

TEST(Csv, PlainFieldsAreWrittenAsTheyAre) {
  EXPECT_EQ(csv_field("sw1.example.org"), "sw1.example.org");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("42"), "42");
}

TEST(Csv, FieldsWithCommaQuoteOrLineBreaksAreQuotedWithQuotesDoubled) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
}

TEST(Csv, FieldsAFormulaCouldStartWithArePrefixedWithAQuote) {
  EXPECT_EQ(csv_field("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(csv_field("+1"), "'+1");
  EXPECT_EQ(csv_field("-2+3"), "'-2+3");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("\tcmd"), "'\tcmd");
  EXPECT_EQ(csv_field("\r=1"), "\"'\r=1\"");
  // Only the first character counts.
  EXPECT_EQ(csv_field("a=b"), "a=b");
  EXPECT_EQ(csv_field("2026-12-05T10:00:00Z"), "2026-12-05T10:00:00Z");
}

TEST(Csv, Utf8AndOtherBytesAreKept) {
  EXPECT_EQ(csv_field("Zürich 東京 ✓"), "Zürich 東京 ✓");
  EXPECT_EQ(csv_field("Zürich, 東京"), "\"Zürich, 東京\"");
  EXPECT_EQ(csv_field(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Csv, RowsJoinFieldsWithCommasAndEndWithCrLf) {
  std::string out;
  csv_append_row(out, {"pid", "sn", "hostname"});
  csv_append_row(out, {"C9300", "FOC1", "=evil,host"});
  csv_append_row(out, {"", "", ""});
  EXPECT_EQ(out, "pid,sn,hostname\r\nC9300,FOC1,\"'=evil,host\"\r\n,,\r\n");
}
