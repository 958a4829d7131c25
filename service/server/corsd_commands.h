// The corsd subcommands. Each Add* registers a subcommand and its flags and
// returns how to run it; main() runs the one that was parsed and exits with
// its code (0 ok, 1 failure; CLI11 reports usage errors with 2... via exit()).
#ifndef CORSD_SERVICE_SERVER_CORSD_COMMANDS_H_
#define CORSD_SERVICE_SERVER_CORSD_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "service/store/store_factory.h"
#include "service/store/store_types.h"

namespace corsd::server {

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command AddServeCommand(CLI::App& app);
std::vector<Command> AddTokenCommands(CLI::App& app);
Command AddMigrateCommand(CLI::App& app);
std::vector<Command> AddBackupCommands(CLI::App& app);  // backup, restore

Command AddCompactCommand(CLI::App& app);

// --db / --store with their CORSD_DB / CORSD_STORE fallbacks.
void AddStoreFlags(CLI::App* command, store::StoreSelection* flags);

// --keep-revisions, --keep-audit, --keep-changes (serve and compact share
// them, and their defaults).
struct RetentionFlags {
  int64_t keep_revisions = 1000;
  // PCI DSS 10.5.1 asks for twelve months of audit history; 400 days keep a
  // year with room for a late audit.
  std::string keep_audit = "400d";
  std::string keep_changes = "7d";
};
void AddRetentionFlags(CLI::App* command, RetentionFlags* flags);
// False (after saying why on stderr) when a flag does not parse.
bool ParseRetentionFlags(const RetentionFlags& flags, store::Retention* out);

// A non-negative duration flag: "250ms", "10s", "36h" (absl::ParseDuration),
// or whole days, "90d". False (after saying why on stderr) otherwise.
bool ParseDurationFlag(const std::string& text, const char* flag, absl::Duration* out);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_CORSD_COMMANDS_H_
