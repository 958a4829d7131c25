// TerminalSafe: server text reaches an operator's terminal with every control
// character escaped, including ones hidden in malformed UTF-8 (an overlong
// C1 CSI, surrogates, code points past U+10FFFF), and printable Unicode kept.
#include "admin-cli/policy_diff.h"
#include "admin-cli/text_table.h"
#include "gtest/gtest.h"
#include "service/common/utf8.h"

namespace corsd::cli {
namespace {

struct Row {
  const char* name;
  std::string in;
  std::string want;
};

TEST(TerminalSafeTest, EscapesEveryControlAndEveryMalformedSequence) {
  const std::vector<Row> rows = {
      {"plain text", "shop v2", "shop v2"},
      {"Unicode kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"ESC", "a\x1b[2Jb", "a\\x1b[2Jb"},
      {"C1 CSI",
       "a\xc2\x9b"
       "2Jb",
       "a\\xc2\\x9b2Jb"},
      {"overlong C1 CSI (3 bytes)",
       "a\xe0\x82\x9b"
       "2Jb",
       "a\\xe0\\x82\\x9b2Jb"},
      {"overlong ESC (2 bytes)", "\xc1\x9b", "\\xc1\\x9b"},
      {"surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
      {"past U+10FFFF", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
      {"truncated", "\xe2\x82", "\\xe2\\x82"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(TerminalSafe(row.in), row.want) << row.name;
  }
}

// A diff shows policy content as the server sent it; colour codes are
// corsctl's own, anything in the content is escaped.
TEST(TerminalSafeTest, DiffTextIsEscapedButItsColoursAreKept) {
  const std::string rendered =
      RenderDiff({{'+', 1, "https://a.example\x1b]0;owned\x07"}, {'-', 0, "x\xe0\x82\x9b"}},
                 /*color=*/true);
  EXPECT_EQ(rendered,
            "\033[32m    + https://a.example\\x1b]0;owned\\x07\033[0m\n"
            "\033[31m- x\\xe0\\x82\\x9b\033[0m\n");
}

TEST(Utf8Test, ValidatesAsUnicodeTable3_7Says) {
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xf4\x8f\xbf\xbf \xed\x9f\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x82\x9b")) << "overlong";
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf")) << "overlong";
  EXPECT_FALSE(IsValidUtf8("\xed\xb0\x80")) << "surrogate";
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80")) << "past U+10FFFF";
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

}  // namespace
}  // namespace corsd::cli
