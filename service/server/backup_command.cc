// corsd backup / corsd restore: consistent copies of a SQLite database.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "service/server/corsd_commands.h"
#include "service/store/sqlite_backup.h"

namespace corsd::server {
namespace {

struct BackupFlags {
  std::string db_path;
  std::string file;
};

void PrintReport(const char* what, const std::string& path, const store::BackupReport& report) {
  printf("%s %s: %lld bytes, schema version %d, %lld tenants, %s; integrity_check ok\n", what,
         path.c_str(), static_cast<long long>(report.bytes), report.schema_version,
         static_cast<long long>(report.tenants), absl::FormatDuration(report.took).c_str());
}

int Backup(const BackupFlags& flags) {
  absl::StatusOr<store::BackupReport> report =
      store::BackupSqliteDatabase(flags.db_path, flags.file);
  if (!report.ok()) {
    fprintf(stderr, "corsd backup: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  PrintReport("backed up to", flags.file, *report);
  return 0;
}

int Restore(const BackupFlags& flags) {
  absl::StatusOr<store::BackupReport> report =
      store::RestoreSqliteDatabase(flags.file, flags.db_path);
  if (!report.ok()) {
    fprintf(stderr, "corsd restore: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  PrintReport("restored", flags.db_path, *report);
  return 0;
}

}  // namespace

std::vector<Command> AddBackupCommands(CLI::App& app) {
  auto backup_flags = std::make_shared<BackupFlags>();
  CLI::App* backup = app.add_subcommand(
      "backup",
      "Copy a SQLite database consistently while corsd keeps serving it (SQLite's online\n"
      "backup API), check the copy with PRAGMA integrity_check, and write it atomically.\n"
      "For PostgreSQL use pg_dump (see the README).\n\n"
      "Example:\n  corsd backup --db /var/lib/corsd/corsd.db --to /var/backups/corsd.db");
  backup->add_option("--db", backup_flags->db_path, "the database to copy")
      ->envname("CORSD_DB")
      ->required();
  backup->add_option("--to", backup_flags->file, "where to write the copy")->required();

  auto restore_flags = std::make_shared<BackupFlags>();
  CLI::App* restore = app.add_subcommand(
      "restore",
      "Replace a SQLite database with a backup, after checking the backup (integrity, a corsd\n"
      "schema this build knows). Refuses while any corsd serves the database: stop it first.\n\n"
      "Example:\n  corsd restore --from /var/backups/corsd.db --db /var/lib/corsd/corsd.db");
  restore->add_option("--from", restore_flags->file, "the backup to restore")->required();
  restore->add_option("--db", restore_flags->db_path, "the database to replace")
      ->envname("CORSD_DB")
      ->required();
  return {{backup, [backup_flags] { return Backup(*backup_flags); }},
          {restore, [restore_flags] { return Restore(*restore_flags); }}};
}

}  // namespace corsd::server
