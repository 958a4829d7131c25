// corsctl policy shadow set | get | report | promote | clear: try a candidate
// policy on real traffic before it answers anything.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/policy_checks.h"
#include "admin-cli/policy_file.h"
#include "admin-cli/shadow_report_view.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

struct ShadowFlags {
  std::string tenant;
  std::string file;
  std::string comment;
  int64_t expected_revision = -1;
  std::vector<std::string> servers;
};

int Set(CliContext* cli, const ShadowFlags& flags) {
  absl::StatusOr<v1::Policy> policy = LoadPolicyFile(flags.file);
  if (!policy.ok()) return kExitInvalid;
  v1::ValidatePolicyResponse local = ValidateLocally(*policy);
  if (local.violations_size() > 0) {
    PrintViolations(SourceName(flags.file), local);
    return kExitInvalid;
  }
  v1::PutShadowPolicyRequest request;
  request.set_tenant(flags.tenant);
  *request.mutable_policy() = *policy;
  request.set_comment(flags.comment);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::ShadowPolicy written;
  grpc::Status status = cli->AdminStub()->PutShadowPolicy(&context, request, &written);
  if (!status.ok()) return cli->Fail("policy shadow set", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(written).c_str());
  } else {
    printf(
        "shadow policy set for tenant %s: every decision is now also made with it, counting "
        "from %s\nsee what it would change with: corsctl policy shadow report %s\n",
        TerminalSafe(flags.tenant).c_str(), FormatTimestamp(written.updated_at()).c_str(),
        TerminalSafe(flags.tenant).c_str());
  }
  return kExitOk;
}

int Get(CliContext* cli, const ShadowFlags& flags) {
  v1::GetShadowPolicyRequest request;
  request.set_tenant(flags.tenant);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::ShadowPolicy shadow;
  grpc::Status status = cli->AdminStub()->GetShadowPolicy(&context, request, &shadow);
  if (!status.ok()) return cli->Fail("policy shadow get", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(shadow).c_str());
    return kExitOk;
  }
  // Only the Policy goes to stdout, so the output is a file `apply` accepts.
  printf("%s\n", PolicyToJson(shadow.policy()).c_str());
  fprintf(
      stderr, "# shadow policy of %s, set by %s at %s%s\n", TerminalSafe(shadow.tenant()).c_str(),
      TerminalSafe(shadow.updated_by()).c_str(), FormatTimestamp(shadow.updated_at()).c_str(),
      shadow.comment().empty() ? "" : TerminalSafe(absl::StrCat(": ", shadow.comment())).c_str());
  return kExitOk;
}

int Report(CliContext* cli, const ShadowFlags& flags) {
  std::vector<std::string> servers = flags.servers;
  if (servers.empty()) servers.push_back(cli->admin_address());
  std::vector<v1::ShadowReport> reports;
  for (const std::string& server : servers) {
    v1::GetShadowReportRequest request;
    request.set_tenant(flags.tenant);
    grpc::ClientContext context;
    cli->Prepare(&context);
    v1::ShadowReport report;
    grpc::Status status = cli->AdminStub(server)->GetShadowReport(&context, request, &report);
    if (!status.ok()) return cli->Fail(absl::StrCat("policy shadow report (", server, ")"), status);
    reports.push_back(std::move(report));
  }
  for (const v1::ShadowReport& report : reports) {
    if (report.since().seconds() != reports[0].since().seconds() ||
        report.since().nanos() != reports[0].since().nanos()) {
      fprintf(stderr,
              "warning: %s counts since %s and %s since %s: a replica has not caught up with the "
              "newest shadow yet, so the sum mixes two shadows; ask again in a moment\n",
              TerminalSafe(reports[0].replica()).c_str(),
              FormatTimestamp(reports[0].since()).c_str(), TerminalSafe(report.replica()).c_str(),
              FormatTimestamp(report.since()).c_str());
      break;
    }
  }
  v1::ShadowReport merged = MergeShadowReports(reports);
  if (cli->json()) {
    printf("%s\n", MessageToJson(merged).c_str());
    return kExitOk;
  }
  printf("shadow policy of %s, counting since %s (%s)\n", TerminalSafe(flags.tenant).c_str(),
         FormatTimestamp(merged.since()).c_str(), TerminalSafe(merged.replica()).c_str());
  fputs(RenderShadowReport(merged, "decisions").c_str(), stdout);
  return kExitOk;
}

