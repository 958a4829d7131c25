// Conversions between the corsd.v1 policy messages and the engine's plain
// types. The server (PutPolicy, ValidatePolicy, loading stored revisions), the
// client library (local evaluation) and corsctl (local validation) all go
// through here, so a policy means the same thing wherever it is compiled.
#ifndef CORSD_SERVICE_CONVERT_POLICY_CONVERT_H_
#define CORSD_SERVICE_CONVERT_POLICY_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "corsd/v1/corsd.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "service/engine/diagnostics.h"
#include "service/engine/policy_spec.h"

namespace corsd {

// What of a policy a conversion needs: everything for a new policy, which is
// validated and tested; only the rules for one loaded to decide with (its
// tests passed when it was written and do not change how it decides).
enum class PolicyParts { kAll, kRulesOnly };

// Lists over their limit (engine/limits.h) are cut to limit + 1 entries, and
// rules to kMaxRules + 1: validation still sees that they are too long, and
// converting a hostile message with millions of entries copies a few hundred.
engine::PolicySpec ToPolicySpec(const v1::Policy& policy, PolicyParts parts = PolicyParts::kAll);
v1::Policy ToPolicyProto(const engine::PolicySpec& spec);

// The diagnostics as a ValidatePolicyResponse: every listed violation and
// warning, then, when the engine found more than it lists, one entry for the
// rest ({"policy", "N more violations not listed"}).
void AppendDiagnostics(const engine::PolicyDiagnostics& diagnostics,
                       v1::ValidatePolicyResponse* response);

// Stored form of a policy: deterministic protobuf binary without unknown
// fields, so equal policies are equal bytes and nothing unvalidated is kept.
std::string SerializePolicy(const v1::Policy& policy);
absl::StatusOr<v1::Policy> ParseStoredPolicy(const std::string& bytes);

}  // namespace corsd

#endif  // CORSD_SERVICE_CONVERT_POLICY_CONVERT_H_
