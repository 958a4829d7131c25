// corsctl's command groups. Each Add* registers subcommands on `app`; when a
// subcommand is parsed its callback stores what to run in `*run`, and main()
// runs it after parsing and exits with its code (see exit_codes.h).
#ifndef CORSD_ADMIN_CLI_CORSCTL_COMMANDS_H_
#define CORSD_ADMIN_CLI_CORSCTL_COMMANDS_H_

#include <functional>

#include "CLI/CLI.hpp"
#include "admin-cli/cli_context.h"

namespace corsd::cli {

using Runner = std::function<int()>;

void AddTenantCommands(CLI::App& app, CliContext* cli, Runner* run);
void AddPolicyCommands(CLI::App& app, CliContext* cli, Runner* run);
void AddAuditCommand(CLI::App& app, CliContext* cli, Runner* run);
void AddWatchCommand(CLI::App& app, CliContext* cli, Runner* run);
void AddCheckCommand(CLI::App& app, CliContext* cli, Runner* run);
void AddOriginSetCommands(CLI::App& app, CliContext* cli, Runner* run);
void AddFleetCommands(CLI::App& app, CliContext* cli, Runner* run);  // apply, export

// Subcommands of `policy`, registered by AddPolicyCommands.
void AddPolicyTestCommand(CLI::App* policy, CliContext* cli, Runner* run);
void AddPolicyShadowCommands(CLI::App* policy, CliContext* cli, Runner* run);
void AddPolicyReplayCommand(CLI::App* policy, CliContext* cli, Runner* run);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_CORSCTL_COMMANDS_H_
