// Schema migrations: numbered SQL files from migrations/ (SQLite) and
// migrations/postgres/, compiled into the binary. Each is applied once, in
// order, inside its own write transaction, and recorded in schema_migrations;
// a failing migration leaves the database exactly as it was (both databases
// have transactional DDL). Processes starting together on one database
// (replicas) serialize on the write lock and re-check inside it, so each
// migration runs once. A database whose schema is newer than anything this
// binary knows is refused rather than written to.
//
//   ASSIGN_OR_RETURN(MigrationResult r, ApplyMigrations(db, SqliteMigrations(), true));
//   r.applied;  // e.g. {"0001_init"} on a fresh database, {} afterwards
#ifndef CORSD_SERVICE_STORE_MIGRATION_H_
#define CORSD_SERVICE_STORE_MIGRATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/store/sql_connection.h"

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

// `migrations` must be sorted by version (tests pass their own lists). With
// `apply` false, only reports the current version (and refuses a newer one).
absl::StatusOr<MigrationResult> ApplyMigrations(SqlConnection* db,
                                                const std::vector<Migration>& migrations,
                                                bool apply);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_MIGRATION_H_
