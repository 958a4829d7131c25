// Policy validation: each row is one rule of what a policy may say, with the
// field path and the message a user should see. Violations reject the policy;
// warnings are reported but do not.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/engine/decision.h"
#include "service/engine/limits.h"
#include "service/engine/policy_compiler.h"

namespace corsd::engine {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

enum Severity { kViolation, kWarning, kClean };

struct ValidationCase {
  std::string name;
  std::function<void(RuleSpec&)> edit;  // applied to a valid base rule
  Severity severity;
  std::string field;    // expected field path
  std::string message;  // expected substring of the description
};

std::ostream& operator<<(std::ostream& os, const ValidationCase& c) { return os << c.name; }

RuleSpec BaseRule() {
  RuleSpec rule;
  rule.allowed_origins = {"https://app.example.com"};
  return rule;
}

auto Origins(std::vector<std::string> origins) {
  return [origins](RuleSpec& r) { r.allowed_origins = origins; };
}
auto Methods(std::vector<std::string> methods) {
  return [methods](RuleSpec& r) { r.allowed_methods = methods; };
}
auto Headers(std::vector<std::string> headers) {
  return [headers](RuleSpec& r) { r.allowed_headers = headers; };
}
auto Exposed(std::vector<std::string> headers) {
  return [headers](RuleSpec& r) { r.exposed_headers = headers; };
}
auto WithCredentials(std::function<void(RuleSpec&)> edit) {
  return [edit](RuleSpec& r) {
    edit(r);
    r.allow_credentials = true;
  };
}

const char* kOrigin0 = "rules[0].allowed_origins[0]";

std::vector<ValidationCase> Cases() {
  return {
      // Origins: accepted spellings.
      {"exact https origin", Origins({"https://app.example.com"}), kClean, "", ""},
      {"exact origin with port", Origins({"https://app.example.com:8443"}), kClean, "", ""},
      {"localhost port wildcard", Origins({"http://localhost:*"}), kClean, "", ""},
      {"subdomain wildcard", Origins({"https://*.example.com"}), kClean, "", ""},
      {"subdomain wildcard with port", Origins({"https://*.example.com:8443"}), kClean, "", ""},
      {"subdomain wildcard of private tld", Origins({"http://*.localhost:*"}), kClean, "", ""},
      {"ipv6 origin", Origins({"http://[::1]:8080"}), kClean, "", ""},
      {"punycode origin", Origins({"https://xn--bcher-kva.example"}), kClean, "", ""},
      {"star", Origins({"*"}), kClean, "", ""},
      {"null without credentials", Origins({"null"}), kClean, "", ""},
      {"custom scheme", Origins({"capacitor://localhost"}), kClean, "", ""},

      // Origins: rejected spellings, each with the fix in the message.
      {"wildcard without scheme", Origins({"*.example.com"}), kViolation, kOrigin0,
       "write the scheme too, e.g. \"https://*.example.com\""},
      {"wildcard inside label", Origins({"https://*a.com"}), kViolation, kOrigin0,
       "'*' may only be the whole leftmost label"},
      {"wildcard in middle label", Origins({"https://a.*.com"}), kViolation, kOrigin0,
       "'*' may only be the whole leftmost label"},
      {"double wildcard", Origins({"https://*.*.example.com"}), kViolation, kOrigin0,
       "'*' may only be the whole leftmost label"},
      {"wildcard host alone", Origins({"https://*"}), kViolation, kOrigin0,
       "to allow every origin write \"*\" alone"},
      {"wildcard partial port", Origins({"http://localhost:80*"}), kViolation, kOrigin0,
       "whole port"},
      {"wildcard over public suffix com", Origins({"https://*.com"}), kViolation, kOrigin0,
       "public suffix \"com\""},
      {"wildcard over public suffix co.uk", Origins({"https://*.co.uk"}), kViolation, kOrigin0,
       "public suffix \"co.uk\""},
      {"wildcard over private public suffix", Origins({"https://*.github.io"}), kViolation,
       kOrigin0, "public suffix \"github.io\""},
      {"wildcard over ip", Origins({"https://*.0.0.1"}), kViolation, kOrigin0, "IP address"},
      {"uppercase host", Origins({"https://App.Example.com"}), kViolation, kOrigin0,
       "write \"https://app.example.com\""},
      {"uppercase scheme", Origins({"HTTPS://app.example.com"}), kViolation, kOrigin0,
       "write \"https://app.example.com\""},
      {"trailing slash", Origins({"https://app.example.com/"}), kViolation, kOrigin0,
       "write \"https://app.example.com\""},
      {"path", Origins({"https://app.example.com/api"}), kViolation, kOrigin0, "has a path"},
      {"query", Origins({"https://app.example.com?a"}), kViolation, kOrigin0, "query"},
      {"userinfo", Origins({"https://user:pw@app.example.com"}), kViolation, kOrigin0, "userinfo"},
      {"default port", Origins({"https://app.example.com:443"}), kViolation, kOrigin0,
       "write \"https://app.example.com\""},
      {"port out of range", Origins({"https://app.example.com:70000"}), kViolation, kOrigin0,
       "invalid port"},
      {"no scheme", Origins({"app.example.com"}), kViolation, kOrigin0, "has no scheme"},
      {"CRLF", Origins({"https://a.example.com\r\nX: y"}), kViolation, kOrigin0,
       "control character"},
      {"NUL", Origins({std::string("https://a.example.com\0", 22)}), kViolation, kOrigin0,
       "control character"},
      {"space", Origins({" https://a.example.com"}), kViolation, kOrigin0, "whitespace"},
      {"unicode",
       Origins({"https://b\xC3\xBC"
                "cher.example"}),
       kViolation, kOrigin0, "punycode"},
      {"empty origin", Origins({""}), kViolation, kOrigin0, "is empty"},
      {"uppercase null", Origins({"Null"}), kViolation, kOrigin0, "lowercase"},
      {"ipv4 leading zero", Origins({"http://010.0.0.1"}), kViolation, kOrigin0,
       "IP address written differently"},
      {"ipv6 not compressed", Origins({"http://[0:0:0:0:0:0:0:1]"}), kViolation, kOrigin0,
       "IP address written differently"},
      {"overlong origin", Origins({"https://" + std::string(1100, 'a') + ".com"}), kViolation,
       kOrigin0, "longer than 1024 bytes"},
      {"message escapes raw bytes", Origins({"https://a\x01.com"}), kViolation, kOrigin0, "\\x01"},

      // Origins that parse but that no browser ever sends (never match).
      {"file origin", Origins({"file://example.com"}), kViolation, kOrigin0,
       "send \"null\"; list \"null\" instead"},
      {"data origin", Origins({"data://example.com"}), kViolation, kOrigin0, "send \"null\""},
      {"blob origin", Origins({"blob://example.com"}), kViolation, kOrigin0,
       "e.g. \"https://example.com\""},
      {"ws origin", Origins({"ws://chat.example.com:8080"}), kViolation, kOrigin0,
       "write \"http://chat.example.com:8080\""},
      {"wss wildcard origin", Origins({"wss://*.example.com:*"}), kViolation, kOrigin0,
       "write \"https://*.example.com:*\""},
      {"ftp origin", Origins({"ftp://files.example.com"}), kViolation, kOrigin0,
       "no longer load ftp: pages"},
      {"invalid punycode host", Origins({"http://xn--f"}), kViolation, kOrigin0,
       "label \"xn--f\", which is not valid punycode"},
      {"punycode of plain ascii", Origins({"https://xn--abc-.example"}), kViolation, kOrigin0,
       "not valid punycode"},
      {"invalid punycode under wildcard", Origins({"https://*.xn--zz.example"}), kViolation,
       kOrigin0, "label \"xn--zz\""},
      {"valid punycode under wildcard", Origins({"https://*.xn--bcher-kva.example"}), kClean, "",
       ""},
      {"chromium extension origin",
       Origins({"chrome-extension://abcdefghijklmnopabcdefghijklmnop"}), kClean, "", ""},
      {"firefox extension origin",
       Origins({"moz-extension://4b5c1a7e-0d2f-4e1b-9a6c-1f2e3d4c5b6a"}), kClean, "", ""},

      // Origins with credentials.
      {"star with credentials", WithCredentials(Origins({"*"})), kViolation, kOrigin0,
       "cannot be combined with allow_credentials"},
      {"null with credentials warns", WithCredentials(Origins({"null"})), kWarning, kOrigin0,
       "sandboxed iframe"},
      {"plain http with credentials warns", WithCredentials(Origins({"http://app.example.com"})),
       kWarning, kOrigin0, "plain http"},
      {"localhost http with credentials is fine",
       WithCredentials(Origins({"http://localhost:3000"})), kClean, "", ""},
      {"localhost with trailing dot and credentials is fine",
       WithCredentials(Origins({"http://localhost.:3000"})), kClean, "", ""},
      {"duplicate origin warns", Origins({"https://a.example", "https://a.example"}), kWarning,
       "rules[0].allowed_origins[1]", "listed again"},
      {"star next to others warns", Origins({"*", "https://a.example"}), kWarning,
       "rules[0].allowed_origins", "already covers"},
      {"empty origin list warns", Origins({}), kWarning, "rules[0].allowed_origins",
       "denies every cross-origin request"},

      // Methods.
      {"custom method", Methods({"PURGE"}), kClean, "", ""},
      {"star method", Methods({"*"}), kClean, "", ""},
      {"lowercase patch is legal", Methods({"patch"}), kClean, "", ""},
      {"forbidden CONNECT", Methods({"CONNECT"}), kViolation, "rules[0].allowed_methods[0]",
       "forbidden method"},
      {"forbidden trace any case", Methods({"trace"}), kViolation, "rules[0].allowed_methods[0]",
       "forbidden method"},
      {"forbidden TRACK", Methods({"PUT", "TRACK"}), kViolation, "rules[0].allowed_methods[1]",
       "forbidden method"},
      {"unnormalized delete", Methods({"delete"}), kViolation, "rules[0].allowed_methods[0]",
       "write \"DELETE\""},
      {"method with space", Methods({"PU T"}), kViolation, "rules[0].allowed_methods[0]",
       "not a method name"},
      {"empty method", Methods({""}), kViolation, "rules[0].allowed_methods[0]",
       "not a method name"},
      {"duplicate method warns", Methods({"PUT", "PUT"}), kWarning, "rules[0].allowed_methods[1]",
       "listed twice"},
      {"too many methods", Methods(std::vector<std::string>(65, "PUT")), kViolation,
       "rules[0].allowed_methods", "at most 64"},
      {"list without safelisted methods warns", Methods({"PUT"}), kWarning,
       "rules[0].allowed_methods", "does not list GET, HEAD, POST, but that does not deny them"},
      {"list without some safelisted methods names them", Methods({"GET", "PUT"}), kWarning,
       "rules[0].allowed_methods", "does not list HEAD, POST"},
      {"list without one safelisted method", Methods({"GET", "HEAD", "PUT"}), kWarning,
       "rules[0].allowed_methods", "does not list POST, but that does not deny it"},

      // Allowed headers.
      {"header names", Headers({"Content-Type", "x-trace-id", "*"}), kClean, "", ""},
      {"header with space", Headers({"x trace"}), kViolation, "rules[0].allowed_headers[0]",
       "not a header name"},
      {"header with colon", Headers({"x-a:"}), kViolation, "rules[0].allowed_headers[0]",
       "not a header name"},
      {"header CRLF", Headers({"x-a\r\n"}), kViolation, "rules[0].allowed_headers[0]",
       "not a header name"},
      {"overlong header", Headers({std::string(300, 'x')}), kViolation,
       "rules[0].allowed_headers[0]", "at most 256 bytes"},
      {"forbidden request header warns", Headers({"Cookie"}), kWarning,
       "rules[0].allowed_headers[0]", "can never set"},
      {"sec- request header warns", Headers({"x-a", "Sec-Fetch-Mode"}), kWarning,
       "rules[0].allowed_headers[1]", "can never set"},
      {"proxy- request header warns", Headers({"proxy-authorization"}), kWarning,
       "rules[0].allowed_headers[0]", "can never set"},
      {"origin request header warns", Headers({"origin"}), kWarning, "rules[0].allowed_headers[0]",
       "can never set"},
      {"duplicate header any case warns", Headers({"X-A", "x-a"}), kWarning,
       "rules[0].allowed_headers[1]", "listed twice"},
      {"too many headers", Headers(std::vector<std::string>(257, "x-a")), kViolation,
       "rules[0].allowed_headers", "at most 256"},

      // Exposed headers.
      {"exposed names", Exposed({"x-request-id", "*"}), kClean, "", ""},
      {"exposed set-cookie", Exposed({"Set-Cookie"}), kViolation, "rules[0].exposed_headers[0]",
       "can never be exposed"},
      {"exposed set-cookie2", Exposed({"x-a", "set-cookie2"}), kViolation,
       "rules[0].exposed_headers[1]", "can never be exposed"},
      {"exposed star with credentials", WithCredentials(Exposed({"*"})), kViolation,
       "rules[0].exposed_headers[0]", "list the header names instead"},
      {"exposed invalid name", Exposed({"x a"}), kViolation, "rules[0].exposed_headers[0]",
       "not a header name"},
      {"exposed cors protocol header warns", Exposed({"x-a", "Access-Control-Allow-Origin"}),
       kWarning, "rules[0].exposed_headers[1]", "CORS protocol header"},
      {"exposed safelisted warns", Exposed({"Content-Type"}), kWarning,
       "rules[0].exposed_headers[0]", "always exposed"},
      {"exposed duplicate warns", Exposed({"x-a", "X-A"}), kWarning, "rules[0].exposed_headers[1]",
       "listed twice"},

      // Scalars and paths.
      {"max age -1", [](RuleSpec& r) { r.max_age_seconds = -1; }, kClean, "", ""},
      {"max age 86400 warns about chromium", [](RuleSpec& r) { r.max_age_seconds = 86400; },
       kWarning, "rules[0].max_age_seconds", "Chromium caps"},
      {"max age -2", [](RuleSpec& r) { r.max_age_seconds = -2; }, kViolation,
       "rules[0].max_age_seconds", "is -2"},
      {"max age too big", [](RuleSpec& r) { r.max_age_seconds = 86401; }, kViolation,
       "rules[0].max_age_seconds", "1..86400"},
      {"preflight status 200", [](RuleSpec& r) { r.preflight_status = 200; }, kClean, "", ""},
      {"preflight status 299", [](RuleSpec& r) { r.preflight_status = 299; }, kClean, "", ""},
      {"preflight status 199", [](RuleSpec& r) { r.preflight_status = 199; }, kViolation,
       "rules[0].preflight_status", "200..299"},
      {"preflight status 300", [](RuleSpec& r) { r.preflight_status = 300; }, kViolation,
       "rules[0].preflight_status", "200..299"},
      {"preflight status 404", [](RuleSpec& r) { r.preflight_status = 404; }, kViolation,
       "rules[0].preflight_status", "is 404"},
      {"private network warns", [](RuleSpec& r) { r.allow_private_network = true; }, kWarning,
       "rules[0].allow_private_network", "Chromium-only"},
      {"prefix", [](RuleSpec& r) { r.path_prefix = "/api/v1"; }, kClean, "", ""},
      {"prefix without slash", [](RuleSpec& r) { r.path_prefix = "api"; }, kViolation,
       "rules[0].path_prefix", "must start with '/'"},
      {"prefix with query", [](RuleSpec& r) { r.path_prefix = "/api?x"; }, kViolation,
       "rules[0].path_prefix", "'?' or '#'"},
      {"prefix with space", [](RuleSpec& r) { r.path_prefix = "/a b"; }, kViolation,
       "rules[0].path_prefix", "percent-encode"},
      {"overlong prefix", [](RuleSpec& r) { r.path_prefix = "/" + std::string(1024, 'a'); },
       kViolation, "rules[0].path_prefix", "longer than 1024"},
  };
}

class PolicyValidation : public ::testing::TestWithParam<ValidationCase> {};

TEST_P(PolicyValidation, ReportsFieldAndReason) {
  const ValidationCase& c = GetParam();
  PolicySpec spec;
  spec.rules.push_back(BaseRule());
  c.edit(spec.rules[0]);
  PolicyCompilation result = CompilePolicy(spec, 1);

  auto matches = Contains(AllOf(Field(&FieldViolation::field, c.field),
                                Field(&FieldViolation::description, HasSubstr(c.message))));
  switch (c.severity) {
    case kClean:
      EXPECT_THAT(result.diagnostics.violations, IsEmpty());
      EXPECT_NE(result.policy, nullptr);
      break;
    case kViolation:
      EXPECT_THAT(result.diagnostics.violations, matches);
      EXPECT_EQ(result.policy, nullptr) << "an invalid policy must not compile";
      break;
    case kWarning:
      EXPECT_THAT(result.diagnostics.violations, IsEmpty());
      EXPECT_THAT(result.diagnostics.warnings, matches);
      EXPECT_NE(result.policy, nullptr) << "warnings never block";
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, PolicyValidation, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<ValidationCase>& info) {
                           std::string name;
                           for (char ch : info.param.name) name += isalnum(ch) ? ch : '_';
                           return name;
                         });

TEST(PolicyValidationWhole, CollectsEveryViolationNotJustTheFirst) {
  PolicySpec spec;
  RuleSpec& a = spec.rules.emplace_back();
  a.allowed_origins = {"https://*.com", "HTTPS://A.COM", "https://ok.example"};
  a.allowed_methods = {"TRACE"};
  a.preflight_status = 500;
  RuleSpec& b = spec.rules.emplace_back();
  b.path_prefix = "api";
  b.allowed_origins = {"*"};
  b.allow_credentials = true;
  b.exposed_headers = {"set-cookie"};

  PolicyDiagnostics d = ValidatePolicy(spec);
  std::vector<std::string> fields;
  for (const FieldViolation& v : d.violations) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          "rules[0].allowed_origins[0]", "rules[0].allowed_origins[1]",
                          "rules[0].allowed_methods[0]", "rules[0].preflight_status",
                          "rules[1].path_prefix", "rules[1].allowed_origins[0]",
                          "rules[1].exposed_headers[0]"));
  std::string summary = d.Summary(3);
  EXPECT_THAT(summary, HasSubstr("rules[0].allowed_origins[0]: "));
  EXPECT_THAT(summary, HasSubstr("... and 4 more violations"));
}

