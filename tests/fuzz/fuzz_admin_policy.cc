// The admin request path for policies, from raw bytes: a PutPolicyRequest /
// ValidatePolicyRequest as the admin port receives it, through conversion,
// validation and compilation, to the reply that carries the diagnostics.
// Besides "never crash", checks the bounds that keep a hostile request cheap
// (the run's -rss_limit_mb catches memory): conversion copies at most
// limit + 1 entries of anything, diagnostics list at most the reported caps
// (and say how many more there were), and whatever compiles also compiles as
// a stored policy with the same revision.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "corsd/v1/corsd.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "service/convert/policy_convert.h"
#include "service/engine/limits.h"
#include "service/engine/policy_compiler.h"

// Invalid UTF-8 in a string field is a parse failure (as on the admin port);
// protobuf also logs each one, which would drown the fuzzer's output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  corsd::v1::PutPolicyRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;

  const corsd::engine::PolicySpec spec = corsd::ToPolicySpec(request.policy());
  if (spec.rules.size() > corsd::engine::kMaxRules + 1) abort();
  for (const corsd::engine::RuleSpec& rule : spec.rules) {
    if (rule.allowed_methods.size() > corsd::engine::kMaxMethodsPerRule + 1 ||
        rule.allowed_headers.size() > corsd::engine::kMaxHeaderNamesPerRule + 1 ||
        rule.exposed_headers.size() > corsd::engine::kMaxHeaderNamesPerRule + 1 ||
        rule.allowed_origins.size() > corsd::engine::kMaxOriginsPerPolicy + 1) {
      abort();
    }
  }

  corsd::engine::PolicyCompilation compiled = corsd::engine::CompilePolicy(spec, 7);
  const corsd::engine::PolicyDiagnostics& d = compiled.diagnostics;
  if (d.violations.size() > corsd::engine::kMaxReportedViolations ||
      d.warnings.size() > corsd::engine::kMaxReportedWarnings ||
      d.violation_count < d.violations.size() || d.warning_count < d.warnings.size()) {
    abort();
  }
  if ((compiled.policy == nullptr) == d.ok()) abort();  // compiled exactly when valid

  corsd::v1::ValidatePolicyResponse reply;
  corsd::AppendDiagnostics(d, &reply);
  const size_t listed_violations = d.violations.size() + (d.violation_count > d.violations.size());
  if (static_cast<size_t>(reply.violations_size()) != listed_violations) abort();

  if (compiled.policy != nullptr) {
    corsd::engine::PolicyCompilation stored =
        corsd::engine::CompilePolicy(spec, 7, corsd::engine::PolicySource::kStored);
    if (stored.policy == nullptr || stored.policy->revision() != 7) abort();
  }
  return 0;
}
