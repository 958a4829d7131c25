// Resolving `@NAME` references: replaced in order with duplicates dropped,
// violations named as written, and expansion bounded before anything large
// is built.
#include "service/convert/origin_set_resolution.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace corsd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Policy OneRule(std::vector<std::string> origins) {
  v1::Policy policy;
  v1::CorsRule* rule = policy.add_rules();
  for (std::string& origin : origins) rule->add_allowed_origins(std::move(origin));
  return policy;
}

TEST(OriginSetResolution, ReplacesReferencesInPlaceOnce) {
  const OriginSetMap sets = {{"web", {"https://a.example", "https://b.example"}}};
  PolicyResolution r = ResolveOriginSets(
      OneRule({"https://b.example", "@web", "https://c.example", "@web"}), MapLookup(sets));
  ASSERT_TRUE(r.resolved.has_value());
  EXPECT_THAT(r.set_names, ElementsAre("web"));
  EXPECT_THAT(r.resolved->rules(0).allowed_origins(),
              ElementsAre("https://b.example", "https://a.example", "https://c.example"));
  EXPECT_TRUE(r.reference_violations.ok());
  EXPECT_FALSE(
      ResolveOriginSets(OneRule({"https://a.example"}), MapLookup(sets)).resolved.has_value())
      << "no reference: decided as written";
}

TEST(OriginSetResolution, ViolationsAreNamedAsWritten) {
  const OriginSetMap sets = {{"web", {"*"}}};
  v1::Policy policy = OneRule({"https://a.example", "@web", "@Bad!", "@missing"});
  policy.mutable_rules(0)->set_allow_credentials(true);
  ResolvedCompilation c = CompileWithOriginSets(policy, MapLookup(sets));
  std::vector<std::string> fields;
  for (const engine::FieldViolation& v : c.compilation.diagnostics.violations) {
    fields.push_back(v.field + " " + v.description);
  }
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          HasSubstr("rules[0].allowed_origins[1] (from origin set \"web\")"),
                          HasSubstr("rules[0].allowed_origins[2] \"@Bad!\" is not an origin set"),
                          HasSubstr("rules[0].allowed_origins[3] origin set \"missing\" does "
                                    "not exist")));
  EXPECT_EQ(c.compilation.policy, nullptr);
}

TEST(OriginSetResolution, ExpansionIsBoundedBeforeItIsBuilt) {
  std::vector<std::string> big;
  for (int i = 0; i < 1000; ++i) big.push_back(absl::StrCat("https://o", i, ".example"));
  const OriginSetMap sets = {{"big", big}};
  // 256 rules x 1,000 origins: over the 100,000 a policy may hold.
  v1::Policy many_rules;
  for (int r = 0; r < 256; ++r) {
    v1::CorsRule* rule = many_rules.add_rules();
    rule->set_path_prefix(absl::StrCat("/p", r));
    rule->add_allowed_origins("@big");
  }
  PolicyResolution r = ResolveOriginSets(many_rules, MapLookup(sets));
  EXPECT_EQ(r.reference_violations.violation_count, 1u);
  EXPECT_THAT(r.reference_violations.violations[0].description, HasSubstr("more than 100000"));
  size_t resolved = 0;
  for (const v1::CorsRule& rule : r.resolved->rules()) resolved += rule.allowed_origins_size();
  EXPECT_LE(resolved, 100'000u);
  // One rule naming the set 100,000 times expands it once.
  PolicyResolution repeated =
      ResolveOriginSets(OneRule(std::vector<std::string>(100'000, "@big")), MapLookup(sets));
  EXPECT_EQ(repeated.resolved->rules(0).allowed_origins_size(), 1000);
  EXPECT_TRUE(repeated.reference_violations.ok());
}

}  // namespace
}  // namespace corsd
