// corsd migrate: apply pending schema migrations and exit.
#include <cstdio>
#include <memory>
#include <string>

#include "service/server/corsd_commands.h"
#include "service/store/store_factory.h"

namespace corsd::server {

Command AddMigrateCommand(CLI::App& app) {
  auto flags = std::make_shared<store::StoreSelection>();
  CLI::App* migrate = app.add_subcommand(
      "migrate", "Apply pending schema migrations and exit (serve also applies them).");
  AddStoreFlags(migrate, flags.get());
  return {migrate, [flags] {
            absl::StatusOr<store::OpenedStore> opened = store::OpenStore(*flags, true);
            if (!opened.ok()) {
              fprintf(stderr, "corsd: %s\n", std::string(opened.status().message()).c_str());
              return 1;
            }
            if (opened->migrations_applied.empty()) {
              printf("%s: schema is up to date\n", opened->store->Describe().c_str());
            }
            for (const std::string& m : opened->migrations_applied)
              printf("applied %s\n", m.c_str());
            return 0;
          }};
}

}  // namespace corsd::server
