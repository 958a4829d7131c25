// SQLite migrations: fresh database, idempotent re-run, newer schema refused,
// a failing migration rolled back without a trace.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/migration.h"
#include "service/store/sql_policy_store.h"
#include "service/store/sqlite_sql_connection.h"
#include "tests/support/temp_dir.h"

namespace corsd::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::unique_ptr<SqliteSqlConnection> Connect(const std::string& path) {
  auto db = SqliteSqlConnection::Open(path, absl::Seconds(5));
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

bool TableExists(SqlConnection* db, const std::string& table) {
  auto rows = db->Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table});
  return rows.ok() && !rows->empty();
}

int64_t SchemaVersion(SqlConnection* db) {
  auto rows = db->Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  EXPECT_TRUE(rows.ok() && !rows->empty());
  return rows.ok() && !rows->empty() ? (*rows)[0].Int(0) : -1;
}

TEST(SqliteMigrations, FreshDatabaseGetsEverySchemaStep) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.File("a.db"), {});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->migrations().previous_version, 0);
  EXPECT_EQ((*store)->migrations().current_version, SqliteMigrations().back().version);
  EXPECT_EQ((*store)->migrations().applied.front(), "0001_init");
  EXPECT_EQ((*store)->migrations().applied.size(), SqliteMigrations().size());
}

TEST(SqliteMigrations, RerunIsANoOp) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenSqliteStore(dir.File("a.db"), {}).ok());
  auto again = OpenSqliteStore(dir.File("a.db"), {});
  ASSERT_TRUE(again.ok());
  EXPECT_THAT((*again)->migrations().applied, IsEmpty());
  EXPECT_EQ((*again)->migrations().previous_version, (*again)->migrations().current_version);
}

TEST(SqliteMigrations, RefusesANewerSchema) {
  testing::TempDir dir;
  {
    auto db = Connect(dir.File("a.db"));
    ASSERT_TRUE(ApplyMigrations(db.get(), SqliteMigrations(), true).ok());
    ASSERT_TRUE(db->ExecuteScript("INSERT INTO schema_migrations VALUES (9999, 'future', 0)").ok());
  }
  auto store = OpenSqliteStore(dir.File("a.db"), {});
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("9999"));
  EXPECT_THAT(store.status().message(), HasSubstr("newer than this corsd knows"));
}

TEST(SqliteMigrations, FailedMigrationLeavesTheDatabaseAsItWas) {
  testing::TempDir dir;
  auto db = Connect(dir.File("a.db"));
  std::vector<Migration> migrations = {
      {1, "one", "CREATE TABLE first (x INTEGER);"},
      {2, "broken", "CREATE TABLE second (x INTEGER); INSERT INTO missing VALUES (1);"},
      {3, "three", "CREATE TABLE third (x INTEGER);"},
  };
  auto result = ApplyMigrations(db.get(), migrations, true);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("0002_broken failed and was rolled back"));
  EXPECT_TRUE(TableExists(db.get(), "first"));
  EXPECT_FALSE(TableExists(db.get(), "second")) << "half of migration 2 survived";
  EXPECT_FALSE(TableExists(db.get(), "third"));
  EXPECT_EQ(SchemaVersion(db.get()), 1);

  // Fixed, it applies from where it stopped.
  migrations[1].sql = "CREATE TABLE second (x INTEGER);";
  auto fixed = ApplyMigrations(db.get(), migrations, true);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_THAT(fixed->applied, ElementsAre("0002_broken", "0003_three"));
  EXPECT_EQ(SchemaVersion(db.get()), 3);
}

TEST(SqliteMigrations, OpenWithoutMigratingRequiresAMigratedDatabase) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.File("a.db"), {.apply_migrations = false});
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("corsd migrate"));
}

TEST(SqliteMigrations, NotADatabaseIsAClearError) {
  testing::TempDir dir;
  FILE* f = fopen(dir.File("junk.db").c_str(), "w");
  fputs("this is not sqlite, just some text that is long enough to have a header", f);
  fclose(f);
  auto store = OpenSqliteStore(dir.File("junk.db"), {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("junk.db"));
}

}  // namespace
}  // namespace corsd::store
