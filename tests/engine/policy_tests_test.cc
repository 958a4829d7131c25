// A policy's own tests: what makes one pass or fail, how a failure is worded,
// which tests are malformed, and that only new policies run them.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/engine/limits.h"
#include "service/engine/policy_compiler.h"

namespace corsd::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

PolicySpec AppPolicy() {
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  rule.allowed_origins = {"https://app.example.com"};
  rule.allowed_methods = {"PUT"};
  return spec;
}

PolicyTestSpec Preflight(std::string name, std::string origin, Verdict expect) {
  return {.name = std::move(name),
          .origin = std::move(origin),
          .method = "OPTIONS",
          .path = "/items",
          .headers = {{"Access-Control-Request-Method", "PUT"}},
          .expect = expect};
}

TEST(PolicyTests, PassingTestsKeepThePolicy) {
  PolicySpec spec = AppPolicy();
  spec.tests.push_back(Preflight("app-may-put", "https://app.example.com", Verdict::kAllow));
  spec.tests.back().expect_headers = {{"access-control-allow-origin", "https://app.example.com"},
                                      {"Access-Control-Allow-Methods", "PUT"}};
  spec.tests.push_back(Preflight("evil-denied", "https://evil.example", Verdict::kDeny));
  spec.tests.push_back({.name = "no-origin", .method = "GET", .expect = Verdict::kNotCors});

  PolicyCompilation compiled = CompilePolicy(spec, 3);
  ASSERT_TRUE(compiled.diagnostics.ok()) << compiled.diagnostics.Summary(10);
  ASSERT_NE(compiled.policy, nullptr);
  EXPECT_EQ(compiled.policy->revision(), 3);
  EXPECT_THAT(compiled.test_results, ElementsAre(Field(&PolicyTestResult::passed, true),
                                                 Field(&PolicyTestResult::passed, true),
                                                 Field(&PolicyTestResult::passed, true)));
}

TEST(PolicyTests, EveryFailingTestIsAViolationWithWhatWasDecidedAndWhy) {
  PolicySpec spec = AppPolicy();
  spec.tests.push_back(Preflight("evil-denied", "https://evil.example", Verdict::kAllow));
  spec.tests.push_back(Preflight("passes", "https://app.example.com", Verdict::kAllow));
  spec.tests.push_back(Preflight("app-denied", "https://app.example.com", Verdict::kDeny));

  PolicyCompilation compiled = CompilePolicy(spec, 0);
  EXPECT_EQ(compiled.policy, nullptr) << "a policy whose tests fail is refused";
  ASSERT_THAT(compiled.diagnostics.violations, SizeIs(2));
  EXPECT_EQ(compiled.diagnostics.violations[0].field, "tests[0]");
  EXPECT_THAT(compiled.diagnostics.violations[0].description,
              StartsWith("test \"evil-denied\": expected ALLOW, decided DENY "
                         "(ORIGIN_NOT_ALLOWED); trace: "));
  EXPECT_THAT(compiled.diagnostics.violations[0].description, HasSubstr("-> DENY"));
  EXPECT_EQ(compiled.diagnostics.violations[1].field, "tests[2]");
  EXPECT_THAT(compiled.diagnostics.violations[1].description,
              StartsWith("test \"app-denied\": expected DENY, decided ALLOW (ALLOWED)"));
  ASSERT_THAT(compiled.test_results, SizeIs(3));
  EXPECT_TRUE(compiled.test_results[1].passed);
}

TEST(PolicyTests, ExpectedHeadersMustBePresentWithExactlyThatValue) {
  PolicySpec spec = AppPolicy();
  spec.tests.push_back(Preflight("wrong-value", "https://app.example.com", Verdict::kAllow));
  spec.tests.back().expect_headers = {{"Access-Control-Allow-Methods", "PUT, DELETE"}};
  spec.tests.push_back(Preflight("missing", "https://app.example.com", Verdict::kAllow));
  spec.tests.back().expect_headers = {{"Access-Control-Max-Age", "600"}};

  PolicyCompilation compiled = CompilePolicy(spec, 0);
  ASSERT_THAT(compiled.diagnostics.violations, SizeIs(2));
  EXPECT_THAT(compiled.diagnostics.violations[0].description,
              StartsWith("test \"wrong-value\": expected Access-Control-Allow-Methods: "
                         "\"PUT, DELETE\", decided ALLOW (ALLOWED) with \"PUT\""));
  EXPECT_THAT(compiled.diagnostics.violations[1].description,
              StartsWith("test \"missing\": expected Access-Control-Max-Age: \"600\", decided "
                         "ALLOW (ALLOWED) without that header"));
}

