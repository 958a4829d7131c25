// corsctl policy test -f FILE: runs a policy's own tests with this corsctl's
// engine, without a server or a token, so a CI job can gate a policy change.
#include <cstdio>
#include <memory>
#include <string>

#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/policy_checks.h"
#include "admin-cli/text_table.h"
#include "nlohmann/json.hpp"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"

namespace corsd::cli {
namespace {

struct TestFlags {
  std::string file;
  std::string origin_sets;  // a fleet directory or file with OriginSet documents
  bool explain = false;
};

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
  LocalCandidate candidate;
  if (int code = CompileLocalCandidate(flags.file, flags.origin_sets, &candidate);
      code != kExitOk) {
    if (code == kExitUsage) {
      fprintf(stderr, "corsctl: or let the server run the tests: corsctl policy validate -f %s\n",
              SourceName(flags.file).c_str());
    }
    return code;
  }
  const engine::PolicySpec spec = ToPolicySpec(candidate.policy);
  const engine::PolicyCompilation& compiled = candidate.resolved.compilation;
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
