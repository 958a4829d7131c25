#include "service/engine/compiled_policy.h"

#include <algorithm>
#include <utility>

namespace corsd::engine {

std::shared_ptr<const CompiledPolicy> CompiledPolicy::Empty(int64_t revision) {
  return FromRules(revision, {});
}

std::shared_ptr<const CompiledPolicy> CompiledPolicy::FromRules(int64_t revision,
                                                                std::vector<CompiledRule> rules) {
  // Longest prefix first, so the first rule that covers a path is the most
  // specific one; prefixes are unique, so the order is total.
  std::sort(rules.begin(), rules.end(), [](const CompiledRule& a, const CompiledRule& b) {
    if (a.path_prefix.size() != b.path_prefix.size()) {
      return a.path_prefix.size() > b.path_prefix.size();
    }
    return a.path_prefix < b.path_prefix;
  });
  auto table = std::make_shared<const RuleTable>(std::move(rules));
  // make_shared, for one allocation with the reference count, needs a public
  // constructor; this local type lends it one.
  struct Constructible : CompiledPolicy {
    Constructible(int64_t revision, std::shared_ptr<const RuleTable> table)
        : CompiledPolicy(revision, std::move(table)) {}
  };
  return std::make_shared<const Constructible>(revision, std::move(table));
}

std::shared_ptr<const CompiledPolicy> CompiledPolicy::WithRevision(int64_t revision) const {
  return std::shared_ptr<const CompiledPolicy>(new CompiledPolicy(revision, rules_));
}

const CompiledRule* CompiledPolicy::SelectRule(absl::string_view path) const {
  // Policies hold few rules (at most kMaxRules), so a scan in length order is
  // both the simplest and, in practice, the fastest way to find the longest
  // covering prefix.
  for (const CompiledRule& rule : *rules_) {
    if (rule.MatchesPath(path)) return &rule;
  }
  return nullptr;
}

}  // namespace corsd::engine
