#include "service/store/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/store/migration.h"

namespace corsd::store {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

absl::StatusOr<SqliteHandle> Open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) {
    return absl::InternalError(
        absl::StrCat("cannot open ", path, ": ", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

// One integer from a single-row query.
absl::StatusOr<int64_t> QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat(sql, ": ", sqlite3_errmsg(db)));
  }
  int64_t value = 0;
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return absl::FailedPreconditionError(absl::StrCat(sql, ": no row"));
  return value;
}

// integrity_check, then what the file holds: a corsd schema this build knows.
absl::Status Verify(sqlite3* db, const std::string& path, BackupReport* report) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a readable SQLite database: ", sqlite3_errmsg(db)));
  }
  std::string verdict;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  if (verdict != "ok") {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " fails PRAGMA integrity_check (", verdict.empty() ? "no answer" : verdict, ")"));
  }
  absl::StatusOr<int64_t> version =
      QueryInt(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!version.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a corsd database (no schema_migrations table)"));
  }
  const int newest_known = SqliteMigrations().back().version;
  if (*version > newest_known) {
    return absl::FailedPreconditionError(absl::StrCat(path, " has schema version ", *version,
                                                      " but this corsd knows up to ", newest_known,
                                                      "; restore it with a newer corsd"));
  }
  report->schema_version = static_cast<int>(*version);
  absl::StatusOr<int64_t> tenants = QueryInt(db, "SELECT COUNT(*) FROM tenants");
  report->tenants = tenants.ok() ? *tenants : 0;
  return absl::OkStatus();
}

absl::Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError("cannot fsync", path);
}

absl::Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return SyncFile(dir);
}

// Removes a database file with its -wal and -shm. A -wal left from an
// earlier, interrupted copy would otherwise be replayed into the next one.
void RemoveDatabaseFiles(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(absl::StrCat(path, suffix), ignored);
  }
}

// Copies `from` (open) into a new file `to` with the online backup API, in
// one step so the copy is a single snapshot; checks and syncs the copy.
absl::Status CopyInto(sqlite3* from, const std::string& to, BackupReport* report) {
  std::error_code ignored;
  RemoveDatabaseFiles(to);
  absl::StatusOr<SqliteHandle> target =
      Open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!target.ok()) return target.status();
  sqlite3_backup* backup = sqlite3_backup_init(target->get(), "main", from, "main");
  if (backup == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot start the backup into ", to, ": ", sqlite3_errmsg(target->get())));
  }
  int rc;
  // SQLITE_BUSY/LOCKED: a writer holds the lock this very moment; retry.
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    sqlite3_sleep(5);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("backup into ", to, " failed: ", sqlite3_errstr(rc)));
  }
  // The copy keeps the source's journal mode (WAL); fold everything into the
  // main file so the backup is one self-contained file.
  sqlite3_exec(target->get(), "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE",
               nullptr, nullptr, nullptr);
  if (absl::Status verified = Verify(target->get(), to, report); !verified.ok()) return verified;
  target->reset();
  report->bytes = static_cast<int64_t>(std::filesystem::file_size(to, ignored));
  return SyncFile(to);
}

// Opens `path` and takes flock(`operation`) on it; returns the descriptor,
// or -1 with errno set.
int OpenLocked(const std::string& path, int operation) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (::flock(fd, operation) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

// Folds the -wal of the database at `path`, if there is one, into the main
// file, so that nothing committed lives only in the -wal. Best effort: a file
// that is not a readable database has nothing to fold.
void CheckpointIfDatabase(const std::string& path) {
  if (!std::filesystem::exists(path + "-wal")) return;
  absl::StatusOr<SqliteHandle> db = Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!db.ok()) return;
  sqlite3_exec(db->get(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
}

// Copies `source` into `destination` the crash-safe way: into
// `destination` + `partial_suffix` first, then renamed over it, with the
// directory synced. A -wal or -shm file left beside `destination` describes
// the old content and would be replayed onto the new one: the old content is
// checkpointed first, and its -wal and -shm are moved aside before the rename
// and put back if the rename fails, so a failed install loses nothing.
absl::Status InstallCopy(sqlite3* source, const std::string& destination,
                         absl::string_view partial_suffix, BackupReport* report) {
  const std::string partial = absl::StrCat(destination, partial_suffix);
  if (absl::Status copied = CopyInto(source, partial, report); !copied.ok()) {
    RemoveDatabaseFiles(partial);
    return copied;
  }
  CheckpointIfDatabase(destination);
  std::error_code error;
  std::vector<std::pair<std::string, std::string>> set_aside;  // original, aside
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string file = destination + suffix;
    const std::string aside = file + ".replaced";
    std::filesystem::rename(file, aside, error);
    if (!error) {
      set_aside.emplace_back(file, aside);
    } else if (error != std::errc::no_such_file_or_directory) {
      // Left beside the new file, it would be replayed onto it: stop here.
      const std::string message = error.message();
      for (const auto& [original, moved] : set_aside)
        std::filesystem::rename(moved, original, error);
      RemoveDatabaseFiles(partial);
      return absl::InternalError(
          absl::StrCat("cannot move ", file, " aside: ", message, "; nothing was replaced"));
    }
  }
  std::filesystem::rename(partial, destination, error);
  if (error) {
    const std::string message = error.message();
    for (const auto& [file, aside] : set_aside) std::filesystem::rename(aside, file, error);
    RemoveDatabaseFiles(partial);
    return absl::InternalError(
        absl::StrCat("cannot rename ", partial, " to ", destination, ": ", message));
  }
  for (const auto& [file, aside] : set_aside) std::filesystem::remove(aside, error);
  return SyncDirectoryOf(destination);
}

// Whether `a` and `b` name the same file (both must exist).
bool SameFile(const std::string& a, const std::string& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error) && !error;
}

}  // namespace

