// The Event Log as RFC 5424 syslog messages: header fields, structured data escaped per
// RFC 5424 §6.3.3, valid UTF-8 only, and RFC 6587 octet-counting frames.
#include <gtest/gtest.h>

#include "core/syslog_format.h"

namespace licsat::syslog {
namespace {

Record refused_token() {
  Record r;
  r.time = 1'800'000'000;  // 2027-01-15T08:00:00Z
  r.hostname = "node-a";
  r.procid = 4242;
  r.action = "token.issue";
  r.outcome = "failure";
  r.actor = "cli-123";
  r.source = "192.0.2.7";
  r.detail = "unknown client";
  return r;
}

TEST(SyslogFormat, RefusedTokenIsOneRfc5424MessageWithStructuredData) {
  EXPECT_EQ(format_message(refused_token()),
            "<36>1 2027-01-15T08:00:00Z node-a licsat 4242 token.issue [licsat@32473 action=\"token.issue\" "
            "outcome=\"failure\" actor=\"cli-123\" source=\"192.0.2.7\" node=\"node-a\"] unknown client");
}

TEST(SyslogFormat, SuccessIsNoticeAndFailureIsWarningOnTheAuthFacility) {
  Record r = refused_token();
  EXPECT_EQ(format_message(r).substr(0, 4), "<36>");  // 4 * 8 + 4
  r.outcome = "success";
  EXPECT_EQ(format_message(r).substr(0, 4), "<37>");  // 4 * 8 + 5
}

TEST(SyslogFormat, EmptyFieldsBecomeNilValuesAndEmptyDetailOmitsTheMessage) {
  Record r;
  r.time = 0;
  EXPECT_EQ(format_message(r), "<37>1 1970-01-01T00:00:00Z - licsat - - [licsat@32473 action=\"\" outcome=\"\" "
                               "actor=\"\" source=\"\" node=\"\"]");
}

TEST(SyslogFormat, ParamValuesEscapeQuoteBackslashAndClosingBracket) {
  EXPECT_EQ(escape_param_value(R"(a"b\c]d[e)"), R"(a\"b\\c\]d[e)");
  Record r = refused_token();
  r.actor = "x\"] evil=\"1";
  std::string m = format_message(r);
  EXPECT_NE(m.find(R"(actor="x\"\] evil=\"1")"), std::string::npos) << m;
}

TEST(SyslogFormat, InvalidUtf8BecomesReplacementCharacterAndValidUtf8IsKept) {
  EXPECT_EQ(escape_param_value("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(escape_param_value("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(escape_param_value("\xC3"), "\xEF\xBF\xBD");                 // cut in two
  EXPECT_EQ(escape_param_value("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(escape_param_value("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  Record r = refused_token();
  r.detail = "bad \xFE byte";
  std::string m = format_message(r);
  EXPECT_EQ(m.substr(m.size() - 12), "bad \xEF\xBF\xBD byte");
}

TEST(SyslogFormat, HeaderFieldsArePrintableAsciiWithinTheirLengths) {
  EXPECT_EQ(header_field("two words\n", 32), "two_words_");
  EXPECT_EQ(header_field("caf\xC3\xA9", 32), "caf__");
  EXPECT_EQ(header_field(std::string(40, 'm'), 32), std::string(32, 'm'));
  EXPECT_EQ(header_field("", 32), "-");
  Record r = refused_token();
  r.action = "an action longer than thirty-two characters";
  std::string m = format_message(r);
  EXPECT_NE(m.find(" 4242 an_action_longer_than_thirty-two ["), std::string::npos) << m;
  // The parameter keeps the whole action.
  EXPECT_NE(m.find("action=\"an action longer than thirty-two characters\""), std::string::npos) << m;
}

TEST(SyslogFormat, OctetCountingPrefixesTheByteLength) {
  EXPECT_EQ(frame_octet_counted("abc"), "3 abc");
  EXPECT_EQ(frame_octet_counted(""), "0 ");
  std::string utf8 = "\xC3\xA9t\xC3\xA9";  // 5 bytes, 3 characters
  EXPECT_EQ(frame_octet_counted(utf8), "5 " + utf8);
}

}  // namespace
}  // namespace licsat::syslog
