#include "service/convert/origin_set_resolution.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/convert/policy_convert.h"
#include "service/engine/limits.h"
#include "service/engine/origin_sets.h"
#include "service/engine/tenant_names.h"

namespace corsd {
namespace {

std::string OriginField(size_t rule, size_t index) {
  return absl::StrCat("rules[", rule, "].allowed_origins[", index, "]");
}

// A violation of the resolved policy, named as in the written one.
engine::FieldViolation ToWritten(const PolicyResolution& resolution,
                                 const engine::FieldViolation& violation) {
  // "rules[R].allowed_origins[K]<rest>"
  absl::string_view field = violation.field;
  size_t rule = 0;
  size_t index = 0;
  if (!absl::ConsumePrefix(&field, "rules[")) return violation;
  const size_t rule_end = field.find(']');
  if (rule_end == absl::string_view::npos || !absl::SimpleAtoi(field.substr(0, rule_end), &rule)) {
    return violation;
  }
  field.remove_prefix(rule_end + 1);
  if (!absl::ConsumePrefix(&field, ".allowed_origins[")) return violation;
  const size_t index_end = field.find(']');
  if (index_end == absl::string_view::npos ||
      !absl::SimpleAtoi(field.substr(0, index_end), &index) || rule >= resolution.sources.size() ||
      index >= resolution.sources[rule].size()) {
    return violation;
  }
  field.remove_prefix(index_end + 1);
  const PolicyResolution::Source& source = resolution.sources[rule][index];
  engine::FieldViolation written{
      .field = absl::StrCat(OriginField(rule, source.written_index), field),
      .description = violation.description};
  if (!source.set.empty()) {
    written.description =
        absl::StrCat("(from origin set \"", source.set, "\") ", violation.description);
  }
  return written;
}

}  // namespace

PolicyResolution ResolveOriginSets(const v1::Policy& policy, OriginSetLookup lookup) {
  PolicyResolution resolution;
  absl::flat_hash_set<std::string> names;
  for (const v1::CorsRule& rule : policy.rules()) {
    for (const std::string& entry : rule.allowed_origins()) {
      if (engine::IsOriginSetReference(entry)) {
        names.emplace(engine::ReferencedSetName(entry));
      }
    }
  }
  if (names.empty()) return resolution;
  resolution.set_names.assign(names.begin(), names.end());
  std::sort(resolution.set_names.begin(), resolution.set_names.end());

  v1::Policy& resolved = resolution.resolved.emplace(policy);
  resolution.sources.resize(policy.rules_size());
  // Expansion is bounded before anything is built: a policy of many
  // references to a large set must not become millions of strings.
  size_t origins_left = engine::kMaxOriginsPerPolicy;
  bool over = false;
  for (int r = 0; r < policy.rules_size(); ++r) {
    const v1::CorsRule& written = policy.rules(r);
    v1::CorsRule& rule = *resolved.mutable_rules(r);
    rule.clear_allowed_origins();
    std::vector<PolicyResolution::Source>& sources = resolution.sources[r];
    absl::flat_hash_set<absl::string_view> listed;
    absl::flat_hash_set<absl::string_view> expanded;  // sets of this rule
    auto add = [&](const std::string& origin, size_t written_index, absl::string_view set) {
      // Listed twice (directly and in a set, or in two sets): once is enough.
      if (!listed.insert(origin).second) return;
      rule.add_allowed_origins(origin);
      sources.push_back({.written_index = written_index, .set = std::string(set)});
    };
    for (int i = 0; i < written.allowed_origins_size(); ++i) {
      const std::string& entry = written.allowed_origins(i);
      if (!engine::IsOriginSetReference(entry)) {
        add(entry, i, "");
        continue;
      }
      const absl::string_view name = engine::ReferencedSetName(entry);
      if (absl::Status bad = engine::ValidateOriginSetName(name); !bad.ok()) {
        resolution.reference_violations.AddViolation(
            OriginField(r, i), absl::StrCat(engine::QuoteForMessage(entry),
                                            " is not an origin set reference: ", bad.message()));
        continue;
      }
      if (!expanded.insert(name).second) continue;  // referenced twice in the rule
      const std::vector<std::string>* origins = lookup(name);
      if (origins != nullptr && origins->size() > origins_left) {
        if (!over) {
          resolution.reference_violations.AddViolation(
              OriginField(r, i), absl::StrCat("resolving the policy's origin sets gives more than ",
                                              engine::kMaxOriginsPerPolicy,
                                              " origins; reference fewer or smaller sets"));
        }
        over = true;
        continue;
      }
      if (origins == nullptr) {
        resolution.reference_violations.AddViolation(
            OriginField(r, i),
            absl::StrCat("origin set \"", name,
                         "\" does not exist; create it first (corsctl originset apply ", name,
                         " -f FILE, or a `kind: OriginSet` document in corsctl apply)"));
        continue;
      }
      origins_left -= origins->size();
      for (const std::string& origin : *origins) add(origin, i, name);
    }
  }
  return resolution;
}

ResolvedCompilation CompileWithOriginSets(const v1::Policy& policy, OriginSetLookup lookup) {
  ResolvedCompilation result;
  result.resolution = ResolveOriginSets(policy, lookup);
  const PolicyResolution& resolution = result.resolution;
  engine::PolicyCompilation compiled =
      engine::CompilePolicy(ToPolicySpec(DecidingPolicy(policy, resolution)), 0);
  if (!resolution.resolved.has_value()) {
    result.compilation = std::move(compiled);
    return result;
  }
  // Every violation named as written: references first, then the rest.
  engine::PolicyDiagnostics& diagnostics = result.compilation.diagnostics;
  diagnostics = resolution.reference_violations;
  for (const engine::FieldViolation& v : compiled.diagnostics.violations) {
    const engine::FieldViolation written = ToWritten(resolution, v);
    diagnostics.AddViolation(written.field, written.description);
  }
  for (const engine::FieldViolation& w : compiled.diagnostics.warnings) {
    const engine::FieldViolation written = ToWritten(resolution, w);
    diagnostics.AddWarning(written.field, written.description);
  }
  diagnostics.violation_count +=
      compiled.diagnostics.violation_count - compiled.diagnostics.violations.size();
  diagnostics.warning_count +=
      compiled.diagnostics.warning_count - compiled.diagnostics.warnings.size();
  if (diagnostics.ok()) result.compilation.policy = std::move(compiled.policy);
  result.compilation.test_results = std::move(compiled.test_results);
  return result;
}

}  // namespace corsd
