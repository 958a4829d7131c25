#include "service/engine/policy_compiler.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "service/engine/limits.h"
#include "service/engine/policy_tests.h"
#include "service/engine/rule_compiler.h"

namespace corsd::engine {

PolicyCompilation CompilePolicy(const PolicySpec& spec, int64_t revision, PolicySource source,
                                const BorrowableText* origin_text) {
  PolicyCompilation result;
  PolicyDiagnostics& diagnostics = result.diagnostics;

  if (spec.rules.empty()) {
    diagnostics.AddWarning("rules", "is empty, so every cross-origin request is denied");
  }
  if (spec.rules.size() > kMaxRules) {
    diagnostics.AddViolation("rules", absl::StrCat("has more than ", kMaxRules, " rules; at most ",
                                                   kMaxRules, " are allowed"));
    return result;
  }

  size_t total_origins = 0;
  for (const RuleSpec& rule : spec.rules) total_origins += rule.allowed_origins.size();
  RuleCompileOptions options;
  options.refuse_unreachable_entries = source == PolicySource::kNew;
  options.origin_text = origin_text;
  if (total_origins > kMaxOriginsPerPolicy) {
    diagnostics.AddViolation(
        "rules", absl::StrCat("list ", total_origins, " allowed_origins in total; at most ",
                              kMaxOriginsPerPolicy,
                              " are allowed (use subdomain wildcards such "
                              "as \"https://*.example.com\")"));
    options.compile_origins = false;
  }

  std::vector<CompiledRule> rules;
  rules.reserve(spec.rules.size());
  absl::flat_hash_map<absl::string_view, size_t> prefixes;
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    const std::string field = absl::StrCat("rules[", i, "]");
    const RuleSpec& rule = spec.rules[i];
    if (auto [it, inserted] = prefixes.emplace(rule.path_prefix, i); !inserted) {
      diagnostics.AddViolation(
          absl::StrCat(field, ".path_prefix"),
          absl::StrCat(QuoteForMessage(rule.path_prefix), " is already the prefix of rules[",
                       it->second, "]; merge the two rules"));
    }
    rules.push_back(CompileRule(rule, field, options, &diagnostics));
  }

  // A stored policy's tests passed when it was written; they say nothing
  // about how it decides, so loading it does not run them again.
  const bool run_tests = source == PolicySource::kNew;
  if (run_tests) CheckPolicyTests(spec.tests, &diagnostics);
  if (!diagnostics.ok()) return result;

  std::shared_ptr<const CompiledPolicy> policy =
      CompiledPolicy::FromRules(revision, std::move(rules));
  if (run_tests) {
    result.test_results = RunPolicyTests(spec.tests, *policy);
    for (size_t i = 0; i < result.test_results.size(); ++i) {
      if (result.test_results[i].passed) continue;
      diagnostics.AddViolation(absl::StrCat("tests[", i, "]"),
                               PolicyTestFailure(result.test_results[i]));
    }
  }
  if (diagnostics.ok()) result.policy = std::move(policy);
  return result;
}

PolicyDiagnostics ValidatePolicy(const PolicySpec& spec) {
  return CompilePolicy(spec, 0).diagnostics;
}

}  // namespace corsd::engine
