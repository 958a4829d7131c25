// corsctl policy replay -f CANDIDATE --log FILE...: what a candidate policy
// would have answered to logged traffic (corsd serve --decision-log),
// decided locally with this corsctl's engine: no server, no token.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/decision_replay.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/policy_checks.h"
#include "admin-cli/shadow_report_view.h"
#include "admin-cli/text_table.h"
#include "service/convert/policy_convert.h"
#include "service/engine/policy_compiler.h"

namespace corsd::cli {
namespace {

struct ReplayFlags {
  std::string file;
  std::vector<std::string> logs;
  std::string tenant;
  std::string origin_sets;  // a fleet directory or file with OriginSet documents
};

int Replay(CliContext* cli, const ReplayFlags& flags) {
  LocalCandidate candidate;
  if (int code = CompileLocalCandidate(flags.file, flags.origin_sets, &candidate);
      code != kExitOk) {
    return code;
  }
  const engine::PolicyCompilation& compiled = candidate.resolved.compilation;
  if (compiled.policy == nullptr) {
    v1::ValidatePolicyResponse result;
    AppendDiagnostics(compiled.diagnostics, &result);
    PrintViolations(SourceName(flags.file), result);
    return kExitInvalid;
  }
  DecisionReplay replay(compiled.policy, flags.tenant);
  const bool terminal = isatty(fileno(stderr)) != 0;
  for (const std::string& log : flags.logs) {
    auto progress = [&](int64_t read, int64_t size) {
      if (!terminal) return;
      fprintf(stderr, "\r%s: %.0f / %.0f MB (%.0f%%), %lld requests replayed", log.c_str(),
              static_cast<double>(read) / 1e6, static_cast<double>(size) / 1e6,
              size > 0 ? 100.0 * static_cast<double>(read) / static_cast<double>(size) : 100.0,
              static_cast<long long>(replay.replayed()));
      fflush(stderr);
    };
    absl::Status status = ReadLogLines(
        log, [&](absl::string_view line) { return replay.AddLine(line); }, progress);
    if (terminal) fputc('\n', stderr);
    if (!status.ok()) {
      fprintf(stderr, "corsctl: policy replay: %s\n", TerminalSafe(status.message()).c_str());
      return absl::IsFailedPrecondition(status) ? kExitUsage : kExitInvalid;
    }
  }
  v1::ShadowReport report = replay.Report();
  if (cli->json()) {
    printf("%s\n", MessageToJson(report).c_str());
    return kExitOk;
  }
  printf("replayed %s's logged requests with %s\n", TerminalSafe(replay.tenant()).c_str(),
         SourceName(flags.file).c_str());
  fputs(RenderShadowReport(report, "logged requests").c_str(), stdout);
  if (replay.skipped() > 0 || replay.other_tenants() > 0) {
    fprintf(stderr, "note: %lld unreadable lines and %lld lines of other tenants were skipped\n",
            static_cast<long long>(replay.skipped()),
            static_cast<long long>(replay.other_tenants()));
  }
  return kExitOk;
}

}  // namespace

void AddPolicyReplayCommand(CLI::App* policy, CliContext* cli, Runner* run) {
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* replay = policy->add_subcommand(
      "replay",
      "Decide logged requests (corsd serve --decision-log) with a candidate policy, locally,\n"
      "and show what would change, grouped as `policy shadow report` groups it.\n\n"
      "Example:\n  corsctl policy replay -f candidate.yaml --log /var/log/corsd/decisions.jsonl "
      "--log /var/log/corsd/decisions.jsonl.1 --tenant shop");
  replay->add_option("-f,--file", flags->file, "candidate policy file (JSON or YAML), - for stdin")
      ->required();
  replay->add_option("--log", flags->logs, "decision log file (repeat for several)")->required();
  replay->add_option("--tenant", flags->tenant,
                     "the tenant whose requests to replay (may be left out when the logs hold "
                     "one tenant only)");
  replay->add_option("--origin-sets", flags->origin_sets,
                     "directory or file with the OriginSet documents the candidate references "
                     "(@NAME), e.g. what corsctl export wrote");
  replay->callback([=] { *run = [=] { return Replay(cli, *flags); }; });
}

}  // namespace corsd::cli
