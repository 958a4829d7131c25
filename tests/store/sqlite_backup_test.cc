// Backup, restore and the serving lock on real SQLite files, with the races
// between them forced (a restore swapping the file while a server waits for
// its lock) rather than hoped for: a server always locks the file it will
// serve, a backup never replaces a live database, and a restore that fails
// loses nothing of the old one.
#include "service/store/sqlite_backup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/store/sql_policy_store.h"
#include "tests/support/temp_dir.h"

namespace corsd::store {
namespace {

// A corsd database at `path` holding `tenant`.
void MakeDatabase(const std::string& path, const std::string& tenant) {
  absl::StatusOr<std::unique_ptr<SqlPolicyStore>> store = OpenSqliteStore(path, {});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CreateTenant({.name = tenant}, {"test"}).ok());
}

std::vector<std::string> Tenants(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqlPolicyStore>> store = OpenSqliteStore(path, {});
  EXPECT_TRUE(store.ok()) << store.status();
  std::vector<std::string> names;
  if (!store.ok()) return names;
  absl::StatusOr<Page<TenantRecord>> page = (*store)->ListTenants({});
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return names;
  for (const TenantRecord& t : page->items) names.push_back(t.name);
  return names;
}

// Whether some process waits for an flock on the file `path` (the kernel
// lists waiters with "->" in /proc/locks, by device and inode).
bool SomeoneWaitsForALockOn(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  std::ifstream in("/proc/locks");
  std::stringstream text;
  text << in.rdbuf();
  const std::string inode = absl::StrCat(":", st.st_ino, " ");
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (absl::StrContains(line, "->") && absl::StrContains(line, inode)) return true;
  }
  return false;
}

TEST(ServingLock, LocksTheFileARestoreSwappedInWhileItWaited) {
  corsd::testing::TempDir dir;
  const std::string db = dir.File("corsd.db");
  const std::string backup = dir.File("backup.db");
  MakeDatabase(db, "old");
  MakeDatabase(backup, "restored");

  // A restore in progress: it holds the old file exclusively...
  int restore_fd = ::open(db.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(restore_fd, 0);
  ASSERT_EQ(::flock(restore_fd, LOCK_EX), 0);
  // ...while a server starts and waits for its shared lock...
  absl::StatusOr<ServingLock> server_lock = absl::UnknownError("not yet");
  std::thread server([&] { server_lock = ServingLock::Acquire(db); });
  while (!SomeoneWaitsForALockOn(db)) absl::SleepFor(absl::Milliseconds(1));
  // ...then puts the new file in place and lets go of the old one.
  std::filesystem::copy_file(backup, db + ".new");
  std::filesystem::rename(db + ".new", db);
  ::close(restore_fd);
  server.join();
  ASSERT_TRUE(server_lock.ok()) << server_lock.status();

  // The server's lock is on the file now at the path: another restore must
  // see it and refuse.
  absl::StatusOr<BackupReport> second = RestoreSqliteDatabase(backup, db);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << "the server locked the replaced file; a restore could swap the served one";
}

TEST(Backup, NeverReplacesALiveDatabase) {
  corsd::testing::TempDir dir;
  const std::string db = dir.File("corsd.db");
  MakeDatabase(db, "shop");
  absl::StatusOr<std::unique_ptr<SqlPolicyStore>> open = OpenSqliteStore(db, {});
  ASSERT_TRUE(open.ok());
  ASSERT_TRUE((*open)->CreateTenant({.name = "only-in-the-wal"}, {"test"}).ok());
  ASSERT_TRUE(std::filesystem::exists(db + "-wal"));

  // Onto itself: refused, and the -wal (with the last commit) is untouched.
  EXPECT_EQ(BackupSqliteDatabase(db, db).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BackupSqliteDatabase(db, dir.path() + "/./corsd.db").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(std::filesystem::exists(db + "-wal"));

  // Onto another live database (it has a -wal, or a server holds it).
  const std::string other = dir.File("other.db");
  MakeDatabase(other, "other");
  absl::StatusOr<std::unique_ptr<SqlPolicyStore>> other_open = OpenSqliteStore(other, {});
  ASSERT_TRUE(other_open.ok());
  ASSERT_TRUE(std::filesystem::exists(other + "-wal"));
  EXPECT_EQ(BackupSqliteDatabase(db, other).status().code(), absl::StatusCode::kFailedPrecondition);
  other_open->reset();
  absl::StatusOr<ServingLock> served = ServingLock::Acquire(other);
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(BackupSqliteDatabase(db, other).status().code(), absl::StatusCode::kFailedPrecondition);

  open->reset();
  EXPECT_EQ(Tenants(db), (std::vector<std::string>{"only-in-the-wal", "shop"}));
}

// A -wal beside the temporary copy, left by an earlier interrupted backup of
// another database, must not be replayed into this one or left behind.
TEST(Backup, AStalePartialWalIsNeitherReplayedNorLeft) {
  corsd::testing::TempDir dir;
  const std::string db = dir.File("corsd.db");
  const std::string backup = dir.File("backup.db");
  MakeDatabase(db, "shop");
  {
    const std::string stranger = dir.File("stranger.db");
    MakeDatabase(stranger, "stranger");
    absl::StatusOr<std::unique_ptr<SqlPolicyStore>> open = OpenSqliteStore(stranger, {});
    ASSERT_TRUE((*open)->CreateTenant({.name = "stranger-2"}, {"test"}).ok());
    std::filesystem::copy_file(stranger + "-wal", backup + ".partial-wal");
  }
  absl::StatusOr<BackupReport> report = BackupSqliteDatabase(db, backup);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Tenants(backup), std::vector<std::string>{"shop"});
  for (const char* left : {".partial", ".partial-wal", ".partial-shm"}) {
    EXPECT_FALSE(std::filesystem::exists(backup + left)) << left;
  }
}

// The rename that installs a restored file fails (here: a directory is in
// the way). The old database's -wal must still be there afterwards.
TEST(Restore, ThatFailsKeepsTheOldWal) {
  corsd::testing::TempDir dir;
  const std::string backup = dir.File("backup.db");
  MakeDatabase(backup, "restored");
  const std::string db = dir.File("corsd.db");
  std::filesystem::create_directories(db + "/in-the-way");
  { std::ofstream(db + "-wal") << "the old database's last commits"; }

  absl::StatusOr<BackupReport> restored = RestoreSqliteDatabase(backup, db);
  ASSERT_FALSE(restored.ok());
  ASSERT_TRUE(std::filesystem::exists(db + "-wal")) << "a failed restore dropped the old -wal";
  std::ifstream wal(db + "-wal");
  std::string content((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "the old database's last commits");
  EXPECT_FALSE(std::filesystem::exists(db + ".restoring"));
}

}  // namespace
}  // namespace corsd::store
