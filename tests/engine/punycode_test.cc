// Punycode label checks (RFC 3492), one row per rule.
#include "service/engine/punycode.h"

#include <string>

#include "gtest/gtest.h"

namespace corsd::engine {
namespace {

struct LabelCase {
  const char* name;
  const char* label;
  bool valid;
};

TEST(Punycode, Labels) {
  const LabelCase cases[] = {
      {"not an xn-- label", "example", true},
      {"german umlaut", "xn--bcher-kva", true},   // bücher
      {"all non-ascii", "xn--mnchen-3ya", true},  // münchen
      {"chinese", "xn--fiqs8s", true},            // 中国
      {"emoji", "xn--ls8h", true},                // 💩
      {"arabic", "xn--mgbh0fb", true},            // مثال
      {"number stops half-way", "xn--f", false},
      {"empty after prefix", "xn--", false},
      {"only a delimiter", "xn---", false},
      {"decodes to plain ascii", "xn--abc-", false},
      {"digit out of range", "xn--bcher-kv!", false},
      {"overflowing delta", "xn--99999999999999", false},
      {"beyond unicode", "xn--9999z", false},  // U+35F299
      {"valid however it looks", "xn--zzzzzzz", true},
  };
  for (const LabelCase& c : cases) {
    EXPECT_EQ(IsValidPunycodeLabel(c.label), c.valid) << c.name << ": " << c.label;
  }
}

TEST(Punycode, FindsTheFirstInvalidLabelOfAHost) {
  EXPECT_EQ(FindInvalidPunycodeLabel("xn--bcher-kva.example"), "");
  EXPECT_EQ(FindInvalidPunycodeLabel("a.xn--f.xn--zz.example."), "xn--f");
  EXPECT_EQ(FindInvalidPunycodeLabel("[::1]"), "");
  EXPECT_EQ(FindInvalidPunycodeLabel("127.0.0.1"), "");
}

}  // namespace
}  // namespace corsd::engine
