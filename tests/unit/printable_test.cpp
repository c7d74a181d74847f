// No control byte from outside reaches a terminal (issue 21 item 4): the escaping helper, the
// CLI's tables and the log lines.
#include "core/printable.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/output.h"
#include "core/log.h"

using licsat::printable;
using licsat::printable_for_json;

TEST(Printable, KeepsPrintableUtf8AsItIs) {
  EXPECT_EQ(printable("alice@example.com"), "alice@example.com");
  EXPECT_EQ(printable("Zürich 東京 ✓"), "Zürich 東京 ✓");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesC0DelAndBackslash) {
  EXPECT_EQ(printable("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(printable("\x1b[2J\x1b[1;1H"), "\\x1b[2J\\x1b[1;1H");
  EXPECT_EQ(printable(std::string("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(printable("\x7f\x07"), "\\x7f\\x07");
  // A literal backslash cannot pass for an escape.
  EXPECT_EQ(printable("a\\nb"), "a\\\\nb");
}

TEST(Printable, EscapesC1DirectionOverridesAndInvalidUtf8) {
  EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\u{009b}31m");  // 8-bit CSI
  EXPECT_EQ(printable("\xc2\x85"), "\\u{0085}");           // NEL
  EXPECT_EQ(printable("ab\xe2\x80\xae" "cd"), "ab\\u{202e}cd");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc3"), "\\xc3");              // truncated sequence
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");     // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
}

TEST(Printable, ForJsonLeavesC0AndBackslashToTheEncoder) {
  EXPECT_EQ(printable_for_json("a\nb\\c\""), "a\nb\\c\"");
  EXPECT_EQ(printable_for_json("\x7f\xc2\x9b\xff"), "\\x7f\\u{009b}\\xff");
}

TEST(Printable, ATableCellCannotForgeARowOrMoveTheCursor) {
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  licsat::cli::print_table({"ACTOR", "DETAIL"},
                           {{"evil\r\n2026-01-01  admin  success", "\x1b[2Kx"}, {"bob", "ok"}});
  std::cout.rdbuf(old);
  std::string out = captured.str();
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  // A header line and two rows: the forged line break stayed inside its cell.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  EXPECT_NE(out.find("evil\\r\\n2026-01-01"), std::string::npos) << out;
  EXPECT_NE(out.find("\\x1b[2Kx"), std::string::npos) << out;
}

TEST(Printable, ALogLineCannotBeForgedByAValue) {
  char path[] = "/tmp/licsat-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  licsat::log::init("text", "info");
  licsat::log::warn("refused", {{"client_id", "x\nforged level=error msg=\x1b[31mowned"}});
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  // Other tests' background threads may log in the same window: look only at the lines this
  // value reached. Exactly one, escaped, and no terminal control byte anywhere.
  std::string s = text.str();
  std::vector<std::string> ours;
  for (std::string line; std::getline(text, line);)
    if (line.find("forged") != std::string::npos || line.find("owned") != std::string::npos) ours.push_back(line);
  ASSERT_EQ(ours.size(), 1u) << s;
  EXPECT_NE(ours[0].find("refused"), std::string::npos) << s;
  EXPECT_EQ(s.find('\x1b'), std::string::npos) << s;
  EXPECT_NE(ours[0].find("x\\nforged level=error msg=\\x1b[31mowned"), std::string::npos) << s;
}
