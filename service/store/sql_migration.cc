#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "service/common/status_macros.h"
#include "service/store/migration.h"

namespace corsd::store {
namespace {

absl::StatusOr<int> CurrentVersion(SqlConnection* db) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   db->Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
  return rows.empty() ? 0 : static_cast<int>(rows[0].Int(0));
}

}  // namespace

std::string MigrationLabel(const Migration& migration) {
  return absl::StrFormat("%04d_%s", migration.version, migration.name);
}

absl::StatusOr<MigrationResult> ApplyMigrations(SqlConnection* db,
                                                const std::vector<Migration>& migrations,
                                                bool apply) {
  {
    // Under the write lock: two processes creating the table at once would
    // otherwise race in PostgreSQL's catalog.
    SqlTransaction tx(db, SqlTransaction::Kind::kWrite);
    RETURN_IF_ERROR(tx.status());
    RETURN_IF_ERROR(db->ExecuteScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)"));
    RETURN_IF_ERROR(tx.Commit());
  }
  MigrationResult result;
  ASSIGN_OR_RETURN(result.previous_version, CurrentVersion(db));
  const int newest_known = migrations.empty() ? 0 : migrations.back().version;
  if (result.previous_version > newest_known) {
    return absl::FailedPreconditionError(
        absl::StrCat("the database schema is at version ", result.previous_version,
                     ", newer than this corsd knows (", newest_known,
                     "); run a newer corsd, or point --db/--store at a different database"));
  }
  result.current_version = result.previous_version;
  if (!apply) return result;

  for (const Migration& migration : migrations) {
    if (migration.version <= result.current_version) continue;
    SqlTransaction tx(db, SqlTransaction::Kind::kWrite);
    RETURN_IF_ERROR(tx.status());
    // Another process may have applied it while we waited for the lock.
    ASSIGN_OR_RETURN(SqlRows done, db->Query("SELECT 1 FROM schema_migrations WHERE version = ?",
                                             {int64_t{migration.version}}));
    if (done.empty()) {
      if (absl::Status s = db->ExecuteScript(migration.sql); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("migration ", MigrationLabel(migration),
                                                   " failed and was rolled back: ", s.message()));
      }
      RETURN_IF_ERROR(
          db->Execute("INSERT INTO schema_migrations (version, name, applied_at_us) "
                      "VALUES (?, ?, ?)",
                      {int64_t{migration.version}, migration.name, absl::ToUnixMicros(absl::Now())})
              .status());
      result.applied.push_back(MigrationLabel(migration));
    }
    RETURN_IF_ERROR(tx.Commit());
    result.current_version = migration.version;
  }
  return result;
}

}  // namespace corsd::store