// Warnings that must NOT appear: a kClean row only proves there is no
// violation, so the "no false alarm" cases are checked here explicitly.
TEST(PolicyValidationWhole, NoFalseWarnings) {
  struct Quiet {
    std::string name;
    RuleSpec rule;
  };
  auto rule = [](std::vector<std::string> origins, bool credentials,
                 std::vector<std::string> methods, std::vector<std::string> headers) {
    RuleSpec r;
    r.allowed_origins = std::move(origins);
    r.allow_credentials = credentials;
    r.allowed_methods = std::move(methods);
    r.allowed_headers = std::move(headers);
    return r;
  };
  const std::vector<Quiet> cases = {
      {"localhost with credentials", rule({"http://localhost:3000"}, true, {}, {})},
      {"localhost. with credentials", rule({"http://localhost.:3000"}, true, {}, {})},
      {"*.localhost. with credentials", rule({"http://*.localhost.:*"}, true, {}, {})},
      {"all safelisted methods listed",
       rule({"https://a.example"}, false, {"GET", "HEAD", "POST", "PUT"}, {})},
      {"star method", rule({"https://a.example"}, false, {"*"}, {})},
      {"no methods listed", rule({"https://a.example"}, false, {}, {})},
      {"method override header is settable",
       rule({"https://a.example"}, false, {}, {"x-http-method-override"})},
      {"header starting with sec but no dash",
       rule({"https://a.example"}, false, {}, {"secret-token"})},
  };
  for (const Quiet& c : cases) {
    PolicySpec spec;
    spec.rules = {c.rule};
    PolicyDiagnostics d = ValidatePolicy(spec);
    EXPECT_THAT(d.violations, IsEmpty()) << c.name;
    EXPECT_THAT(d.warnings, IsEmpty()) << c.name;
  }
}

