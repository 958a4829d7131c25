// CompilePolicy validates a PolicySpec and, when it has no violations,
// compiles it into an immutable CompiledPolicy. A new policy's own tests
// (policy_tests.h) run on the compiled result; each failing one is a
// violation. One pass does both, so a
// policy is never compiled differently from how it was validated. Every
// violation is collected (not just the first), each with its field path.
//
//   PolicyCompilation c = CompilePolicy(spec, /*revision=*/7);
//   if (!c.diagnostics.ok()) {
//     for (const FieldViolation& v : c.diagnostics.violations) ...;  // nothing to store
//   }
//   std::shared_ptr<const CompiledPolicy> policy = c.policy;
#ifndef CORSD_SERVICE_ENGINE_POLICY_COMPILER_H_
#define CORSD_SERVICE_ENGINE_POLICY_COMPILER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "service/engine/compiled_policy.h"
#include "service/engine/diagnostics.h"
#include "service/engine/origin_matcher.h"
#include "service/engine/policy_spec.h"
#include "service/engine/policy_tests.h"

namespace corsd::engine {

// Where the policy comes from. kNew (a write, ValidatePolicy, corsctl) refuses
// every entry that can never match and runs the policy's tests. kStored is for a policy that was
// validated when it was written, possibly by an older build with fewer rules: entries that can
// never match (e.g. "file://x", refused since) are skipped with a warning, which is what they
// always did, instead of failing the whole policy; its tests are neither checked nor run.
enum class PolicySource { kNew, kStored };

struct PolicyCompilation {
  PolicyDiagnostics diagnostics;
  // Null when diagnostics has violations.
  std::shared_ptr<const CompiledPolicy> policy;
  // Every test's outcome, in order, when the rules compiled and the tests
  // were run (kNew, and the tests themselves well-formed); else empty.
  std::vector<PolicyTestResult> test_results;
};

// `origin_text`: bytes holding the policy's origins verbatim that the
// compiled policy may view (and keep alive) instead of copying them, such as
// the serialized policy a replica keeps anyway; null to copy.
PolicyCompilation CompilePolicy(const PolicySpec& spec, int64_t revision,
                                PolicySource source = PolicySource::kNew,
                                const BorrowableText* origin_text = nullptr);

// Validation only (ValidatePolicy RPC, `corsctl policy validate`).
PolicyDiagnostics ValidatePolicy(const PolicySpec& spec);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_POLICY_COMPILER_H_