int Promote(CliContext* cli, const ShadowFlags& flags) {
  v1::PromoteShadowPolicyRequest request;
  request.set_tenant(flags.tenant);
  if (flags.expected_revision >= 0) request.set_expected_revision(flags.expected_revision);
  request.set_comment(flags.comment);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::PolicyVersion written;
  grpc::Status status = cli->AdminStub()->PromoteShadowPolicy(&context, request, &written);
  if (!status.ok()) return cli->Fail("policy shadow promote", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(written).c_str());
  } else {
    printf(
        "promoted the shadow policy of %s: it is revision %lld and answers now; the shadow "
        "is cleared\n",
        TerminalSafe(flags.tenant).c_str(), static_cast<long long>(written.revision()));
  }
  return kExitOk;
}

int Clear(CliContext* cli, const ShadowFlags& flags) {
  v1::DeleteShadowPolicyRequest request;
  request.set_tenant(flags.tenant);
  grpc::ClientContext context;
  cli->Prepare(&context);
  google::protobuf::Empty empty;
  grpc::Status status = cli->AdminStub()->DeleteShadowPolicy(&context, request, &empty);
  if (!status.ok()) return cli->Fail("policy shadow clear", status);
  if (!cli->json()) printf("cleared the shadow policy of %s\n", TerminalSafe(flags.tenant).c_str());
  return kExitOk;
}

}  // namespace

void AddPolicyShadowCommands(CLI::App* policy, CliContext* cli, Runner* run) {
  CLI::App* shadow = policy->add_subcommand(
      "shadow",
      "Try a candidate policy on real traffic: it is decided beside the active policy on every\n"
      "request (answering nothing) and counted, so you see whom a change would break first.\n\n"
      "  corsctl policy shadow set shop -f candidate.yaml\n"
      "  corsctl policy shadow report shop\n"
      "  corsctl policy shadow promote shop --expected-revision 7");
  shadow->require_subcommand(1);
  auto flags = std::make_shared<ShadowFlags>();
  auto tenant_arg = [&](CLI::App* sub) {
    sub->add_option("tenant", flags->tenant, "tenant name")->required();
  };

  CLI::App* set = shadow->add_subcommand(
      "set",
      "Validate a policy file (tests included) and make it the tenant's shadow policy.\n"
      "Counting starts from zero.");
  tenant_arg(set);
  set->add_option("-f,--file", flags->file, "policy file (JSON or YAML), - for stdin")->required();
  set->add_option("--comment", flags->comment, "why, recorded with the shadow");
  set->callback([=] { *run = [=] { return Set(cli, *flags); }; });

  CLI::App* get = shadow->add_subcommand("get", "Print the tenant's shadow policy as JSON.");
  tenant_arg(get);
  get->callback([=] { *run = [=] { return Get(cli, *flags); }; });

  CLI::App* report = shadow->add_subcommand(
      "report",
      "What the shadow would change: counts by verdict change and reason with their share of\n"
      "all decisions, then the newest requests it would answer differently. With several\n"
      "--server, the replicas' reports are summed.\n\n"
      "Example:\n  corsctl policy shadow report shop --server corsd-1:50052 --server "
      "corsd-2:50052");
  tenant_arg(report);
  report->add_option("--server", flags->servers,
                     "admin address of a replica to ask (repeat for each; default: the global "
                     "--server)");
  report->callback([=] { *run = [=] { return Report(cli, *flags); }; });

  CLI::App* promote = shadow->add_subcommand(
      "promote", "Make the shadow the tenant's next policy revision and clear it.");
  tenant_arg(promote);
  promote->add_option("--expected-revision", flags->expected_revision,
                      "fail (exit 4, shadow kept) unless the tenant is at this revision");
  promote->add_option("--comment", flags->comment, "why, recorded with the revision");
  promote->callback([=] { *run = [=] { return Promote(cli, *flags); }; });

  CLI::App* clear = shadow->add_subcommand("clear", "Remove the tenant's shadow policy.");
  tenant_arg(clear);
  clear->callback([=] { *run = [=] { return Clear(cli, *flags); }; });
}

}  // namespace corsd::cli