// A policy stored before a never-matching entry became a violation keeps
// working: the entry is skipped (as it always was in effect), not the policy.
TEST(PolicyValidationWhole, StoredPolicySkipsEntriesNoBrowserSends) {
  PolicySpec spec;
  RuleSpec& r = spec.rules.emplace_back();
  r.allowed_origins = {"file://example.com", "https://app.example.com", "ws://x.example"};

  PolicyCompilation fresh = CompilePolicy(spec, 4);
  EXPECT_EQ(fresh.policy, nullptr);
  EXPECT_EQ(fresh.diagnostics.violations.size(), 2u);

  PolicyCompilation stored = CompilePolicy(spec, 4, PolicySource::kStored);
  EXPECT_THAT(stored.diagnostics.violations, IsEmpty());
  EXPECT_THAT(stored.diagnostics.warnings,
              Contains(AllOf(Field(&FieldViolation::field, "rules[0].allowed_origins[0]"),
                             Field(&FieldViolation::description,
                                   HasSubstr("ignored in this stored policy")))));
  ASSERT_NE(stored.policy, nullptr);
  EXPECT_EQ(stored.policy->revision(), 4);
  Request allowed{.origin = "https://app.example.com", .method = "GET", .path = "/"};
  Decision d;
  Decide(*stored.policy, allowed, DecideOptions{}, &d);
  EXPECT_EQ(d.verdict, Verdict::kAllow);
}

