// CompiledPolicy is a tenant's policy in the form the decision path reads:
// every rule compiled (see compiled_rule.h) and ordered for longest-prefix
// selection. It is immutable once built, so it is shared across threads as
// std::shared_ptr<const CompiledPolicy> and replaced, never modified, when a
// new revision arrives. Build one with CompilePolicy() (policy_compiler.h).
//
//   const CompiledRule* rule = policy->SelectRule("/api/users");
#ifndef CORSD_SERVICE_ENGINE_COMPILED_POLICY_H_
#define CORSD_SERVICE_ENGINE_COMPILED_POLICY_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "service/engine/compiled_rule.h"

namespace corsd::engine {

class CompiledPolicy {
 public:
  // A policy without rules: denies every cross-origin request. Tenants that
  // have no policy yet are served by Empty(0).
  static std::shared_ptr<const CompiledPolicy> Empty(int64_t revision);

  // Assembles a policy from rules the compiler produced; orders them for
  // SelectRule.
  static std::shared_ptr<const CompiledPolicy> FromRules(int64_t revision,
                                                         std::vector<CompiledRule> rules);

  // The same rules under another revision number, without copying them: the
  // server validates and compiles a policy before the store assigns its
  // revision.
  std::shared_ptr<const CompiledPolicy> WithRevision(int64_t revision) const;

  // The rule with the longest path_prefix covering `path` (see
  // CompiledRule::MatchesPath), or null when no rule does.
  const CompiledRule* SelectRule(absl::string_view path) const;

  // The rule SelectRule returns for every path, when the path does not
  // matter (no rules: null; one rule without a path_prefix: that rule);
  // otherwise `found` is false. Lets a caller that only needs the rule skip
  // reading the path.
  struct AnyPathRule {
    bool found = false;
    const CompiledRule* rule = nullptr;
  };
  AnyPathRule RuleForEveryPath() const { return any_path_rule_; }

  int64_t revision() const { return revision_; }
  size_t rule_count() const { return rules_->size(); }

 private:
  using RuleTable = std::vector<CompiledRule>;  // longest path_prefix first
  CompiledPolicy(int64_t revision, std::shared_ptr<const RuleTable> rules)
      : revision_(revision), rules_(std::move(rules)) {
    if (rules_->empty()) any_path_rule_ = {.found = true, .rule = nullptr};
    if (rules_->size() == 1 && rules_->front().path_prefix.empty()) {
      any_path_rule_ = {.found = true, .rule = &rules_->front()};
    }
  }

  int64_t revision_ = 0;
  std::shared_ptr<const RuleTable> rules_;
  AnyPathRule any_path_rule_;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_COMPILED_POLICY_H_
