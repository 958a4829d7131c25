// PostgreSQL migrations: replicas starting together migrate once; a broken
// migration leaves no trace (transactional DDL); a newer schema is refused.
#include <pqxx/pqxx>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/migration.h"
#include "service/store/postgres_sql_connection.h"
#include "service/store/sql_policy_store.h"
#include "tests/support/postgres_server.h"

namespace corsd::store {
namespace {

using ::testing::HasSubstr;

std::string FreshDatabase() {
  std::string error;
  testing::PostgresServer* server = testing::SharedPostgres(&error);
  if (server == nullptr) return "";
  return server->CreateDatabase();
}

int64_t Count(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<int64_t>();
}

TEST(PostgresMigrations, ReplicasStartingTogetherMigrateOnce) {
  const std::string url = FreshDatabase();
  ASSERT_FALSE(url.empty());
  std::vector<std::thread> replicas;
  std::atomic<int> opened{0};
  std::atomic<int> applied{0};
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&] {
      auto store = OpenPostgresStore(url, {});
      if (!store.ok()) {
        ADD_FAILURE() << store.status();
        return;
      }
      opened.fetch_add(1);
      applied.fetch_add(static_cast<int>((*store)->migrations().applied.size()));
    });
  }
  for (auto& t : replicas) t.join();
  EXPECT_EQ(opened.load(), 4);
  EXPECT_EQ(applied.load(), static_cast<int>(PostgresMigrations().size()))
      << "each migration ran exactly once across the replicas";
  EXPECT_EQ(Count(url, "SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(PostgresMigrations().size()));
}

TEST(PostgresMigrations, BrokenMigrationLeavesNoTrace) {
  const std::string url = FreshDatabase();
  ASSERT_FALSE(url.empty());
  auto db = PostgresSqlConnection::Open(url);
  ASSERT_TRUE(db.ok());
  std::vector<Migration> migrations = {
      {1, "one", "CREATE TABLE first (x INTEGER);"},
      {2, "broken", "CREATE TABLE second (x INTEGER); INSERT INTO missing VALUES (1);"},
  };
  auto result = ApplyMigrations(db->get(), migrations, true);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("0002_broken failed and was rolled back"));
  EXPECT_EQ(Count(url, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'second'"), 0);
  EXPECT_EQ(Count(url, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'first'"), 1);
  EXPECT_EQ(Count(url, "SELECT MAX(version) FROM schema_migrations"), 1);
}

TEST(PostgresMigrations, RefusesANewerSchema) {
  const std::string url = FreshDatabase();
  ASSERT_FALSE(url.empty());
  ASSERT_TRUE(OpenPostgresStore(url, {}).ok());
  {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec("INSERT INTO schema_migrations VALUES (777, 'future', 0)");
  }
  auto store = OpenPostgresStore(url, {});
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer than this corsd knows"));
}

TEST(PostgresConnection, DescribesWithoutThePassword) {
  EXPECT_EQ(PostgresSqlConnection::WithoutPassword("postgres://corsd:s3cret@db:5432/corsd"),
            "postgres://corsd@db:5432/corsd");
  EXPECT_EQ(PostgresSqlConnection::WithoutPassword("postgres://corsd@db/corsd"),
            "postgres://corsd@db/corsd");
  // A password with '@' in it: the userinfo ends at the authority's last '@'.
  EXPECT_EQ(PostgresSqlConnection::WithoutPassword("postgres://corsd:p@ss@w0rd@db:5432/corsd"),
            "postgres://corsd@db:5432/corsd");
  // The password as a query parameter, in any position and case.
  EXPECT_EQ(PostgresSqlConnection::WithoutPassword(
                "postgres://corsd@db/corsd?sslmode=require&password=s3cret&connect_timeout=5"),
            "postgres://corsd@db/corsd?sslmode=require&connect_timeout=5");
  EXPECT_EQ(PostgresSqlConnection::WithoutPassword("postgresql://db/corsd?PASSWORD=x"),
            "postgresql://db/corsd");
  // '@' in the path or query is not userinfo.
  EXPECT_EQ(PostgresSqlConnection::WithoutPassword("postgres://db/corsd?application_name=a@b"),
            "postgres://db/corsd?application_name=a@b");
}

TEST(PostgresConnection, UnreachableServerIsUnavailable) {
  auto store = OpenPostgresStore("postgres://corsd@127.0.0.1:1/nope", {});
  ASSERT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("unreachable"));
}

}  // namespace
}  // namespace corsd::store
