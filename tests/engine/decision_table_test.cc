// Decide() against the WHATWG Fetch CORS protocol, one row per rule.
//
// Every row also runs through the browser model (tests/support): an ALLOW
// answer must pass the browser's CORS check or preflight check, a DENY answer
// must fail it, so the table proves the headers work, not just that they are
// there. Invariants that hold for every answer (no Access-Control-* headers on
// a denial, Vary: Origin whenever the answer depended on the origin, no raw
// control characters anywhere) are checked on every row as well.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "service/engine/decision.h"
#include "service/engine/policy_compiler.h"
#include "tests/support/browser_model.h"
#include "tests/support/fetch_cases.h"

namespace corsd::engine {
namespace {

using testing::BrowserRequest;
using testing::DecisionCase;
using testing::HeaderList;

const std::map<std::string, std::shared_ptr<const CompiledPolicy>>& Policies() {
  static const auto* policies = [] {
    auto* compiled = new std::map<std::string, std::shared_ptr<const CompiledPolicy>>();
    int revision = 1;
    for (const auto& [name, spec] : testing::FetchPolicySpecs()) {
      PolicyCompilation c = CompilePolicy(spec, revision++);
      if (!c.diagnostics.ok()) {
        ADD_FAILURE() << "policy " << name << ": " << c.diagnostics.Summary(20);
        continue;
      }
      (*compiled)[name] = c.policy;
    }
    (*compiled)["empty"] = CompiledPolicy::Empty(0);
    return compiled;
  }();
  return *policies;
}

// --- Checks ------------------------------------------------------------------

HeaderList ToList(const Decision& d) {
  HeaderList out;
  for (const HeaderView& h : d.response_headers()) out.emplace_back(h.name, h.value);
  return out;
}

std::vector<std::string> ValuesOf(const HeaderList& headers, const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [n, v] : headers) {
    if (n == name) values.push_back(v);
  }
  return values;
}

BrowserRequest BrowserSide(const DecisionCase& c, bool credentials) {
  BrowserRequest b;
  b.origin = c.origin;
  b.method = c.method;
  b.include_credentials = credentials;
  for (const auto& [name, value] : c.headers) {
    if (absl::EqualsIgnoreCase(name, "Access-Control-Request-Method")) {
      b.method = std::string(absl::StripAsciiWhitespace(value));
    } else if (absl::EqualsIgnoreCase(name, "Access-Control-Request-Headers")) {
      for (absl::string_view n : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        b.unsafe_headers.emplace_back(absl::StripAsciiWhitespace(n));
      }
    } else if (absl::EqualsIgnoreCase(name, "Access-Control-Request-Private-Network")) {
      b.private_network = value == "true";
    }
  }
  return b;
}

class DecisionTable : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(DecisionTable, DecidesAsFetchRequires) {
  const DecisionCase& c = GetParam();
  auto it = Policies().find(c.policy);
  ASSERT_NE(it, Policies().end()) << "unknown policy " << c.policy;
  std::vector<HeaderView> lines;
  for (const auto& [name, value] : c.headers) lines.push_back({name, value});
  Request request{.origin = c.origin, .method = c.method, .path = c.path, .headers = lines};

  Decision d;
  Decide(*it->second, request, DecideOptions{}, &d);
  const HeaderList headers = ToList(d);
  SCOPED_TRACE(::testing::PrintToString(headers));

  EXPECT_EQ(d.verdict, c.verdict) << VerdictName(d.verdict) << " " << ReasonName(d.reason);
  EXPECT_EQ(d.reason, c.reason) << ReasonName(d.reason);
  EXPECT_EQ(d.policy_revision, it->second->revision());
  for (const auto& [name, value] : c.want) {
    EXPECT_EQ(ValuesOf(headers, name), std::vector<std::string>{value}) << name;
  }
  for (const std::string& name : c.absent) {
    EXPECT_TRUE(ValuesOf(headers, name).empty()) << name << " must be absent";
  }

