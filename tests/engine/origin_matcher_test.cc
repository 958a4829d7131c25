// OriginMatcher's exact-origin table: every listed origin is found by both
// lookups and nothing else is, through probe chains and duplicates, and a
// copy keeps working after the matcher it came from is gone.
#include "service/engine/origin_matcher.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/engine/origin_pattern.h"
#include "service/engine/serialized_origin.h"

namespace corsd::engine {
namespace {

std::vector<OriginPattern> Patterns(const std::vector<std::string>& texts) {
  std::vector<OriginPattern> patterns;
  for (const std::string& text : texts) {
    absl::StatusOr<OriginPattern> pattern = OriginPattern::Parse(text);
    EXPECT_TRUE(pattern.ok()) << text << ": " << pattern.status();
    if (pattern.ok()) patterns.push_back(*std::move(pattern));
  }
  return patterns;
}

// Find() as Check calls it: the origin parsed first.
std::string FindParsed(const OriginMatcher& matcher, const std::string& origin) {
  SerializedOrigin parsed;
  if (ParseSerializedOrigin(origin, &parsed) != OriginProblem::kNone) return "<unparsable>";
  return std::string(matcher.Find(origin, &parsed));
}

TEST(OriginMatcherExact, FindsEveryListedOriginAndNothingElse) {
  std::vector<std::string> listed;
  for (int i = 0; i < 1000; ++i) listed.push_back(absl::StrCat("https://app-", i, ".example.com"));
  std::vector<std::string> texts = listed;
  texts.push_back("https://app-7.example.com");  // listed twice: counts once
  texts.push_back("https://*.cdn.example.com");
  texts.push_back("http://local.example.com:*");
  const OriginMatcher matcher = OriginMatcher::Build(Patterns(texts));

  for (const std::string& origin : listed) {
    EXPECT_EQ(matcher.FindListedExactly(origin), origin);
    EXPECT_EQ(FindParsed(matcher, origin), origin);
  }
  // Same lengths with one byte changed, prefixes, extensions, other schemes.
  for (int i = 0; i < 1000; ++i) {
    for (const std::string& other : {absl::StrCat("https://app-", i, ".example.org"),
                                     absl::StrCat("https://app-", i, ".example.co"),
                                     absl::StrCat("https://app-", i, ".example.comx"),
                                     absl::StrCat("http://app-", i, ".example.com"),
                                     absl::StrCat("https://app-", i + 1000, ".example.com")}) {
      EXPECT_TRUE(matcher.FindListedExactly(other).empty()) << other;
    }
  }
  // The other kinds still answer through Find, and never as "listed exactly".
  EXPECT_EQ(FindParsed(matcher, "https://a.cdn.example.com"), "https://*.cdn.example.com");
  EXPECT_TRUE(matcher.FindListedExactly("https://a.cdn.example.com").empty());
  EXPECT_EQ(FindParsed(matcher, "http://local.example.com:8080"), "http://local.example.com:*");
  EXPECT_EQ(FindParsed(matcher, "https://app-5.example.org"), "");
}

TEST(OriginMatcherExact, EveryTableSizeFromOneToSixtyFour) {
  // Table sizes change at every power of two; a full table would never end a
  // probe, so each size must still answer "not listed".
  for (int count = 1; count <= 64; ++count) {
    std::vector<std::string> texts;
    for (int i = 0; i < count; ++i) texts.push_back(absl::StrCat("https://s", i, ".example.com"));
    const OriginMatcher matcher = OriginMatcher::Build(Patterns(texts));
    for (const std::string& origin : texts) EXPECT_EQ(matcher.FindListedExactly(origin), origin);
    EXPECT_TRUE(matcher.FindListedExactly("https://absent.example.com").empty()) << count;
  }
}

TEST(OriginMatcherExact, ACopyOutlivesTheOriginal) {
  std::optional<OriginMatcher> original =
      OriginMatcher::Build(Patterns({"https://a.example.com", "https://b.example.com"}));
  const OriginMatcher copy = *original;
  original.reset();
  EXPECT_EQ(copy.FindListedExactly("https://b.example.com"), "https://b.example.com");
  EXPECT_EQ(FindParsed(copy, "https://a.example.com"), "https://a.example.com");
}

TEST(OriginMatcherExact, NoExactOriginsOrAnOriginStar) {
  const OriginMatcher wildcard_only = OriginMatcher::Build(Patterns({"https://*.example.com"}));
  EXPECT_TRUE(wildcard_only.FindListedExactly("https://example.com").empty());
  const OriginMatcher star = OriginMatcher::Build(Patterns({"*", "https://a.example.com"}));
  // "*" answers first, so nothing is "listed exactly".
  EXPECT_TRUE(star.FindListedExactly("https://a.example.com").empty());
  EXPECT_EQ(FindParsed(star, "https://a.example.com"), "*");
  const OriginMatcher empty = OriginMatcher::Build({});
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(empty.FindListedExactly("https://a.example.com").empty());
}

TEST(OriginMatcherExact, ViewsOriginsFoundInBorrowedBytesAndKeepsThemAlive) {
  // Stands in for a serialized policy: two of the three origins appear in it
  // (out of order), the third does not.
  auto owner = std::make_shared<std::string>(
      "\x0a\x15https://b.example.com\x0a\x15https://a.example.com tail");
  const BorrowableText borrow{owner, *owner};
  const char* const begin = owner->data();
  const char* const end = owner->data() + owner->size();
  std::optional<OriginMatcher> matcher =
      OriginMatcher::Build(Patterns({"https://a.example.com", "https://b.example.com",
                                     "https://c.example.com", "https://a.example.com"}),
                           &borrow);
  EXPECT_EQ(owner.use_count(), 3);  // owner, borrow and the matcher, which holds what it views
  const absl::string_view a = matcher->FindListedExactly("https://a.example.com");
  const absl::string_view b = matcher->FindListedExactly("https://b.example.com");
  const absl::string_view c = matcher->FindListedExactly("https://c.example.com");
  EXPECT_EQ(a, "https://a.example.com");
  EXPECT_EQ(b, "https://b.example.com");
  EXPECT_EQ(c, "https://c.example.com");
  EXPECT_TRUE(a.data() >= begin && a.data() < end);
  EXPECT_TRUE(b.data() >= begin && b.data() < end);
  EXPECT_FALSE(c.data() >= begin && c.data() < end);  // copied into the matcher's block
  EXPECT_EQ(FindParsed(*matcher, "https://b.example.com"), "https://b.example.com");
  EXPECT_TRUE(matcher->FindListedExactly("https://d.example.com").empty());

  // The caller lets go; the matcher's views stay valid (ASan would see it).
  const OriginMatcher copy = *matcher;
  owner.reset();
  matcher.reset();
  EXPECT_EQ(copy.FindListedExactly("https://a.example.com"), "https://a.example.com");
  EXPECT_EQ(FindParsed(copy, "https://c.example.com"), "https://c.example.com");
}

TEST(OriginMatcherExact, LargePoliciesUseWideSlots) {
  // Over 32 KiB of origins no longer fits 16-bit offsets: every origin must
  // still be found where it lies.
  std::vector<std::string> listed;
  for (int i = 0; i < 3000; ++i) {
    listed.push_back(absl::StrCat("https://app-", i, ".wide.example.com"));
  }
  const OriginMatcher copied = OriginMatcher::Build(Patterns(listed));
  for (const std::string& origin : listed) EXPECT_EQ(copied.FindListedExactly(origin), origin);
  EXPECT_TRUE(copied.FindListedExactly("https://app-3000.wide.example.com").empty());
}

TEST(OriginMatcherExact, LargeBorrowableBytesAreNotSearched) {
  // The origins lie past 32 KiB of other bytes: they are copied, not viewed,
  // and still found.
  auto owner = std::make_shared<std::string>(40'000, 'x');
  absl::StrAppend(owner.get(), "https://far.example.com https://away.example.com");
  const BorrowableText borrow{owner, *owner};
  const OriginMatcher matcher = OriginMatcher::Build(
      Patterns({"https://far.example.com", "https://away.example.com"}), &borrow);
  EXPECT_EQ(owner.use_count(), 2);  // owner and borrow: the matcher holds nothing of it
  for (const char* origin : {"https://far.example.com", "https://away.example.com"}) {
    const absl::string_view found = matcher.FindListedExactly(origin);
    EXPECT_EQ(found, origin);
    EXPECT_FALSE(found.data() >= owner->data() && found.data() < owner->data() + owner->size());
  }
}

TEST(OriginMatcherExact, KeepsNothingAliveWhenNothingWasBorrowed) {
  auto owner = std::make_shared<std::string>("no origins in here");
  const BorrowableText borrow{owner, *owner};
  const OriginMatcher matcher =
      OriginMatcher::Build(Patterns({"https://a.example.com", "https://*.example.org"}), &borrow);
  EXPECT_EQ(owner.use_count(), 2);  // owner and borrow only
  EXPECT_EQ(matcher.FindListedExactly("https://a.example.com"), "https://a.example.com");
  EXPECT_EQ(FindParsed(matcher, "https://x.example.org"), "https://*.example.org");
}

}  // namespace
}  // namespace corsd::engine
