// Backup and restore of a corsd SQLite database, and the lock that tells
// `corsd restore` whether a server is using the file.
//
//   corsd serve            ServingLock::Acquire(db)  // shared; every server holds one
//   corsd backup           BackupSqliteDatabase(db, "corsd-2026-11-30.db")
//   corsd restore          RestoreSqliteDatabase("corsd-2026-11-30.db", db)
//
// BackupSqliteDatabase copies with SQLite's online backup API in one step, so
// the copy is one consistent snapshot (every transaction committed before the
// backup began, none after) taken while servers keep reading and writing; it
// is written to a temporary file next to the target, checked with
// PRAGMA integrity_check, synced and renamed into place, so a crash never
// leaves a half-written backup under the final name.
//
// BackupSqliteDatabase never replaces a live database: it refuses a target
// that is the database itself, has a -wal beside it or is held by a server.
//
// RestoreSqliteDatabase refuses when any process holds a ServingLock on the
// target (a running corsd would keep its own view of the old file), checks
// the backup first (integrity, a corsd schema this build knows), then puts a
// copy in place the same way. The old file's -wal and -shm belong to the old
// content: it is checkpointed first, and they are moved aside before the
// rename and put back if it fails, then removed.
//
// The lock is flock(2) on the database file itself: shared for servers (several
// may share one file), exclusive and non-blocking for restore. flock locks are
// separate from the POSIX locks SQLite uses, so they never interfere with it,
// and the kernel drops them when a process dies, so a crashed server never
// blocks a restore. Functions are safe to call from any thread.
#ifndef CORSD_SERVICE_STORE_SQLITE_BACKUP_H_
#define CORSD_SERVICE_STORE_SQLITE_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace corsd::store {

// Held by `corsd serve` for its lifetime (move-only; released on destruction).
// Take it before opening the database: it is on the file at the path when it
// returns (a restore that swapped the file meanwhile is noticed), and restore
// cannot swap that file while it is held.
class ServingLock {
 public:
  // A shared lock on `db_path`, created empty if missing. Fails only on I/O
  // errors.
  static absl::StatusOr<ServingLock> Acquire(const std::string& db_path);

  ServingLock(ServingLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ServingLock& operator=(ServingLock&& other) noexcept;
  ServingLock(const ServingLock&) = delete;
  ServingLock& operator=(const ServingLock&) = delete;
  ~ServingLock();

 private:
  explicit ServingLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

struct BackupReport {
  int64_t bytes = 0;       // size of the copy
  int schema_version = 0;  // newest migration in it
  int64_t tenants = 0;
  absl::Duration took;
};

// Errors: NOT_FOUND (no database at `db_path`), FAILED_PRECONDITION (the copy
// fails its integrity check), or the I/O error met.
absl::StatusOr<BackupReport> BackupSqliteDatabase(const std::string& db_path,
                                                  const std::string& backup_path);

// Errors: FAILED_PRECONDITION when a server holds `db_path` or the backup is
// damaged, newer than this build or not a corsd database; NOT_FOUND when the
// backup does not exist.
absl::StatusOr<BackupReport> RestoreSqliteDatabase(const std::string& backup_path,
                                                   const std::string& db_path);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_BACKUP_H_
