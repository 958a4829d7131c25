#include "service/engine/origin_sets.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/engine/limits.h"
#include "service/engine/policy_compiler.h"
#include "service/engine/policy_spec.h"

namespace corsd::engine {
namespace {

constexpr absl::string_view kRuleOriginsField = "rules[0].allowed_origins[";

// "rules[0].allowed_origins[k]..." -> "origins[i]..." where i = index_of[k];
// other fields unchanged.
std::string SetField(const std::string& field, const std::vector<size_t>& index_of) {
  if (!absl::StartsWith(field, kRuleOriginsField)) return field;
  absl::string_view rest = absl::string_view(field).substr(kRuleOriginsField.size());
  const size_t close = rest.find(']');
  size_t k = 0;
  if (close == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, close), &k) ||
      k >= index_of.size()) {
    return field;
  }
  return absl::StrCat("origins[", index_of[k], rest.substr(close));
}

}  // namespace

PolicyDiagnostics ValidateOriginSetOrigins(const std::vector<std::string>& origins) {
  PolicyDiagnostics diagnostics;
  if (origins.size() > kMaxOriginsPerSet) {
    diagnostics.AddViolation(
        "origins", absl::StrCat("has ", origins.size(), " entries; an origin set holds at most ",
                                kMaxOriginsPerSet, ": split it in two"));
    return diagnostics;
  }
  // Validated as the only rule of a new policy: the same messages, the same
  // refusal of entries no browser sends.
  PolicySpec spec;
  RuleSpec& rule = spec.rules.emplace_back();
  rule.allowed_origins.reserve(origins.size());
  std::vector<size_t> index_of;  // rule entry -> set entry
  index_of.reserve(origins.size());
  for (size_t i = 0; i < origins.size(); ++i) {
    if (IsOriginSetReference(origins[i])) {
      diagnostics.AddViolation(absl::StrCat("origins[", i, "]"),
                               absl::StrCat(QuoteForMessage(origins[i]),
                                            " refers to another origin set; sets do not nest: "
                                            "list its origins here, or reference both sets from "
                                            "the policy"));
      continue;
    }
    rule.allowed_origins.push_back(origins[i]);
    index_of.push_back(i);
  }
  const PolicyDiagnostics found = ValidatePolicy(spec);
  for (const FieldViolation& v : found.violations) {
    diagnostics.AddViolation(SetField(v.field, index_of), v.description);
  }
  for (const FieldViolation& w : found.warnings) {
    // The set alone is not a rule: "no origins" and the like say nothing.
    if (absl::StartsWith(w.field, kRuleOriginsField)) {
      diagnostics.AddWarning(SetField(w.field, index_of), w.description);
    }
  }
  // Counts of what the engine left unlisted.
  diagnostics.violation_count += found.violation_count - found.violations.size();
  return diagnostics;
}

}  // namespace corsd::engine
