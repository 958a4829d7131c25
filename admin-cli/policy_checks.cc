#include "admin-cli/policy_checks.h"

#include <cstdio>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/fleet_documents.h"
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

namespace {

// The OriginSet documents under `path`; prints why on stderr when unreadable.
std::optional<OriginSetMap> LoadOriginSets(const std::string& path) {
  FleetRead read = ReadFleet(path);
  for (const std::string& error : read.errors) {
    fprintf(stderr, "corsctl: %s\n", TerminalSafe(error).c_str());
  }
  if (!read.errors.empty()) return std::nullopt;
  OriginSetMap sets;
  for (const FleetDocument& document : read.documents) {
    if (document.kind != FleetDocument::Kind::kOriginSet) continue;
    sets[document.set.name()].assign(document.set.origins().begin(), document.set.origins().end());
  }
  return sets;
}

}  // namespace

int CompileLocalCandidate(const std::string& file, const std::string& origin_sets_path,
                          LocalCandidate* out) {
  absl::StatusOr<v1::Policy> policy = LoadPolicyFile(file);
  if (!policy.ok()) return kExitInvalid;
  OriginSetMap sets;
  if (!origin_sets_path.empty()) {
    std::optional<OriginSetMap> loaded = LoadOriginSets(origin_sets_path);
    if (!loaded.has_value()) return kExitInvalid;
    sets = *std::move(loaded);
  }
  // Decided with the policy resolved against the sets, as corsd will.
  out->resolved = CompileWithOriginSets(*policy, MapLookup(sets));
  out->policy = *std::move(policy);
  if (!out->resolved.resolution.set_names.empty() && origin_sets_path.empty()) {
    fprintf(stderr,
            "corsctl: %s references origin sets (@%s); give their documents with "
            "--origin-sets DIR (corsctl export writes them)\n",
            SourceName(file).c_str(),
            TerminalSafe(absl::StrJoin(out->resolved.resolution.set_names, ", @")).c_str());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace corsd::cli
