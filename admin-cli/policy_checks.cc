#include "admin-cli/policy_checks.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "admin-cli/policy_file.h"
#include "admin-cli/text_table.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"

namespace corsd::cli {

v1::ValidatePolicyResponse ValidateLocally(const v1::Policy& policy, const OriginSetMap* sets) {
  v1::ValidatePolicyResponse response;
  if (sets != nullptr) {
    AppendDiagnostics(CompileWithOriginSets(policy, MapLookup(*sets)).compilation.diagnostics,
                      &response);
    return response;
  }
  static const std::vector<std::string> kUnknownHere;
  auto trusted = [](absl::string_view) { return &kUnknownHere; };
  if (ResolveOriginSets(policy, trusted).set_names.empty()) {
    AppendDiagnostics(engine::ValidatePolicy(ToPolicySpec(policy)), &response);
    return response;
  }
  // The rules, with each reference standing for a set of origins this
  // corsctl does not know; the tests need them, so the server runs those.
  v1::Policy rules = policy;
  rules.clear_tests();
  engine::PolicyDiagnostics diagnostics =
      CompileWithOriginSets(rules, trusted).compilation.diagnostics;
  // "No origins" is no news for a rule that lists only references.
  std::erase_if(diagnostics.warnings, [](const engine::FieldViolation& w) {
    return absl::EndsWith(w.field, ".allowed_origins");
  });
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
