// The SQLite driver of SqlConnection: one sqlite3 connection (WAL,
// synchronous=FULL, foreign keys, busy timeout) with its statements prepared
// once. Other processes' commits show up through PRAGMA data_version, so
// AnnounceChange has nothing to do.
#ifndef CORSD_SERVICE_STORE_SQLITE_SQL_CONNECTION_H_
#define CORSD_SERVICE_STORE_SQLITE_SQL_CONNECTION_H_

#include <memory>
#include <string>

#include "service/store/sql_connection.h"
#include "service/store/sqlite_database.h"

namespace corsd::store {

class SqliteSqlConnection : public SqlConnection {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteSqlConnection>> Open(const std::string& path,
                                                                   absl::Duration busy_timeout);

  absl::Status BeginWrite() override { return Begin("BEGIN IMMEDIATE"); }
  absl::Status BeginRead() override { return Begin("BEGIN"); }
  absl::Status Commit() override;
  void Rollback() override;
  absl::Status QueryEach(absl::string_view sql, std::initializer_list<SqlValue> params,
                         RowCallback on_row) override;
  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  std::initializer_list<SqlValue> params) override;
  absl::Status ExecuteScript(absl::string_view sql) override { return db_->Execute(sql); }
  absl::Status AnnounceChange(absl::string_view, int64_t) override { return absl::OkStatus(); }
  absl::StatusOr<bool> HasExternalChanges() override;
  absl::Status Ping() override;
  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  SqliteSqlConnection(std::string path, std::unique_ptr<SqliteDatabase> db, int64_t version)
      : path_(std::move(path)), db_(std::move(db)), data_version_(version) {}
  absl::Status Begin(const char* statement);
  absl::StatusOr<SqliteStatement> Bound(absl::string_view sql,
                                        std::initializer_list<SqlValue> params);

  const std::string path_;
  std::unique_ptr<SqliteDatabase> db_;
  int64_t data_version_;
  bool in_transaction_ = false;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_SQL_CONNECTION_H_
