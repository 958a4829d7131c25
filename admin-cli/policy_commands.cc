// corsctl policy get | apply | validate | diff | history | rollback (and, from
// their own files, the policy subcommands registered at the end)
#include <cstdio>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/policy_checks.h"
#include "admin-cli/policy_diff.h"
#include "admin-cli/policy_file.h"
#include "admin-cli/text_table.h"
#include "google/protobuf/util/message_differencer.h"

namespace corsd::cli {
namespace {

struct PolicyFlags {
  std::string tenant;
  std::string file;
  int64_t expected_revision = -1;
  std::string comment;
  bool dry_run = false;
  int64_t to_revision = 0;
  int limit = 20;
};

// The server's verdict (it may run newer rules than this corsctl).
grpc::Status ValidateOnServer(CliContext* cli, const v1::Policy& policy,
                              v1::ValidatePolicyResponse* response) {
  v1::ValidatePolicyRequest request;
  *request.mutable_policy() = policy;
  grpc::ClientContext context;
  cli->Prepare(&context);
  return cli->AdminStub()->ValidatePolicy(&context, request, response);
}

// Current policy; revision 0 and an empty policy when the tenant has none.
grpc::Status CurrentPolicy(CliContext* cli, const std::string& tenant, v1::PolicyVersion* out) {
  v1::GetPolicyRequest request;
  request.set_tenant(tenant);
  grpc::ClientContext context;
  cli->Prepare(&context);
  grpc::Status status = cli->AdminStub()->GetPolicy(&context, request, out);
  if (status.error_code() != grpc::StatusCode::NOT_FOUND) return status;
  // NOT_FOUND is "no policy yet" only if the tenant exists.
  v1::GetTenantRequest get;
  get.set_name(tenant);
  grpc::ClientContext tenant_context;
  cli->Prepare(&tenant_context);
  v1::Tenant t;
  grpc::Status exists = cli->AdminStub()->GetTenant(&tenant_context, get, &t);
  if (!exists.ok()) return exists;
  out->Clear();
  out->set_tenant(tenant);
  return grpc::Status::OK;
}

absl::StatusOr<v1::Policy> LoadFile(const PolicyFlags& flags) { return LoadPolicyFile(flags.file); }

int Get(CliContext* cli, const PolicyFlags& flags) {
  v1::GetPolicyRequest request;
  request.set_tenant(flags.tenant);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::PolicyVersion version;
  grpc::Status status = cli->AdminStub()->GetPolicy(&context, request, &version);
  if (!status.ok()) return cli->Fail("policy get", status);
  // Only the Policy goes to stdout, so the output is a file `apply` accepts.
  printf("%s\n", PolicyToJson(version.policy()).c_str());
  fprintf(
      stderr, "# tenant %s, revision %lld, by %s at %s%s\n", TerminalSafe(version.tenant()).c_str(),
      static_cast<long long>(version.revision()), TerminalSafe(version.updated_by()).c_str(),
      FormatTimestamp(version.updated_at()).c_str(),
      version.comment().empty() ? "" : TerminalSafe(absl::StrCat(": ", version.comment())).c_str());
  return kExitOk;
}

int Validate(CliContext* cli, const PolicyFlags& flags) {
  absl::StatusOr<v1::Policy> policy = LoadFile(flags);
  if (!policy.ok()) return kExitInvalid;
  v1::ValidatePolicyResponse result = ValidateLocally(*policy);
  if (result.violations_size() == 0) {
    v1::ValidatePolicyResponse server;
    grpc::Status status = ValidateOnServer(cli, *policy, &server);
    if (status.ok()) {
      result = server;
    } else {
      fprintf(stderr, "note: server validation skipped (%s); local validation passed\n",
              TerminalSafe(status.error_message()).c_str());
    }
  }
  if (cli->json()) {
    printf("%s\n", MessageToJson(result).c_str());
  } else {
    PrintViolations(SourceName(flags.file), result);
    if (result.violations_size() == 0) printf("policy is valid\n");
  }
  return result.violations_size() == 0 ? kExitOk : kExitInvalid;
}

int Diff(CliContext* cli, const PolicyFlags& flags) {
  absl::StatusOr<v1::Policy> policy = LoadFile(flags);
  if (!policy.ok()) return kExitInvalid;
  v1::PolicyVersion current;
  grpc::Status status = CurrentPolicy(cli, flags.tenant, &current);
  if (!status.ok()) return cli->Fail("policy diff", status);
  std::vector<DiffLine> lines = DiffPolicies(current.policy(), *policy);
  if (lines.empty()) {
    printf("no changes against revision %lld\n", static_cast<long long>(current.revision()));
  } else {
    printf("changes against revision %lld:\n%s", static_cast<long long>(current.revision()),
           RenderDiff(lines, cli->color()).c_str());
  }
  return kExitOk;
}

int Apply(CliContext* cli, const PolicyFlags& flags) {
  absl::StatusOr<v1::Policy> policy = LoadFile(flags);
  if (!policy.ok()) return kExitInvalid;
  const std::string source = SourceName(flags.file);

  // 1. Validate here first (works offline, shows every violation), then on
  //    the server, whose rules are authoritative.
  v1::ValidatePolicyResponse local = ValidateLocally(*policy);
  if (local.violations_size() > 0) {
    PrintViolations(source, local);
    return kExitInvalid;
  }
  v1::ValidatePolicyResponse server;
  grpc::Status status = ValidateOnServer(cli, *policy, &server);
  if (!status.ok()) return cli->Fail("policy apply", status);
  PrintViolations(source, server);
  if (server.violations_size() > 0) return kExitInvalid;

  // 2. What would change.
  v1::PolicyVersion current;
  status = CurrentPolicy(cli, flags.tenant, &current);
  if (!status.ok()) return cli->Fail("policy apply", status);
  if (flags.expected_revision >= 0 && flags.expected_revision != current.revision()) {
    fprintf(stderr,
            "corsctl: policy apply: expected revision %lld but tenant %s is at revision %lld; "
            "review the changes (corsctl policy diff) and apply again\n",
            static_cast<long long>(flags.expected_revision), flags.tenant.c_str(),
            static_cast<long long>(current.revision()));
    return kExitConflict;
  }
  if (current.revision() > 0 &&
      google::protobuf::util::MessageDifferencer::Equals(current.policy(), *policy)) {
    printf("policy for %s is unchanged (revision %lld); nothing applied\n", flags.tenant.c_str(),
           static_cast<long long>(current.revision()));
    return kExitOk;
  }
  std::vector<DiffLine> lines = DiffPolicies(current.policy(), *policy);
  if (lines.empty()) {
    printf("only the order of entries changes (no change in behaviour)\n");
  } else {
    printf("%s", RenderDiff(lines, cli->color()).c_str());
  }
  if (flags.dry_run) {
    printf("dry run: nothing applied (tenant %s stays at revision %lld)\n", flags.tenant.c_str(),
           static_cast<long long>(current.revision()));
    return kExitOk;
  }

  // 3. Write, guarded by the revision the diff was made against, so a
  //    concurrent change is never silently overwritten.
  v1::PutPolicyRequest request;
  request.set_tenant(flags.tenant);
  *request.mutable_policy() = *policy;
  request.set_expected_revision(current.revision());
  request.set_comment(flags.comment);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::PolicyVersion written;
  status = cli->AdminStub()->PutPolicy(&context, request, &written);
  if (!status.ok()) return cli->Fail("policy apply", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(written).c_str());
  } else {
    printf("applied revision %lld to tenant %s\n", static_cast<long long>(written.revision()),
           flags.tenant.c_str());
  }
  return kExitOk;
}

int History(CliContext* cli, const PolicyFlags& flags) {
  v1::ListPolicyRevisionsRequest request;
  request.set_tenant(flags.tenant);
  request.set_page_size(flags.limit);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::ListPolicyRevisionsResponse response;
  grpc::Status status = cli->AdminStub()->ListPolicyRevisions(&context, request, &response);
  if (!status.ok()) return cli->Fail("policy history", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(response).c_str());
    return kExitOk;
  }
  TextTable table({"REVISION", "TIME", "AUTHOR", "RULES", "COMMENT"});
  for (const v1::PolicyVersion& v : response.revisions()) {
    table.AddRow({std::to_string(v.revision()), FormatTimestamp(v.updated_at()), v.updated_by(),
                  std::to_string(v.policy().rules_size()), v.comment()});
  }
  fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

int Rollback(CliContext* cli, const PolicyFlags& flags) {
  v1::RollbackPolicyRequest request;
  request.set_tenant(flags.tenant);
  request.set_to_revision(flags.to_revision);
  if (flags.expected_revision >= 0) request.set_expected_revision(flags.expected_revision);
  request.set_comment(flags.comment);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::PolicyVersion written;
  grpc::Status status = cli->AdminStub()->RollbackPolicy(&context, request, &written);
  if (!status.ok()) return cli->Fail("policy rollback", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(written).c_str());
  } else {
    printf("rolled back tenant %s to the content of revision %lld as revision %lld\n",
           flags.tenant.c_str(), static_cast<long long>(flags.to_revision),
           static_cast<long long>(written.revision()));
  }
  return kExitOk;
}

}  // namespace