absl::StatusOr<ServingLock> ServingLock::Acquire(const std::string& db_path) {
  // A restore replaces the file by renaming another over it while holding
  // the old one exclusively: a lock obtained on the old file after that is
  // worthless. So lock, then check that the locked file is still the one at
  // the path, and start again when it is not.
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Created empty when missing (SQLite takes an empty file as a new
    // database), so that the lock exists before SQLite opens anything.
    int created = ::open(db_path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (created < 0) return ErrnoError("cannot open", db_path);
    ::close(created);
    int fd = OpenLocked(db_path, LOCK_SH);
    if (fd < 0) return ErrnoError("cannot lock", db_path);
    struct stat locked;
    struct stat at_path;
    if (::fstat(fd, &locked) == 0 && ::stat(db_path.c_str(), &at_path) == 0 &&
        locked.st_dev == at_path.st_dev && locked.st_ino == at_path.st_ino) {
      return ServingLock(fd);
    }
    ::close(fd);  // replaced while we waited for the lock: lock the new one
  }
  return absl::UnavailableError(
      absl::StrCat(db_path, " keeps being replaced (is a restore looping?); try again"));
}

ServingLock& ServingLock::operator=(ServingLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

ServingLock::~ServingLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

absl::StatusOr<BackupReport> BackupSqliteDatabase(const std::string& db_path,
                                                  const std::string& backup_path) {
  const absl::Time start = absl::Now();
  if (!std::filesystem::exists(db_path)) {
    return absl::NotFoundError(absl::StrCat("no database at ", db_path));
  }
  // The target is replaced, with its -wal and -shm: never a live database.
  if (std::filesystem::exists(backup_path)) {
    if (SameFile(db_path, backup_path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--to ", backup_path, " is the database itself; write the backup to another file"));
    }
    if (std::filesystem::exists(backup_path + "-wal")) {
      return absl::FailedPreconditionError(
          absl::StrCat(backup_path,
                       " is a database in use (it has a -wal file); a backup never replaces one: "
                       "choose another --to"));
    }
    int held = OpenLocked(backup_path, LOCK_EX | LOCK_NB);
    if (held < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(backup_path,
                       " is held by a running corsd; a backup never replaces a served database: "
                       "choose another --to"));
    }
    ::close(held);
  }
  absl::StatusOr<SqliteHandle> source = Open(db_path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!source.ok()) return source.status();
  BackupReport report;
  if (absl::Status installed = InstallCopy(source->get(), backup_path, ".partial", &report);
      !installed.ok()) {
    return installed;
  }
  report.took = absl::Now() - start;
  return report;
}

absl::StatusOr<BackupReport> RestoreSqliteDatabase(const std::string& backup_path,
                                                   const std::string& db_path) {
  const absl::Time start = absl::Now();
  if (!std::filesystem::exists(backup_path)) {
    return absl::NotFoundError(absl::StrCat("no backup at ", backup_path));
  }
  if (std::filesystem::exists(db_path) && SameFile(backup_path, db_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(backup_path, " is the database itself; restore from a backup file"));
  }
  // Exclusive and non-blocking: any server holding the file makes this fail.
  // A missing file is created empty first and locked all the same, so a
  // server starting meanwhile waits instead of opening what is replaced.
  int lock_fd = -1;
  {
    const int created = ::open(db_path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (created >= 0) ::close(created);
  }
  if (std::filesystem::exists(db_path)) {
    lock_fd = OpenLocked(db_path, LOCK_EX | LOCK_NB);
    if (lock_fd < 0 && errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a running corsd holds ", db_path,
          "; stop every corsd serving it first (e.g. systemctl stop corsd), then restore"));
    }
    if (lock_fd < 0) return ErrnoError("cannot lock", db_path);
  }
  struct LockCloser {
    int fd;
    ~LockCloser() {
      if (fd >= 0) ::close(fd);
    }
  } lock{lock_fd};

  absl::StatusOr<SqliteHandle> source =
      Open(backup_path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!source.ok()) return source.status();
  BackupReport report;
  if (absl::Status checked = Verify(source->get(), backup_path, &report); !checked.ok()) {
    return checked;
  }
  if (absl::Status installed = InstallCopy(source->get(), db_path, ".restoring", &report);
      !installed.ok()) {
    return installed;
  }
  report.took = absl::Now() - start;
  return report;
}

}  // namespace corsd::store