TEST(PolicyTests, AFailureCarriesItsTraceWithinOneKibibyte) {
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  rule.allowed_origins = {"https://app.example.com"};
  rule.allowed_methods = {"PUT"};
  rule.allowed_headers = {"x-a"};
  std::string requested;
  for (int i = 0; i < 60; ++i) absl::StrAppend(&requested, i ? "," : "", "x-long-header-", i);
  spec.tests.push_back(Preflight("long", "https://app.example.com", Verdict::kAllow));
  spec.tests.back().headers.push_back({"Access-Control-Request-Headers", requested});
  PolicyCompilation compiled = CompilePolicy(spec, 0);
  ASSERT_THAT(compiled.test_results, SizeIs(1));
  EXPECT_FALSE(compiled.test_results[0].passed);
  EXPECT_LE(compiled.test_results[0].trace.size(), kMaxPolicyTestTraceBytes);
  EXPECT_THAT(compiled.test_results[0].trace, HasSubstr("x-long-header-0"));
}

TEST(PolicyTests, MalformedTestsAreViolationsAndNothingRuns) {
  PolicySpec spec = AppPolicy();
  spec.tests.push_back(Preflight("", "https://app.example.com", Verdict::kAllow));
  spec.tests.push_back(Preflight(std::string(kMaxPolicyTestNameBytes + 1, 'n'),
                                 "https://app.example.com", Verdict::kAllow));
  spec.tests.push_back(Preflight("twice", "https://app.example.com", Verdict::kAllow));
  spec.tests.push_back(Preflight("twice", "https://app.example.com", Verdict::kAllow));
  spec.tests.push_back(Preflight("unset", "https://app.example.com", Verdict::kAllow));
  spec.tests.back().expect.reset();
  spec.tests.push_back(Preflight("bad-header", "https://app.example.com", Verdict::kAllow));
  spec.tests.back().expect_headers = {{"not a name", "x"}};

  PolicyCompilation compiled = CompilePolicy(spec, 0);
  std::vector<std::string> fields;
  for (const FieldViolation& v : compiled.diagnostics.violations) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("tests[0].name", "tests[1].name", "tests[3].name",
                                  "tests[4].expect", "tests[5].expect_headers[0].name"));
  EXPECT_THAT(compiled.diagnostics.violations[2].description,
              HasSubstr("is already the name of tests[2]"));
  EXPECT_THAT(compiled.test_results, IsEmpty());
}

TEST(PolicyTests, AtMostAThousandTests) {
  PolicySpec spec = AppPolicy();
  for (size_t i = 0; i <= kMaxPolicyTests; ++i) {
    spec.tests.push_back(
        Preflight(absl::StrCat("t", i), "https://app.example.com", Verdict::kAllow));
  }
  PolicyCompilation over = CompilePolicy(spec, 0);
  ASSERT_THAT(over.diagnostics.violations, SizeIs(1));
  EXPECT_EQ(over.diagnostics.violations[0].field, "tests");
  spec.tests.pop_back();
  EXPECT_TRUE(CompilePolicy(spec, 0).diagnostics.ok());
}

TEST(PolicyTests, InvalidRulesMeanTheTestsDoNotRun) {
  PolicySpec spec = AppPolicy();
  spec.rules[0].allowed_origins = {"HTTPS://APP.EXAMPLE.COM"};
  spec.tests.push_back(Preflight("app", "https://app.example.com", Verdict::kAllow));
  PolicyCompilation compiled = CompilePolicy(spec, 0);
  ASSERT_THAT(compiled.diagnostics.violations, SizeIs(1));
  EXPECT_EQ(compiled.diagnostics.violations[0].field, "rules[0].allowed_origins[0]");
  EXPECT_THAT(compiled.test_results, IsEmpty());
}

TEST(PolicyTests, StoredPoliciesAreNotTestedAgain) {
  PolicySpec spec = AppPolicy();
  spec.tests.push_back(Preflight("fails", "https://app.example.com", Verdict::kDeny));
  spec.tests.push_back(Preflight("", "https://app.example.com", Verdict::kDeny));
  PolicyCompilation stored = CompilePolicy(spec, 7, PolicySource::kStored);
  EXPECT_TRUE(stored.diagnostics.ok());
  ASSERT_NE(stored.policy, nullptr);
  EXPECT_THAT(stored.test_results, IsEmpty());
}

}  // namespace
}  // namespace corsd::engine
