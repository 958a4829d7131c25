#include "admin-cli/policy_diff.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "admin-cli/text_table.h"
#include "google/protobuf/util/message_differencer.h"

namespace corsd::cli {
namespace {

using Rules = std::map<std::string, const v1::CorsRule*>;

Rules ByPrefix(const v1::Policy& policy) {
  Rules rules;
  for (const v1::CorsRule& rule : policy.rules()) rules[rule.path_prefix()] = &rule;
  return rules;
}

std::string RuleName(const std::string& prefix) {
  return prefix.empty() ? "rule \"\" (default)" : absl::StrCat("rule \"", prefix, "\"");
}

void DiffList(const char* name, const google::protobuf::RepeatedPtrField<std::string>& before,
              const google::protobuf::RepeatedPtrField<std::string>& after,
              std::vector<DiffLine>* out) {
  std::set<std::string> old_set(before.begin(), before.end());
  std::set<std::string> new_set(after.begin(), after.end());
  for (const std::string& item : after) {
    if (!old_set.contains(item)) out->push_back({'+', 1, absl::StrCat(name, ": ", item)});
  }
  for (const std::string& item : before) {
    if (!new_set.contains(item)) out->push_back({'-', 1, absl::StrCat(name, ": ", item)});
  }
}

std::string Show(int32_t value) { return absl::StrCat(value); }
std::string Show(bool value) { return value ? "true" : "false"; }

template <typename T>
void DiffScalar(const char* name, T before, T after, std::vector<DiffLine>* out) {
  if (before != after) {
    out->push_back({'~', 1, absl::StrCat(name, ": ", Show(before), " -> ", Show(after))});
  }
}

// Field lines for `after` compared with `before` (an empty rule for new ones).
std::vector<DiffLine> DiffRule(const v1::CorsRule& before, const v1::CorsRule& after) {
  std::vector<DiffLine> lines;
  DiffList("allowed_origins", before.allowed_origins(), after.allowed_origins(), &lines);
  DiffList("allowed_methods", before.allowed_methods(), after.allowed_methods(), &lines);
  DiffList("allowed_headers", before.allowed_headers(), after.allowed_headers(), &lines);
  DiffList("exposed_headers", before.exposed_headers(), after.exposed_headers(), &lines);
  DiffScalar("allow_credentials", before.allow_credentials(), after.allow_credentials(), &lines);
  DiffScalar("max_age_seconds", before.max_age_seconds(), after.max_age_seconds(), &lines);
  DiffScalar("allow_private_network", before.allow_private_network(), after.allow_private_network(),
             &lines);
  DiffScalar("preflight_status", before.preflight_status(), after.preflight_status(), &lines);
  return lines;
}

std::string TestName(const std::string& name) { return absl::StrCat("test \"", name, "\""); }

// Tests are matched by name; a test whose request or expectation changed is
// one '~' line (its content is in the file).
void DiffTests(const v1::Policy& before, const v1::Policy& after, std::vector<DiffLine>* out) {
  std::map<std::string, const v1::PolicyTest*> old_tests;
  for (const v1::PolicyTest& test : before.tests()) old_tests[test.name()] = &test;
  std::set<std::string> new_names;
  for (const v1::PolicyTest& test : after.tests()) {
    new_names.insert(test.name());
    auto old = old_tests.find(test.name());
    if (old == old_tests.end()) {
      out->push_back({'+', 0, TestName(test.name())});
    } else if (!google::protobuf::util::MessageDifferencer::Equals(*old->second, test)) {
      out->push_back({'~', 0, TestName(test.name())});
    }
  }
  for (const v1::PolicyTest& test : before.tests()) {
    if (!new_names.contains(test.name())) out->push_back({'-', 0, TestName(test.name())});
  }
}

}  // namespace

std::vector<DiffLine> DiffPolicies(const v1::Policy& before, const v1::Policy& after) {
  const Rules old_rules = ByPrefix(before);
  const Rules new_rules = ByPrefix(after);
  std::vector<DiffLine> out;
  for (const auto& [prefix, rule] : new_rules) {
    auto old = old_rules.find(prefix);
    std::vector<DiffLine> fields =
        DiffRule(old == old_rules.end() ? v1::CorsRule() : *old->second, *rule);
    if (old == old_rules.end()) {
      out.push_back({'+', 0, RuleName(prefix)});
    } else if (!fields.empty()) {
      out.push_back({'~', 0, RuleName(prefix)});
    }
    out.insert(out.end(), fields.begin(), fields.end());
  }
  for (const auto& [prefix, rule] : old_rules) {
    if (!new_rules.contains(prefix)) out.push_back({'-', 0, RuleName(prefix)});
  }
  DiffTests(before, after, &out);
  return out;
}

std::string RenderDiff(const std::vector<DiffLine>& lines, bool color) {
  std::string out;
  for (const DiffLine& line : lines) {
    const char* start = "";
    const char* end = "";
    if (color) {
      start = line.kind == '+' ? "\033[32m" : line.kind == '-' ? "\033[31m" : "\033[33m";
      end = "\033[0m";
    }
    // The text is policy content as the server sent it: escaped, so that it
    // can never drive the terminal.
    absl::StrAppend(&out, start, std::string(line.depth * 4, ' '), std::string(1, line.kind), " ",
                    TerminalSafe(line.text), end, "\n");
  }
  return out;
}

}  // namespace corsd::cli
