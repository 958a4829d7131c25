// corsctl audit [TENANT] and corsctl watch [TENANT]...
#include <csignal>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

struct AuditFlags {
  std::string tenant;
  int limit = 50;
};

int Audit(CliContext* cli, const AuditFlags& flags) {
  v1::ListAuditEventsRequest request;
  request.set_tenant(flags.tenant);
  request.set_page_size(flags.limit);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::ListAuditEventsResponse response;
  grpc::Status status = cli->AdminStub()->ListAuditEvents(&context, request, &response);
  if (!status.ok()) return cli->Fail("audit", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(response).c_str());
    return kExitOk;
  }
  TextTable table({"TIME", "ACTOR", "ACTION", "TENANT", "REVISION", "DETAIL"});
  for (const v1::AuditEvent& e : response.events()) {
    table.AddRow({FormatTimestamp(e.time()), e.actor().empty() ? "-" : e.actor(), e.action(),
                  e.tenant(), e.revision() == 0 ? "" : std::to_string(e.revision()), e.detail()});
  }
  fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

grpc::ClientContext* active_watch = nullptr;

int Watch(CliContext* cli, const std::vector<std::string>& tenants) {
  v1::WatchPoliciesRequest request;
  for (const std::string& t : tenants) request.add_tenants(t);
  grpc::ClientContext context;
  cli->Prepare(&context, /*with_deadline=*/false);
  auto admin = cli->AdminStub();
  auto reader = admin->WatchPolicies(&context, request);
  // Ctrl-C cancels the stream; the loop below then ends normally.
  active_watch = &context;
  std::signal(SIGINT, [](int) { active_watch->TryCancel(); });
  std::signal(SIGTERM, [](int) { active_watch->TryCancel(); });

  v1::PolicyEvent event;
  while (reader->Read(&event)) {
    if (cli->json()) {
      printf("%s\n", MessageToJson(event).c_str());
    } else if (event.deleted()) {
      printf("%s  tenant %s deleted\n",
             absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()).c_str(),
             TerminalSafe(event.tenant()).c_str());
    } else {
      const v1::PolicyVersion& v = event.version();
      printf("%s  tenant %s revision %lld by %s (%d rules)%s\n",
             FormatTimestamp(v.updated_at()).c_str(), TerminalSafe(event.tenant()).c_str(),
             static_cast<long long>(v.revision()), TerminalSafe(v.updated_by()).c_str(),
             v.policy().rules_size(),
             v.comment().empty() ? "" : TerminalSafe(absl::StrCat(": ", v.comment())).c_str());
    }
    fflush(stdout);
  }
  grpc::Status status = reader->Finish();
  active_watch = nullptr;
  if (status.error_code() == grpc::StatusCode::CANCELLED) return kExitOk;  // Ctrl-C
  return cli->Fail("watch", status);
}

}  // namespace

void AddAuditCommand(CLI::App& app, CliContext* cli, Runner* run) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* audit =
      app.add_subcommand("audit",
                         "Show the audit log (writes and denied calls), newest first.\n\n"
                         "Examples:\n  corsctl audit\n  corsctl audit shop --limit 200 -o json");
  audit->add_option("tenant", flags->tenant, "only this tenant");
  audit->add_option("--limit", flags->limit, "how many events")->capture_default_str();
  audit->callback([=] { *run = [=] { return Audit(cli, *flags); }; });
}

void AddWatchCommand(CLI::App& app, CliContext* cli, Runner* run) {
  auto tenants = std::make_shared<std::vector<std::string>>();
  CLI::App* watch = app.add_subcommand(
      "watch",
      "Stream policy changes until Ctrl-C: the current version of each tenant first,\n"
      "then every change.\n\nExample:\n  corsctl watch shop blog");
  watch->add_option("tenants", *tenants, "tenants to watch (default: all you may read)");
  watch->callback([=] { *run = [=] { return Watch(cli, *tenants); }; });
}

}  // namespace corsd::cli