void AddPolicyCommands(CLI::App& app, CliContext* cli, Runner* run) {
  CLI::App* policy = app.add_subcommand("policy", "Read, change, check and roll back policies.");
  policy->require_subcommand(1);
  auto flags = std::make_shared<PolicyFlags>();
  auto tenant_arg = [&](CLI::App* sub) {
    sub->add_option("tenant", flags->tenant, "tenant name")->required();
  };
  auto file_flag = [&](CLI::App* sub) {
    sub->add_option("-f,--file", flags->file, "policy file (JSON or YAML), - for stdin")
        ->required();
  };

  CLI::App* get =
      policy->add_subcommand("get",
                             "Print a tenant's current policy as JSON (the format apply reads).\n\n"
                             "Example:\n  corsctl policy get shop > shop.json");
  tenant_arg(get);
  get->callback([=] { *run = [=] { return Get(cli, *flags); }; });

  CLI::App* apply = policy->add_subcommand(
      "apply",
      "Validate a policy file, show what changes, and store it as the next revision.\n\n"
      "Examples:\n  corsctl policy apply shop -f shop.yaml --comment 'allow staging'\n"
      "  corsctl policy apply shop -f shop.json --dry-run\n"
      "  corsctl policy get shop | corsctl policy apply shop -f -");
  tenant_arg(apply);
  file_flag(apply);
  apply->add_option("--expected-revision", flags->expected_revision,
                    "fail (exit 4) unless the tenant is at this revision");
  apply->add_option("--comment", flags->comment, "why, recorded with the revision");
  apply->add_flag("--dry-run", flags->dry_run, "show the changes, store nothing");
  apply->callback([=] { *run = [=] { return Apply(cli, *flags); }; });

  CLI::App* validate = policy->add_subcommand(
      "validate",
      "Check a policy file locally and on the server; exit 1 when invalid.\n\n"
      "Example:\n  corsctl policy validate -f shop.yaml");
  file_flag(validate);
  validate->callback([=] { *run = [=] { return Validate(cli, *flags); }; });

  CLI::App* diff = policy->add_subcommand("diff", "Show what `apply` would change.");
  tenant_arg(diff);
  file_flag(diff);
  diff->callback([=] { *run = [=] { return Diff(cli, *flags); }; });

  CLI::App* history = policy->add_subcommand("history", "List a tenant's revisions, newest first.");
  tenant_arg(history);
  history->add_option("--limit", flags->limit, "how many revisions")->capture_default_str();
  history->callback([=] { *run = [=] { return History(cli, *flags); }; });

  CLI::App* rollback =
      policy->add_subcommand("rollback",
                             "Store the content of an older revision as a new revision.\n\n"
                             "Example:\n  corsctl policy rollback shop --to 3");
  tenant_arg(rollback);
  rollback->add_option("--to", flags->to_revision, "revision whose content to restore")->required();
  rollback->add_option("--expected-revision", flags->expected_revision,
                       "fail (exit 4) unless the tenant is at this revision");
  rollback->add_option("--comment", flags->comment, "why (default: \"rollback to revision N\")");
  rollback->callback([=] { *run = [=] { return Rollback(cli, *flags); }; });

  AddPolicyTestCommand(policy, cli, run);
  AddPolicyShadowCommands(policy, cli, run);
  AddPolicyReplayCommand(policy, cli, run);
}

}  // namespace corsd::cli
