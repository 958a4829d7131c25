#include "service/engine/http_syntax.h"

#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace corsd::engine {
namespace {

// The reference: byte-wise ASCII case folding.
bool Reference(const std::string& s, const std::string& lowercase) {
  if (s.size() != lowercase.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(s[i])) != lowercase[i]) return false;
  }
  return true;
}

TEST(EqualsLowercase, MatchesByteWiseFoldingForEveryByteAtEveryPosition) {
  // Long enough to cover the 8-byte words and the tail.
  const std::string literal = "access-control-request-headers";
  for (size_t position = 0; position < literal.size(); ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string candidate = literal;
      candidate[position] = static_cast<char>(byte);
      ASSERT_EQ(EqualsLowercase(candidate, literal), Reference(candidate, literal))
          << "position " << position << " byte " << byte;
    }
  }
  EXPECT_TRUE(EqualsLowercase("ACCESS-CONTROL-REQUEST-HEADERS", literal));
  EXPECT_TRUE(EqualsLowercase("Access-Control-Request-Headers", literal));
  EXPECT_FALSE(EqualsLowercase("access-control-request-header", literal));
  // '-' must not match CR (0x0d | 0x20 == '-'), digits and symbols are exact.
  EXPECT_FALSE(EqualsLowercase("access\rcontrol-request-headers", literal));
  EXPECT_TRUE(EqualsLowercase("X-H1", "x-h1"));
  EXPECT_FALSE(EqualsLowercase("X-H!", "x-h1"));
}

TEST(HttpSyntax, Tokens) {
  EXPECT_TRUE(IsToken("X-Trace-Id"));
  EXPECT_TRUE(IsToken("!#$%&'*+-.^_`|~09azAZ"));
  for (char c : std::string("\"(),/:;<=>?@[\\]{} \t\r\n\x7f")) {
    EXPECT_FALSE(IsToken(std::string("a") + c)) << static_cast<int>(c);
  }
  EXPECT_FALSE(IsToken(""));
  EXPECT_EQ(TrimOptionalWhitespace(" \ta b\t "), "a b");
  EXPECT_EQ(FindQueryOrFragment("/a/b#c?d"), 4u);
  EXPECT_EQ(FindQueryOrFragment("/a/b"), absl::string_view::npos);
}

TEST(HttpSyntax, MethodLists) {
  for (const char* m : {"CONNECT", "connect", "Trace", "TRACK"}) EXPECT_TRUE(IsForbiddenMethod(m));
  EXPECT_FALSE(IsForbiddenMethod("PATCH"));
  EXPECT_TRUE(IsCorsSafelistedMethod("POST"));
  EXPECT_FALSE(IsCorsSafelistedMethod("post"));
  EXPECT_TRUE(IsUnnormalizedStandardMethod("delete"));
  EXPECT_FALSE(IsUnnormalizedStandardMethod("DELETE"));
  EXPECT_FALSE(IsUnnormalizedStandardMethod("patch")) << "fetch() does not normalize PATCH";
}

}  // namespace
}  // namespace corsd::engine
