// corsd: the CORS policy decision service.
//
//   corsd serve --db var/corsd.db --listen 127.0.0.1:50051 --admin-listen 127.0.0.1:50052
//   corsd token create --db var/corsd.db --role admin --name ops
//   corsd migrate --db var/corsd.db
//   corsd backup --db var/corsd.db --to backup.db
//   corsd restore --from backup.db --db var/corsd.db
//
// `serve` is the default when the first argument is a flag.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "service/common/release_tuning.h"
#include "service/server/corsd_commands.h"

int main(int argc, char** argv) {
  corsd::TuneAbseilForRelease();
  // Signals are handled by sigwait() in `serve`; block them before any
  // thread exists so every thread inherits the mask. SIGPIPE is ignored:
  // a peer closing a socket is an error to handle, not a reason to die.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args(argv, argv + argc);
  if (args.size() == 1 || (args[1].size() > 1 && args[1][0] == '-' && args[1] != "--help" &&
                           args[1] != "-h" && args[1] != "--version")) {
    args.insert(args.begin() + 1, "serve");
  }

  CLI::App app{
      "corsd: one CORS policy per tenant, decided exactly as the WHATWG Fetch standard says.\n"
      "Gateways call corsd.v1.CorsDecision/Check on the data port; operators manage tenants\n"
      "and policies with corsctl on the admin port.",
      "corsd"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "corsd 0.1.0");
  std::vector<corsd::server::Command> commands = corsd::server::AddTokenCommands(app);
  commands.push_back(corsd::server::AddServeCommand(app));
  commands.push_back(corsd::server::AddMigrateCommand(app));
  commands.push_back(corsd::server::AddCompactCommand(app));
  for (corsd::server::Command& command : corsd::server::AddBackupCommands(app)) {
    commands.push_back(std::move(command));
  }

  std::vector<const char*> raw;
  for (const std::string& arg : args) raw.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const corsd::server::Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  fprintf(stderr, "corsd: no command given (try --help)\n");
  return 2;
}
