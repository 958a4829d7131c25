// Schema migrations: numbered SQL files from migrations/ (SQLite) and
// migrations/postgres/, compiled into the binary. Each is applied once, in
// order, inside its own transaction, and recorded in schema_migrations; a
// failing migration leaves the database exactly as it was. A database whose
// schema is newer than anything this binary knows is refused rather than
// written to.
//
//   ASSIGN_OR_RETURN(MigrationResult r, ApplySqliteMigrations(db, SqliteMigrations()));
//   r.applied;  // e.g. {"0001_init"} on a fresh database, {} afterwards
#ifndef CORSD_SERVICE_STORE_MIGRATION_H_
#define CORSD_SERVICE_STORE_MIGRATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/store/sqlite_connection.h"

namespace corsd::store {

struct Migration {
  int version;       // NNNN from the file name
  std::string name;  // the rest of the file name, without ".sql"
  std::string sql;
};

const std::vector<Migration>& SqliteMigrations();
const std::vector<Migration>& PostgresMigrations();

struct MigrationResult {
  int previous_version = 0;
  int current_version = 0;
  std::vector<std::string> applied;  // "0001_init", ...
};

std::string MigrationLabel(const Migration& migration);

// `migrations` must be sorted by version (tests pass their own lists).
absl::StatusOr<MigrationResult> ApplySqliteMigrations(SqliteConnection* db,
                                                      const std::vector<Migration>& migrations);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_MIGRATION_H_
