// What an Event Log event keeps of text a request supplied: clipped to a small size at a
// UTF-8 character boundary, with a marker that says so.
#include <gtest/gtest.h>

#include "domain/event_log.h"

#include "test_support.h"

namespace licsat::domain {
namespace {

// True when `s` is well-formed UTF-8 (no character cut in two).
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(EventClip, ShortTextIsKeptWhole) {
  EXPECT_EQ(clip_text("GET /api/v1/me", 200), "GET /api/v1/me");
  std::string exact(200, 'a');
  EXPECT_EQ(clip_text(exact, 200), exact);
}

TEST(EventClip, LongTextIsCutToTheSizeWithAMarker) {
  std::string path = "/api/v1/" + std::string(16 * 1024, 'x');
  std::string c = clip_text(path, kMaxEventPathBytes);
  EXPECT_EQ(c.size(), kMaxEventPathBytes);
  EXPECT_EQ(c.substr(0, 8), "/api/v1/");
  EXPECT_EQ(c.substr(c.size() - kClipMarker.size()), kClipMarker);
}

TEST(EventClip, AMultiByteCharacterIsNeverCutInTwo) {
  // "é" is 2 bytes, "€" 3, "😀" 4: for every cut position the result stays valid UTF-8.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  for (size_t max = 0; max < 120; ++max) {
    std::string c = clip_text(text, max);
    EXPECT_LE(c.size(), max) << max;
    EXPECT_TRUE(valid_utf8(c)) << "cut at " << max;
  }
}

class EventClipStore : public licsat::test::StoreTest {};

TEST_F(EventClipStore, EventsClipEveryFieldARequestCanFillAndAreStoredClipped) {
  EventLog log(*store_, clock_);
  std::string name(10'000, 'n');
  std::string detail = "GET /api/v1/" + std::string(100'000, 'd') + ": no token";
  auto e = log.make(name, "10.0.0.1", "api.auth", "failure", detail);
  EXPECT_EQ(e.actor.size(), kMaxEventNameBytes);
  EXPECT_EQ(e.detail.size(), kMaxEventDetailBytes);
  EXPECT_EQ(e.detail.substr(0, 12), "GET /api/v1/");
  log.record(e);
  log.flush();
  EventFilter f;
  auto page = store_->list_events(f);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].actor.size(), kMaxEventNameBytes);
  EXPECT_EQ(page->events[0].detail.size(), kMaxEventDetailBytes);
  EXPECT_NE(page->events[0].detail.find("(clipped)"), std::string::npos);
}

}  // namespace
}  // namespace licsat::domain