TEST(PolicyValidationWhole, DuplicatePathPrefixes) {
  PolicySpec spec;
  spec.rules = {BaseRule(), BaseRule(), BaseRule()};
  spec.rules[0].path_prefix = "/api";
  spec.rules[2].path_prefix = "/api";
  PolicyDiagnostics d = ValidatePolicy(spec);
  ASSERT_EQ(d.violations.size(), 1u);
  EXPECT_EQ(d.violations[0].field, "rules[2].path_prefix");
  EXPECT_THAT(d.violations[0].description, HasSubstr("rules[0]"));
}

TEST(PolicyValidationWhole, EmptyPolicyIsLegalButWarns) {
  PolicyCompilation c = CompilePolicy(PolicySpec{}, 3);
  EXPECT_TRUE(c.diagnostics.ok());
  ASSERT_EQ(c.diagnostics.warnings.size(), 1u);
  EXPECT_EQ(c.diagnostics.warnings[0].field, "rules");
  ASSERT_NE(c.policy, nullptr);
  EXPECT_EQ(c.policy->revision(), 3);
}

TEST(PolicyValidationWhole, RuleCountLimit) {
  PolicySpec spec;
  for (size_t i = 0; i <= kMaxRules; ++i) {
    spec.rules.push_back(BaseRule());
    spec.rules.back().path_prefix = absl::StrCat("/p", i);
  }
  PolicyDiagnostics d = ValidatePolicy(spec);
  ASSERT_EQ(d.violations.size(), 1u);
  EXPECT_EQ(d.violations[0].field, "rules");
  EXPECT_THAT(d.violations[0].description, HasSubstr("at most 256"));
}

