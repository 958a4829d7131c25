#include "tests/store/store_backends.h"

#include "service/store/migration.h"
#include "service/store/postgres_sql_connection.h"
#include "service/store/sql_policy_store.h"
#include "service/store/sqlite_sql_connection.h"
#include "tests/support/postgres_server.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

std::unique_ptr<store::PolicyStore> Unwrap(
    absl::StatusOr<std::unique_ptr<store::SqlPolicyStore>> opened) {
  if (!opened.ok()) throw std::runtime_error(std::string(opened.status().message()));
  return std::move(*opened);
}

class SqliteFixture : public StoreFixture {
 public:
  SqliteFixture() : path_(dir_.File("corsd.db")) {
    auto opened = store::OpenSqliteStore(path_, {});
    if (!opened.ok()) throw std::runtime_error(std::string(opened.status().message()));
    store_ = std::move(*opened);
  }
  store::PolicyStore* store() override { return store_.get(); }
  std::unique_ptr<store::PolicyStore> OpenAnother() override {
    auto opened = store::OpenSqliteStore(path_, {});
    if (!opened.ok()) throw std::runtime_error(std::string(opened.status().message()));
    return std::move(*opened);
  }
  std::unique_ptr<store::PolicyStore> OpenWrapped(const ConnectionWrapper& wrap) override {
    auto db = store::SqliteSqlConnection::Open(path_, absl::Seconds(5));
    if (!db.ok()) throw std::runtime_error(std::string(db.status().message()));
    return Unwrap(store::SqlPolicyStore::Open(wrap(std::move(*db)), store::SqliteMigrations(),
                                              {.compaction_batch_rows = kWrappedBatchRows}));
  }

 private:
  TempDir dir_;
  std::string path_;
  std::unique_ptr<store::PolicyStore> store_;
};

// A fresh database on the PostgreSQL server this test run shares.
class PostgresFixture : public StoreFixture {
 public:
  PostgresFixture() {
    std::string error;
    PostgresServer* server = SharedPostgres(&error);
    if (server == nullptr) throw std::runtime_error(error);
    url_ = server->CreateDatabase();
    if (url_.empty()) throw std::runtime_error("cannot create a PostgreSQL database");
    store_ = OpenAnother();
  }
  store::PolicyStore* store() override { return store_.get(); }
  std::unique_ptr<store::PolicyStore> OpenAnother() override {
    auto opened = store::OpenPostgresStore(url_, {});
    if (!opened.ok()) throw std::runtime_error(std::string(opened.status().message()));
    return std::move(*opened);
  }
  std::unique_ptr<store::PolicyStore> OpenWrapped(const ConnectionWrapper& wrap) override {
    auto db = store::PostgresSqlConnection::Open(url_);
    if (!db.ok()) throw std::runtime_error(std::string(db.status().message()));
    return Unwrap(store::SqlPolicyStore::Open(wrap(std::move(*db)), store::PostgresMigrations(),
                                              {.compaction_batch_rows = kWrappedBatchRows}));
  }

 private:
  std::string url_;
  std::unique_ptr<store::PolicyStore> store_;
};

}  // namespace

std::vector<StoreBackend> StoreBackends() {
  return {{"sqlite", [] { return std::make_unique<SqliteFixture>(); }},
          {"postgres", [] { return std::make_unique<PostgresFixture>(); }}};
}

}  // namespace corsd::testing
