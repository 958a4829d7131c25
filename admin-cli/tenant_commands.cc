// corsctl tenant create | get | list | update | delete
#include <cstdio>
#include <memory>

#include "absl/strings/str_join.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

struct TenantFlags {
  std::string name;
  std::vector<std::string> hosts;
  std::string description;
  bool clear_hosts = false;
};

void PrintTenant(const CliContext& cli, const v1::Tenant& tenant) {
  if (cli.json()) {
    printf("%s\n", MessageToJson(tenant).c_str());
    return;
  }
  printf("name:        %s\n", TerminalSafe(tenant.name()).c_str());
  printf("hosts:       %s\n", tenant.hosts().empty()
                                  ? "(none)"
                                  : TerminalSafe(absl::StrJoin(tenant.hosts(), ", ")).c_str());
  printf("description: %s\n", TerminalSafe(tenant.description()).c_str());
  printf("created:     %s\n", FormatTimestamp(tenant.created_at()).c_str());
  printf("revision:    %lld%s\n", static_cast<long long>(tenant.policy_revision()),
         tenant.policy_revision() == 0 ? " (no policy: every cross-origin request is denied)" : "");
}

int Create(CliContext* cli, const TenantFlags& flags) {
  v1::CreateTenantRequest request;
  request.set_name(flags.name);
  for (const std::string& host : flags.hosts) request.add_hosts(host);
  request.set_description(flags.description);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::Tenant tenant;
  grpc::Status status = cli->AdminStub()->CreateTenant(&context, request, &tenant);
  if (!status.ok()) return cli->Fail("tenant create", status);
  PrintTenant(*cli, tenant);
  return kExitOk;
}

int Get(CliContext* cli, const TenantFlags& flags) {
  v1::GetTenantRequest request;
  request.set_name(flags.name);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::Tenant tenant;
  grpc::Status status = cli->AdminStub()->GetTenant(&context, request, &tenant);
  if (!status.ok()) return cli->Fail("tenant get", status);
  PrintTenant(*cli, tenant);
  return kExitOk;
}

int List(CliContext* cli) {
  auto admin = cli->AdminStub();
  std::vector<v1::Tenant> tenants;
  std::string page_token;
  do {
    v1::ListTenantsRequest request;
    request.set_page_size(1000);
    request.set_page_token(page_token);
    grpc::ClientContext context;
    cli->Prepare(&context);
    v1::ListTenantsResponse response;
    grpc::Status status = admin->ListTenants(&context, request, &response);
    if (!status.ok()) return cli->Fail("tenant list", status);
    tenants.insert(tenants.end(), response.tenants().begin(), response.tenants().end());
    page_token = response.next_page_token();
  } while (!page_token.empty());

  if (cli->json()) {
    v1::ListTenantsResponse all;
    for (const v1::Tenant& t : tenants) *all.add_tenants() = t;
    printf("%s\n", MessageToJson(all).c_str());
    return kExitOk;
  }
  TextTable table({"NAME", "REVISION", "HOSTS", "DESCRIPTION"});
  for (const v1::Tenant& t : tenants) {
    table.AddRow({t.name(), std::to_string(t.policy_revision()), absl::StrJoin(t.hosts(), ","),
                  t.description()});
  }
  fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

int Update(CliContext* cli, const TenantFlags& flags, bool hosts_given, bool description_given) {
  auto admin = cli->AdminStub();
  // UpdateTenant replaces hosts and description; keep whatever the user did
  // not ask to change.
  v1::Tenant current;
  {
    v1::GetTenantRequest get;
    get.set_name(flags.name);
    grpc::ClientContext context;
    cli->Prepare(&context);
    grpc::Status status = admin->GetTenant(&context, get, &current);
    if (!status.ok()) return cli->Fail("tenant update", status);
  }
  v1::UpdateTenantRequest request;
  request.set_name(flags.name);
  if (flags.clear_hosts || hosts_given) {
    for (const std::string& host : flags.hosts) request.add_hosts(host);
  } else {
    *request.mutable_hosts() = current.hosts();
  }
  request.set_description(description_given ? flags.description : current.description());
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::Tenant tenant;
  grpc::Status status = admin->UpdateTenant(&context, request, &tenant);
  if (!status.ok()) return cli->Fail("tenant update", status);
  PrintTenant(*cli, tenant);
  return kExitOk;
}

int Delete(CliContext* cli, const TenantFlags& flags) {
  v1::DeleteTenantRequest request;
  request.set_name(flags.name);
  grpc::ClientContext context;
  cli->Prepare(&context);
  google::protobuf::Empty empty;
  grpc::Status status = cli->AdminStub()->DeleteTenant(&context, request, &empty);
  if (!status.ok()) return cli->Fail("tenant delete", status);
  if (!cli->json()) printf("deleted tenant %s and its policy history\n", flags.name.c_str());
  return kExitOk;
}

}  // namespace

void AddTenantCommands(CLI::App& app, CliContext* cli, Runner* run) {
  CLI::App* tenant = app.add_subcommand("tenant", "Create, inspect, change and delete tenants.");
  tenant->require_subcommand(1);
  auto flags = std::make_shared<TenantFlags>();

  CLI::App* create = tenant->add_subcommand(
      "create",
      "Create a tenant. Requests whose Host is one of --host are decided by its policy.\n\n"
      "Example:\n  corsctl tenant create shop --host shop.example.com --host api.shop.example.com");
  create->add_option("name", flags->name, "tenant name: [a-z0-9][a-z0-9-]{0,62}")->required();
  create->add_option("--host", flags->hosts, "request host that maps to this tenant (repeatable)");
  create->add_option("--description", flags->description, "free text");
  create->callback([=] { *run = [=] { return Create(cli, *flags); }; });

  CLI::App* get = tenant->add_subcommand("get", "Show one tenant.");
  get->add_option("name", flags->name)->required();
  get->callback([=] { *run = [=] { return Get(cli, *flags); }; });

  CLI::App* list = tenant->add_subcommand("list", "List every tenant you may see.");
  list->callback([=] { *run = [=] { return List(cli); }; });

  CLI::App* update = tenant->add_subcommand(
      "update",
      "Change a tenant's hosts or description; what you do not pass stays as it is.\n\n"
      "Examples:\n  corsctl tenant update shop --host shop.example.com --host "
      "www.shop.example.com\n"
      "  corsctl tenant update shop --clear-hosts");
  update->add_option("name", flags->name)->required();
  CLI::Option* hosts = update->add_option("--host", flags->hosts, "replace the hosts (repeatable)");
  update->add_flag("--clear-hosts", flags->clear_hosts, "remove every host")->excludes(hosts);
  CLI::Option* description = update->add_option("--description", flags->description, "free text");
  update->callback([=] {
    bool hosts_given = hosts->count() > 0;
    bool description_given = description->count() > 0;
    *run = [=] { return Update(cli, *flags, hosts_given, description_given); };
  });

  CLI::App* remove = tenant->add_subcommand(
      "delete", "Delete a tenant with its hosts and policy history (the audit log stays).");
  remove->add_option("name", flags->name)->required();
  remove->callback([=] { *run = [=] { return Delete(cli, *flags); }; });
}

}  // namespace corsd::cli
