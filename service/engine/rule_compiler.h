// CompileRule turns one RuleSpec into a CompiledRule while checking every
// field, so that what is validated is exactly what gets compiled. Problems
// are appended to `diagnostics` under `field` (e.g. "rules[3]"); the returned
// rule is only meaningful when no violation was added.
//
// Policy-wide checks (rule count, duplicate prefixes, the total origin limit)
// live in policy_compiler.cc.
#ifndef CORSD_SERVICE_ENGINE_RULE_COMPILER_H_
#define CORSD_SERVICE_ENGINE_RULE_COMPILER_H_

#include "absl/strings/string_view.h"
#include "service/engine/compiled_rule.h"
#include "service/engine/diagnostics.h"
#include "service/engine/origin_matcher.h"
#include "service/engine/policy_spec.h"

namespace corsd::engine {

struct RuleCompileOptions {
  // False when the policy is already over the total-origin limit: the
  // origins are then not parsed at all (the limit violation says why).
  bool compile_origins = true;
  // False for a policy that was stored before: entries no browser can match
  // (origin_reachability.h) are then skipped with a warning instead of being
  // violations, so a stricter build never turns a stored policy into deny-all.
  bool refuse_unreachable_entries = true;
  // Where the exact origins may be viewed instead of copied (see
  // OriginMatcher::Build); null to copy them.
  const BorrowableText* origin_text = nullptr;
};

CompiledRule CompileRule(const RuleSpec& spec, absl::string_view field,
                         const RuleCompileOptions& options, PolicyDiagnostics* diagnostics);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_RULE_COMPILER_H_