TEST(PolicyValidationWhole, AcceptsOneHundredThousandOrigins) {
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  for (size_t i = 0; i < kMaxOriginsPerPolicy; ++i) {
    rule.allowed_origins.push_back(absl::StrCat("https://app", i, ".example.com"));
  }
  PolicyCompilation c = CompilePolicy(spec, 1);
  EXPECT_TRUE(c.diagnostics.ok()) << c.diagnostics.Summary(5);
  EXPECT_NE(c.policy, nullptr);
}

TEST(PolicyValidationWhole, RejectsMoreThanOneHundredThousandOriginsOverAllRules) {
  PolicySpec spec;
  for (int r = 0; r < 2; ++r) {
    RuleSpec& rule = spec.rules.emplace_back();
    rule.path_prefix = r == 0 ? "" : "/api";
    for (size_t i = 0; i < kMaxOriginsPerPolicy / 2 + 1; ++i) {
      rule.allowed_origins.push_back(absl::StrCat("https://app", i, ".example.com"));
    }
  }
  PolicyDiagnostics d = ValidatePolicy(spec);
  ASSERT_EQ(d.violations.size(), 1u);
  EXPECT_EQ(d.violations[0].field, "rules");
  EXPECT_THAT(d.violations[0].description, HasSubstr("100002 allowed_origins in total"));
}

}  // namespace
}  // namespace corsd::engine
