// corsctl policy test -f FILE: runs a policy's own tests with this corsctl's
// engine, without a server or a token, so a CI job can gate a policy change.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_join.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/fleet_documents.h"
#include "admin-cli/policy_checks.h"
#include "admin-cli/text_table.h"
#include "nlohmann/json.hpp"
#include "service/convert/origin_set_resolution.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"

namespace corsd::cli {
namespace {

struct TestFlags {
  std::string file;
  std::string origin_sets;  // a fleet directory or file with OriginSet documents
  bool explain = false;
};

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

nlohmann::json ResultsJson(const engine::PolicyCompilation& compiled) {
  nlohmann::json out = {{"passed", 0}, {"failed", 0}, {"tests", nlohmann::json::array()}};
  for (const engine::PolicyTestResult& r : compiled.test_results) {
    nlohmann::json test = {{"name", r.name}, {"passed", r.passed}};
    if (!r.passed) {
      test["mismatch"] = r.mismatch;
      test["trace"] = r.trace;
    }
    out["tests"].push_back(std::move(test));
    out[r.passed ? "passed" : "failed"] = out[r.passed ? "passed" : "failed"].get<int>() + 1;
  }
  return out;
}

int Test(CliContext* cli, const TestFlags& flags) {
  absl::StatusOr<v1::Policy> policy = LoadPolicyFile(flags.file);
  if (!policy.ok()) return kExitInvalid;
  OriginSetMap sets;
  if (!flags.origin_sets.empty()) {
    std::optional<OriginSetMap> loaded = LoadOriginSets(flags.origin_sets);
    if (!loaded.has_value()) return kExitInvalid;
    sets = *std::move(loaded);
  }
  // The tests decide with the policy resolved against the sets, as corsd will.
  const ResolvedCompilation resolved = CompileWithOriginSets(*policy, MapLookup(sets));
  if (!resolved.resolution.set_names.empty() && flags.origin_sets.empty()) {
    fprintf(stderr,
            "corsctl: %s references origin sets (@%s); give their documents with "
            "--origin-sets DIR (corsctl export writes them), or let the server run the tests "
            "with corsctl policy validate\n",
            SourceName(flags.file).c_str(),
            TerminalSafe(absl::StrJoin(resolved.resolution.set_names, ", @")).c_str());
    return kExitUsage;
  }
  const engine::PolicySpec spec = ToPolicySpec(*policy);
  const engine::PolicyCompilation& compiled = resolved.compilation;
  // The tests ran when the rules compiled and the tests are well-formed;
  // anything else is a violation to fix first.
  const bool ran = compiled.test_results.size() == spec.tests.size();
  if (!ran || (spec.tests.empty() && !compiled.diagnostics.ok())) {
    v1::ValidatePolicyResponse result;
    AppendDiagnostics(compiled.diagnostics, &result);
    if (cli->json()) {
      printf("%s\n", MessageToJson(result).c_str());
    } else {
      PrintViolations(SourceName(flags.file), result);
      fprintf(stderr, "corsctl: the tests did not run; fix the violations above first\n");
    }
    return kExitInvalid;
  }
  size_t failed = 0;
  for (const engine::PolicyTestResult& r : compiled.test_results) failed += r.passed ? 0 : 1;
  if (cli->json()) {
    printf("%s\n", ResultsJson(compiled).dump(2).c_str());
    return failed == 0 ? kExitOk : kExitInvalid;
  }
  for (const engine::PolicyTestResult& r : compiled.test_results) {
    if (r.passed) {
      printf("PASS %s\n", TerminalSafe(r.name).c_str());
      continue;
    }
    printf("FAIL %s: %s\n", TerminalSafe(r.name).c_str(), TerminalSafe(r.mismatch).c_str());
    if (flags.explain) printf("    trace: %s\n", TerminalSafe(r.trace).c_str());
  }
  if (spec.tests.empty()) {
    fprintf(stderr,
            "note: %s has no tests; add some under `tests:` (see corsctl policy test "
            "--help)\n",
            SourceName(flags.file).c_str());
  } else {
    printf("%zu %s: %zu passed, %zu failed\n", spec.tests.size(),
           spec.tests.size() == 1 ? "test" : "tests", spec.tests.size() - failed, failed);
  }
  return failed == 0 ? kExitOk : kExitInvalid;
}

}  // namespace

void AddPolicyTestCommand(CLI::App* policy, CliContext* cli, Runner* run) {
  auto flags = std::make_shared<TestFlags>();
  CLI::App* test = policy->add_subcommand(
      "test",
      "Run a policy file's own tests locally (no server, no token); exit 1 when one fails.\n\n"
      "A test is a request and the verdict (and headers) it must get:\n"
      "  tests:\n"
      "    - name: app-may-put\n"
      "      request: {origin: https://app.example.com, method: OPTIONS,\n"
      "                headers: [{name: Access-Control-Request-Method, value: PUT}]}\n"
      "      expect: ALLOW\n"
      "      expectHeaders: [{name: Access-Control-Allow-Origin, value: "
      "https://app.example.com}]\n\n"
      "Example:\n  corsctl policy test -f shop.yaml --explain");
  test->add_option("-f,--file", flags->file, "policy file (JSON or YAML), - for stdin")->required();
  test->add_flag("--explain", flags->explain, "print the decision trace of each failing test");
  test->add_option("--origin-sets", flags->origin_sets,
                   "directory or file with the OriginSet documents the policy references "
                   "(@NAME), e.g. what corsctl export wrote");
  test->callback([=] { *run = [=] { return Test(cli, *flags); }; });
}

}  // namespace corsd::cli
