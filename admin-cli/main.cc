// corsctl: manage corsd tenants and policies, and ask it for decisions.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "admin-cli/cli_context.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "service/common/release_tuning.h"

int main(int argc, char** argv) {
  corsd::TuneAbseilForRelease();
  CLI::App app{
      "corsctl: manage corsd tenants and CORS policies.\n\n"
      "  corsctl tenant create shop --host shop.example.com\n"
      "  corsctl policy apply shop -f shop.yaml --comment 'first policy'\n"
      "  corsctl check --tenant shop --origin https://app.example.com --method GET --explain\n\n"
      "Exit codes: 0 ok, 1 invalid input or DENY, 2 usage, 3 not found, 4 conflict,\n"
      "5 authentication/permission, 6 server unavailable.",
      "corsctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "corsctl 0.1.0");
  // Global flags work after the command too: `corsctl policy get shop -o json`.
  app.fallthrough();
  corsd::cli::CliContext cli;
  cli.AddGlobalFlags(app);
  corsd::cli::Runner run;
  corsd::cli::AddTenantCommands(app, &cli, &run);
  corsd::cli::AddPolicyCommands(app, &cli, &run);
  corsd::cli::AddAuditCommand(app, &cli, &run);
  corsd::cli::AddCheckCommand(app, &cli, &run);
  corsd::cli::AddOriginSetCommands(app, &cli, &run);
  corsd::cli::AddFleetCommands(app, &cli, &run);
  corsd::cli::AddWatchCommand(app, &cli, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // CLI11 exits 0 for --help/--version; every real usage error is 2.
    return code == 0 ? 0 : corsd::cli::kExitUsage;
  }
  return run ? run() : corsd::cli::kExitUsage;
}
