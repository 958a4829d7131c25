#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "service/store/migration.h"

namespace corsd::store {

std::string MigrationLabel(const Migration& migration) {
  return absl::StrFormat("%04d_%s", migration.version, migration.name);
}

absl::StatusOr<MigrationResult> ApplySqliteMigrations(SqliteConnection* db,
                                                      const std::vector<Migration>& migrations) {
  if (absl::Status s = db->Execute(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_us INTEGER NOT NULL)");
      !s.ok()) {
    return s;
  }
  MigrationResult result;
  {
    SqliteStatement s = db->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    absl::StatusOr<bool> row = s.Step();
    if (!row.ok()) return row.status();
    result.previous_version = static_cast<int>(s.Int(0));
  }
  const int newest_known = migrations.empty() ? 0 : migrations.back().version;
  if (result.previous_version > newest_known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database schema is at version ", result.previous_version,
        ", newer than this corsd knows (", newest_known,
        "); run a newer corsd, or point --db at a different file"));
  }
  result.current_version = result.previous_version;

  for (const Migration& migration : migrations) {
    if (migration.version <= result.previous_version) continue;
    SqliteTransaction tx(db);
    if (!tx.status().ok()) return tx.status();
    if (absl::Status s = db->Execute(migration.sql); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("migration ", MigrationLabel(migration),
                                                 " failed and was rolled back: ", s.message()));
    }
    SqliteStatement record = db->Prepare(
        "INSERT INTO schema_migrations (version, name, applied_at_us) VALUES (?, ?, ?)");
    record.Bind(migration.version).Bind(migration.name).Bind(absl::ToUnixMicros(absl::Now()));
    if (absl::Status s = record.Run(); !s.ok()) return s;
    if (absl::Status s = tx.Commit(); !s.ok()) return s;
    result.applied.push_back(MigrationLabel(migration));
    result.current_version = migration.version;
  }
  return result;
}

}  // namespace corsd::store
