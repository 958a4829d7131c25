// What `policy diff` and `policy apply` show between two policies.
#include "admin-cli/policy_diff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

MATCHER_P3(Line, kind, depth, text, "") {
  return arg.kind == kind && arg.depth == depth && arg.text == text;
}

v1::PolicyTest NamedTest(const std::string& name, v1::Verdict expect) {
  v1::PolicyTest test;
  test.set_name(name);
  test.mutable_request()->set_origin("https://app.example.com");
  test.set_expect(expect);
  return test;
}

TEST(PolicyDiff, RulesByPrefixAndTestsByName) {
  v1::Policy before;
  v1::CorsRule* rule = before.add_rules();
  rule->add_allowed_origins("https://old.example");
  *before.add_tests() = NamedTest("kept", v1::ALLOW);
  *before.add_tests() = NamedTest("changed", v1::ALLOW);
  *before.add_tests() = NamedTest("removed", v1::ALLOW);

  v1::Policy after;
  after.add_rules()->add_allowed_origins("https://new.example");
  *after.add_tests() = NamedTest("changed", v1::DENY);
  *after.add_tests() = NamedTest("kept", v1::ALLOW);
  *after.add_tests() = NamedTest("added", v1::DENY);

  EXPECT_THAT(DiffPolicies(before, after),
              ElementsAre(Line('~', 0, "rule \"\" (default)"),
                          Line('+', 1, "allowed_origins: https://new.example"),
                          Line('-', 1, "allowed_origins: https://old.example"),
                          Line('~', 0, "test \"changed\""), Line('+', 0, "test \"added\""),
                          Line('-', 0, "test \"removed\"")));
  EXPECT_THAT(DiffPolicies(after, after), IsEmpty());
}

}  // namespace
}  // namespace corsd::cli
