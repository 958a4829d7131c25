// Browser origin serialization, spelling by spelling.
#include "service/engine/serialized_origin.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace corsd::engine {
namespace {

struct OriginCase {
  std::string origin;
  OriginProblem problem;
  std::string host = "";
  std::string port = "";
};

void PrintTo(const OriginCase& c, std::ostream* os) { *os << absl::CHexEscape(c.origin); }

class SerializedOriginTest : public ::testing::TestWithParam<OriginCase> {};

TEST_P(SerializedOriginTest, ParsesExactlyBrowserSpelling) {
  const OriginCase& c = GetParam();
  SerializedOrigin parsed;
  EXPECT_EQ(ParseSerializedOrigin(c.origin, &parsed), c.problem) << c.origin;
  if (c.problem == OriginProblem::kNone) {
    EXPECT_EQ(parsed.host, c.host);
    EXPECT_EQ(parsed.port, c.port);
    EXPECT_EQ(c.origin.substr(parsed.host_offset, parsed.host.size()), c.host);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, SerializedOriginTest,
    ::testing::Values(
        OriginCase{"https://example.com", OriginProblem::kNone, "example.com"},
        OriginCase{"https://a.b.example.com:8443", OriginProblem::kNone, "a.b.example.com", "8443"},
        OriginCase{"http://localhost:3000", OriginProblem::kNone, "localhost", "3000"},
        OriginCase{"http://127.0.0.1", OriginProblem::kNone, "127.0.0.1"},
        OriginCase{"http://[::1]:8080", OriginProblem::kNone, "[::1]", "8080"},
        OriginCase{"http://[2001:db8::1]", OriginProblem::kNone, "[2001:db8::1]"},
        OriginCase{"http://[1::]", OriginProblem::kNone, "[1::]"},
        OriginCase{"http://[1:0:0:2::3]", OriginProblem::kNone, "[1:0:0:2::3]"},
        OriginCase{"http://[1::2:0:0:3]", OriginProblem::kNone, "[1::2:0:0:3]"},
        OriginCase{"http://[1:0:2:3:4:5:6:7]", OriginProblem::kNone, "[1:0:2:3:4:5:6:7]"},
        OriginCase{"https://xn--bcher-kva.example", OriginProblem::kNone, "xn--bcher-kva.example"},
        OriginCase{"https://under_score.example", OriginProblem::kNone, "under_score.example"},
        OriginCase{"https://example.com.", OriginProblem::kNone, "example.com."},
        OriginCase{"ws://example.com:8080", OriginProblem::kNone, "example.com", "8080"},
        OriginCase{"chrome-extension://abcdefgh", OriginProblem::kNone, "abcdefgh"},
        OriginCase{"https://example.com:65535", OriginProblem::kNone, "example.com", "65535"},
        OriginCase{"", OriginProblem::kEmpty},
        OriginCase{"example.com", OriginProblem::kMissingScheme},
        OriginCase{"://example.com", OriginProblem::kMissingScheme},
        OriginCase{"1http://example.com", OriginProblem::kBadScheme},
        OriginCase{"ht_tp://example.com", OriginProblem::kBadScheme},
        OriginCase{"Https://example.com", OriginProblem::kUppercase},
        OriginCase{"https://Example.com", OriginProblem::kUppercase},
        OriginCase{"https://example.com/", OriginProblem::kPath},
        OriginCase{"https://example.com?", OriginProblem::kQueryOrFragment},
        OriginCase{"https://u@example.com", OriginProblem::kUserinfo},
        OriginCase{"https://", OriginProblem::kMissingHost},
        OriginCase{"https://:443", OriginProblem::kMissingHost},
        OriginCase{"https://exa mple.com", OriginProblem::kWhitespace},
        OriginCase{"https://exa\tmple.com", OriginProblem::kWhitespace},
        OriginCase{"https://example.com\n", OriginProblem::kControlCharacter},
        OriginCase{"https://example.com\x7f", OriginProblem::kControlCharacter},
        OriginCase{"https://ex\xc3\xa4mple.com", OriginProblem::kNonAscii},
        OriginCase{"https://a..b", OriginProblem::kBadHost},
        OriginCase{"https://a%2eb.com", OriginProblem::kBadHost},
        OriginCase{"https://" + std::string(64, 'a') + ".com", OriginProblem::kBadHost},
        OriginCase{"https://" + std::string(63, 'a') + ".com", OriginProblem::kNone,
                   std::string(63, 'a') + ".com"},
        OriginCase{"http://1.2.3", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://1.2.3.4.5", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://01.2.3.4", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://0x7f.0.0.1", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://example.0x10", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://1.2.3.4.", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://[::0:1]", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://[0001::1]", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://[1:0:0:2:0:0:0:3]", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://[::1.2.3.4]", OriginProblem::kNonCanonicalAddress},
        OriginCase{"http://[::FFFF]", OriginProblem::kUppercase},
        OriginCase{"http://[::1", OriginProblem::kBadHost},
        OriginCase{"http://[:::1]", OriginProblem::kBadHost},
        OriginCase{"http://[1:2:3:4:5:6:7:8:9]", OriginProblem::kBadHost},
        OriginCase{"http://[1::2::3]", OriginProblem::kBadHost},
        OriginCase{"http://[1:2:3:4:5:6:7:8::]", OriginProblem::kBadHost},
        OriginCase{"http://[::1]x", OriginProblem::kBadHost},
        OriginCase{"https://example.com:", OriginProblem::kBadPort},
        OriginCase{"https://example.com:0", OriginProblem::kBadPort},
        OriginCase{"https://example.com:012", OriginProblem::kBadPort},
        OriginCase{"https://example.com:65536", OriginProblem::kBadPort},
        OriginCase{"https://example.com:1a", OriginProblem::kBadPort},
        OriginCase{"https://example.com:443", OriginProblem::kDefaultPort},
        OriginCase{"http://example.com:80", OriginProblem::kDefaultPort},
        OriginCase{"wss://example.com:443", OriginProblem::kDefaultPort},
        OriginCase{"https://*.example.com", OriginProblem::kWildcard},
        OriginCase{"http://localhost:*", OriginProblem::kWildcard},
        OriginCase{"https://" + std::string(1100, 'a'), OriginProblem::kTooLong}),
    [](const ::testing::TestParamInfo<OriginCase>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (char c : info.param.origin.substr(0, 40)) {
        name += absl::ascii_isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
      return name;
    });

TEST(DescribeOriginProblem, EveryProblemHasItsOwnPhrase) {
  for (int p = static_cast<int>(OriginProblem::kEmpty);
       p <= static_cast<int>(OriginProblem::kWildcard); ++p) {
    absl::string_view phrase = DescribeOriginProblem(static_cast<OriginProblem>(p));
    EXPECT_FALSE(phrase.empty());
    EXPECT_NE(phrase, "is not a serialized origin") << p;
  }
}

}  // namespace
}  // namespace corsd::engine
