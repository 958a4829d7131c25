// Local policy checks shared by the policy commands: validating with this
// corsctl's engine (tests included) and printing what validation found.
#ifndef CORSD_ADMIN_CLI_POLICY_CHECKS_H_
#define CORSD_ADMIN_CLI_POLICY_CHECKS_H_

#include <string>

#include "absl/status/statusor.h"
#include "corsd/v1/corsd.pb.h"
#include "service/convert/origin_set_resolution.h"

namespace corsd::cli {

// Validation by this corsctl's engine: works offline, runs the policy's
// tests. Origin-set references (`@NAME`) are resolved with `sets`; without
// them (null) references are taken on trust and the tests are left to the
// server, which knows the sets.
v1::ValidatePolicyResponse ValidateLocally(const v1::Policy& policy,
                                           const OriginSetMap* sets = nullptr);

// Violations (with "nothing was applied") and warnings on stderr, each value
// escaped for the terminal. `source` names the file.
void PrintViolations(const std::string& source, const v1::ValidatePolicyResponse& result);

// The policy in `file` ("-" = stdin); prints why on stderr when it cannot
// be read.
absl::StatusOr<v1::Policy> LoadPolicyFile(const std::string& file);

// How a file is named in messages.
std::string SourceName(const std::string& file);

// A candidate policy decided by this corsctl (policy test, policy replay):
// the file, resolved against the OriginSet documents the operator gave
// (--origin-sets, a fleet directory or file as corsctl export writes them)
// and compiled as a new policy, so its tests ran when its rules compiled.
struct LocalCandidate {
  v1::Policy policy;
  ResolvedCompilation resolved;
};

// Reads and compiles `file` into `out`. Returns kExitOk, or the exit code
// to stop with after saying why on stderr: the file or the set documents
// unreadable, or references (`@NAME`) without `origin_sets_path` ("" =
// none given).
int CompileLocalCandidate(const std::string& file, const std::string& origin_sets_path,
                          LocalCandidate* out);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_POLICY_CHECKS_H_
