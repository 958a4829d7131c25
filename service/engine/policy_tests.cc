#include "service/engine/policy_tests.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "service/engine/decision.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"

namespace corsd::engine {
namespace {

// The answer's value for `name`, or null when the answer has no such header.
const HeaderView* FindHeader(const Decision& decision, absl::string_view name) {
  for (const HeaderView& header : decision.response_headers()) {
    if (engine::EqualsIgnoreCase(header.name, name)) return &header;
  }
  return nullptr;
}

std::string Decided(const Decision& decision) {
  return absl::StrCat(VerdictName(decision.verdict), " (", ReasonName(decision.reason), ")");
}

// Empty when `decision` is what `test` expects, else what differs.
std::string Mismatch(const PolicyTestSpec& test, const Decision& decision) {
  if (decision.verdict != *test.expect) {
    return absl::StrCat("expected ", VerdictName(*test.expect), ", decided ", Decided(decision));
  }
  for (const HeaderSpec& expected : test.expect_headers) {
    const HeaderView* got = FindHeader(decision, expected.name);
    if (got != nullptr && got->value == expected.value) continue;
    // The name is a checked token of at most kMaxHeaderNameBytes.
    return absl::StrCat("expected ", expected.name, ": ", QuoteForMessage(expected.value),
                        ", decided ", Decided(decision),
                        got == nullptr ? " without that header"
                                       : absl::StrCat(" with ", QuoteForMessage(got->value)));
  }
  return "";
}

}  // namespace

void CheckPolicyTests(absl::Span<const PolicyTestSpec> tests, PolicyDiagnostics* diagnostics) {
  if (tests.size() > kMaxPolicyTests) {
    diagnostics->AddViolation("tests",
                              absl::StrCat("has more than ", kMaxPolicyTests, " tests; at most ",
                                           kMaxPolicyTests, " are allowed"));
    return;
  }
  absl::flat_hash_map<absl::string_view, size_t> names;
  for (size_t i = 0; i < tests.size(); ++i) {
    const PolicyTestSpec& test = tests[i];
    const std::string field = absl::StrCat("tests[", i, "]");
    if (test.name.empty() || test.name.size() > kMaxPolicyTestNameBytes) {
      diagnostics->AddViolation(absl::StrCat(field, ".name"),
                                absl::StrCat("is ", test.name.size(),
                                             " bytes; give each test a "
                                             "name of 1 to ",
                                             kMaxPolicyTestNameBytes, " bytes"));
    } else if (auto [it, inserted] = names.emplace(test.name, i); !inserted) {
      diagnostics->AddViolation(
          absl::StrCat(field, ".name"),
          absl::StrCat(QuoteForMessage(test.name), " is already the name of tests[", it->second,
                       "]; test names must be unique"));
    }
    if (!test.expect.has_value()) {
      diagnostics->AddViolation(absl::StrCat(field, ".expect"),
                                "is unset; say which verdict the request must get: ALLOW, DENY "
                                "or NOT_CORS");
    }
    if (test.expect_headers.size() > kMaxPolicyTestExpectedHeaders) {
      diagnostics->AddViolation(absl::StrCat(field, ".expect_headers"),
                                absl::StrCat("lists more than ", kMaxPolicyTestExpectedHeaders,
                                             " headers; an answer never carries that many"));
      continue;
    }
    for (size_t j = 0; j < test.expect_headers.size(); ++j) {
      if (test.expect_headers[j].name.size() > kMaxHeaderNameBytes) {
        diagnostics->AddViolation(absl::StrCat(field, ".expect_headers[", j, "].name"),
                                  absl::StrCat("is longer than ", kMaxHeaderNameBytes,
                                               " bytes; no response header corsd sends is"));
      } else if (!IsToken(test.expect_headers[j].name)) {
        diagnostics->AddViolation(
            absl::StrCat(field, ".expect_headers[", j, "].name"),
            absl::StrCat(QuoteForMessage(test.expect_headers[j].name), " is not a header name"));
      }
    }
  }
}

std::vector<PolicyTestResult> RunPolicyTests(absl::Span<const PolicyTestSpec> tests,
                                             const CompiledPolicy& policy) {
  std::vector<PolicyTestResult> results;
  results.reserve(tests.size());
  Decision decision;
  absl::InlinedVector<HeaderView, 8> headers;
  for (const PolicyTestSpec& test : tests) {
    headers.clear();
    for (const HeaderSpec& header : test.headers) headers.push_back({header.name, header.value});
    const Request request{
        .origin = test.origin, .method = test.method, .path = test.path, .headers = headers};
    Decide(policy, request, DecideOptions{.explain = true}, &decision);
    PolicyTestResult& result = results.emplace_back();
    result.name = test.name;
    result.mismatch = Mismatch(test, decision);
    result.passed = result.mismatch.empty();
    if (!result.passed) {
      result.trace = decision.explanation.substr(0, kMaxPolicyTestTraceBytes);
    }
  }
  return results;
}

std::string PolicyTestFailure(const PolicyTestResult& result) {
  return absl::StrCat("test ", QuoteForMessage(result.name), ": ", result.mismatch,
                      "; trace: ", result.trace);
}

}  // namespace corsd::engine
