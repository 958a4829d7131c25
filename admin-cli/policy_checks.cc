#include "admin-cli/policy_checks.h"

#include <cstdio>

#include "admin-cli/policy_file.h"
#include "admin-cli/text_table.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"

namespace corsd::cli {

v1::ValidatePolicyResponse ValidateLocally(const v1::Policy& policy) {
  engine::PolicyDiagnostics diagnostics = engine::ValidatePolicy(ToPolicySpec(policy));
  v1::ValidatePolicyResponse response;
  AppendDiagnostics(diagnostics, &response);
  return response;
}

void PrintViolations(const std::string& source, const v1::ValidatePolicyResponse& result) {
  if (result.violations_size() > 0) {
    fprintf(stderr, "corsctl: %s has %d %s; nothing was applied:\n", source.c_str(),
            result.violations_size(), result.violations_size() == 1 ? "violation" : "violations");
    for (const auto& v : result.violations()) {
      fprintf(stderr, "  %s: %s\n", TerminalSafe(v.field()).c_str(),
              TerminalSafe(v.description()).c_str());
    }
  }
  for (const auto& w : result.warnings()) {
    fprintf(stderr, "warning: %s: %s\n", TerminalSafe(w.field()).c_str(),
            TerminalSafe(w.description()).c_str());
  }
}

absl::StatusOr<v1::Policy> LoadPolicyFile(const std::string& file) {
  absl::StatusOr<v1::Policy> policy = ReadPolicyFile(file);
  if (!policy.ok()) {
    fprintf(stderr, "corsctl: %s\n", TerminalSafe(policy.status().message()).c_str());
  }
  return policy;
}

std::string SourceName(const std::string& file) { return file == "-" ? "stdin" : file; }

}  // namespace corsd::cli