  // Invariants of every answer.
  for (const auto& [name, value] : headers) {
    EXPECT_EQ(value.find_first_of(std::string("\r\n\0", 3)), std::string::npos) << name;
    EXPECT_EQ(ValuesOf(headers, name).size(), 1u) << name << " appears more than once";
  }
  const bool preflight = c.origin.size() > 0 && c.method == "OPTIONS" &&
                         std::any_of(c.headers.begin(), c.headers.end(), [](const auto& h) {
                           return absl::EqualsIgnoreCase(h.first, "Access-Control-Request-Method");
                         });
  if (c.origin.empty()) {
    EXPECT_EQ(d.kind, RequestKind::kNoOrigin);
    EXPECT_FALSE(d.respond_now);
    return;
  }
  EXPECT_EQ(d.kind, preflight ? RequestKind::kPreflight : RequestKind::kActual);
  EXPECT_EQ(d.respond_now, preflight);
  if (d.verdict == Verdict::kDeny) {
    for (const auto& [name, value] : headers) {
      EXPECT_FALSE(absl::StartsWith(name, "Access-Control-")) << name << " on a denial";
    }
    ASSERT_EQ(ValuesOf(headers, "Vary").size(), 1u);
    EXPECT_TRUE(absl::StartsWith(ValuesOf(headers, "Vary")[0], "Origin"));
    if (preflight) EXPECT_EQ(d.http_status, 403);
  }
  if (d.verdict == Verdict::kAllow) {
    std::vector<std::string> acao = ValuesOf(headers, "Access-Control-Allow-Origin");
    ASSERT_EQ(acao.size(), 1u);
    EXPECT_TRUE(acao[0] == "*" || acao[0] == c.origin) << acao[0];
    // The answer depends on the origin unless it is "*".
    EXPECT_EQ(ValuesOf(headers, "Vary").empty(), acao[0] == "*" && !preflight);
    if (preflight) {
      EXPECT_GE(d.http_status, 200);
      EXPECT_LE(d.http_status, 299);
      EXPECT_EQ(d.http_status, c.policy == "status200" ? 200 : 204);
    } else {
      EXPECT_EQ(d.http_status, 0);
    }
  }

  // What a browser does with the answer.
  for (bool credentials : {false, true}) {
    if (credentials && !testing::FetchPolicyAllowsCredentials(c.policy)) continue;
    BrowserRequest browser = BrowserSide(c, credentials);
    bool passes = preflight ? testing::PassesPreflight(browser, d.http_status, headers)
                            : testing::PassesCorsCheck(browser, headers);
    EXPECT_EQ(passes, d.verdict == Verdict::kAllow)
        << "browser " << (passes ? "accepts" : "rejects") << " the answer"
        << (credentials ? " (credentialed)" : "");
  }
}

TEST_P(DecisionTable, ExplainsEveryAnswer) {
  const DecisionCase& c = GetParam();
  std::vector<HeaderView> lines;
  for (const auto& [name, value] : c.headers) lines.push_back({name, value});
  Request request{.origin = c.origin, .method = c.method, .path = c.path, .headers = lines};
  Decision plain;
  Decision explained;
  Decide(*Policies().at(c.policy), request, DecideOptions{}, &plain);
  Decide(*Policies().at(c.policy), request, DecideOptions{.explain = true}, &explained);

  EXPECT_TRUE(plain.explanation.empty());
  EXPECT_TRUE(absl::EndsWith(
      explained.explanation,
      absl::StrCat(" -> ", VerdictName(explained.verdict), " ", ReasonName(explained.reason))))
      << explained.explanation;
  EXPECT_EQ(explained.explanation.find_first_of(std::string("\r\n\0", 3)), std::string::npos);
  // Explaining never changes the answer.
  EXPECT_EQ(plain.verdict, explained.verdict);
  EXPECT_EQ(ToList(plain), ToList(explained));
}

TEST_P(DecisionTable, AScanMadeByTheCallerDecidesTheSame) {
  // The shadow paths scan the CORS headers once for the active decision and
  // the shadow's memo (the Decide overload that takes the scan).
  const DecisionCase& c = GetParam();
  std::vector<HeaderView> lines;
  for (const auto& [name, value] : c.headers) lines.push_back({name, value});
  Request request{.origin = c.origin, .method = c.method, .path = c.path, .headers = lines};
  const CorsRequestHeaders cors = ScanCorsRequestHeaders(request.headers);
  Decision plain;
  Decision scanned;
  Decide(*Policies().at(c.policy), request, DecideOptions{.explain = true}, &plain);
  Decide(*Policies().at(c.policy), request, cors, DecideOptions{.explain = true}, &scanned);
  EXPECT_EQ(plain.verdict, scanned.verdict);
  EXPECT_EQ(plain.reason, scanned.reason);
  EXPECT_EQ(plain.kind, scanned.kind);
  EXPECT_EQ(plain.http_status, scanned.http_status);
  EXPECT_EQ(ToList(plain), ToList(scanned));
  EXPECT_EQ(plain.explanation, scanned.explanation);
}

INSTANTIATE_TEST_SUITE_P(Fetch, DecisionTable, ::testing::ValuesIn(testing::FetchDecisionCases()),
                         [](const ::testing::TestParamInfo<DecisionCase>& info) {
                           std::string name;
                           for (char ch : info.param.name) {
                             name += absl::ascii_isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           }
                           return name;
                         });

TEST(DecisionTableSize, CoversAtLeast150Rules) {
  EXPECT_GE(testing::FetchDecisionCases().size(), 150u);
}

}  // namespace
}  // namespace corsd::engine
