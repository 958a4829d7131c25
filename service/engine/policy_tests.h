// A policy's own tests: requests with the verdict (and headers) its author
// expects. Every write of a policy runs them on the compiled policy and
// refuses one whose tests fail; `corsctl policy test` runs them locally.
// CompilePolicy (policy_compiler.h) calls both functions for new policies,
// so most callers only read PolicyCompilation::test_results.
//
//   PolicyDiagnostics diagnostics;
//   CheckPolicyTests(spec.tests, &diagnostics);        // shape: names, counts
//   if (diagnostics.ok())
//     for (const PolicyTestResult& r : RunPolicyTests(spec.tests, *policy))
//       if (!r.passed) Print(PolicyTestFailure(r));
//
// Pure functions of their arguments; thread-safe.
#ifndef CORSD_SERVICE_ENGINE_POLICY_TESTS_H_
#define CORSD_SERVICE_ENGINE_POLICY_TESTS_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/diagnostics.h"
#include "service/engine/policy_spec.h"

namespace corsd::engine {

struct PolicyTestResult {
  std::string name;
  bool passed = false;
  // When failed: "expected DENY, decided ALLOW (ALLOWED)" or what an
  // expected header got instead.
  std::string mismatch;
  // When failed: the decision's explain trace, cut to kMaxPolicyTestTraceBytes.
  std::string trace;
};

// Violations in the tests themselves: more than kMaxPolicyTests, a name
// empty, too long or used twice, an unset expectation, an expected header
// that is not a header name. Fields are "tests" and "tests[i]....".
void CheckPolicyTests(absl::Span<const PolicyTestSpec> tests, PolicyDiagnostics* diagnostics);

// Runs every test against `policy`, in order. The tests must have passed
// CheckPolicyTests (no more than kMaxPolicyTests of them).
std::vector<PolicyTestResult> RunPolicyTests(absl::Span<const PolicyTestSpec> tests,
                                             const CompiledPolicy& policy);

// A failed test as the API words its violation:
// `test "evil-denied": expected DENY, decided ALLOW (ALLOWED); trace: ...`.
std::string PolicyTestFailure(const PolicyTestResult& result);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_POLICY_TESTS_H_
