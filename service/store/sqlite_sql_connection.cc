#include "service/store/sqlite_sql_connection.h"

#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"

namespace corsd::store {

absl::StatusOr<std::unique_ptr<SqliteSqlConnection>> SqliteSqlConnection::Open(
    const std::string& path, absl::Duration busy_timeout) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                   SqliteDatabase::Open(path, {.busy_timeout = busy_timeout}));
  ASSIGN_OR_RETURN(int64_t version, db->DataVersion());
  return std::unique_ptr<SqliteSqlConnection>(
      new SqliteSqlConnection(path, std::move(db), version));
}

absl::Status SqliteSqlConnection::Begin(const char* statement) {
  RETURN_IF_ERROR(db_->Execute(statement));
  in_transaction_ = true;
  return absl::OkStatus();
}

absl::Status SqliteSqlConnection::Commit() {
  RETURN_IF_ERROR(db_->Execute("COMMIT"));
  in_transaction_ = false;
  return absl::OkStatus();
}

void SqliteSqlConnection::Rollback() {
  if (!in_transaction_) return;
  db_->Execute("ROLLBACK").IgnoreError();
  in_transaction_ = false;
}

absl::StatusOr<SqliteStatement> SqliteSqlConnection::Bound(absl::string_view sql,
                                                           std::initializer_list<SqlValue> params) {
  ASSIGN_OR_RETURN(SqliteStatement statement, db_->TryPrepare(std::string(sql)));
  for (const SqlValue& param : params) {
    if (const int64_t* i = std::get_if<int64_t>(&param)) {
      statement.Bind(*i);
    } else if (const std::string* text = std::get_if<std::string>(&param)) {
      statement.Bind(*text);
    } else {
      statement.BindBlob(std::get<SqlBytes>(param).bytes);
    }
  }
  return statement;
}

absl::Status SqliteSqlConnection::QueryEach(absl::string_view sql,
                                            std::initializer_list<SqlValue> params,
                                            RowCallback on_row) {
  ASSIGN_OR_RETURN(SqliteStatement statement, Bound(sql, params));
  while (true) {
    ASSIGN_OR_RETURN(bool row, statement.Step());
    if (!row) break;
    std::vector<SqlValue> values;
    values.reserve(statement.ColumnCount());
    for (int i = 0; i < statement.ColumnCount(); ++i) {
      switch (statement.ColumnType(i)) {
        case SQLITE_INTEGER:
          values.emplace_back(statement.Int(i));
          break;
        case SQLITE_BLOB:
          values.emplace_back(SqlBytes{statement.Blob(i)});
          break;
        default:
          values.emplace_back(statement.Text(i));
          break;
      }
    }
    SqlRow read(std::move(values));
    RETURN_IF_ERROR(on_row(read));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteSqlConnection::Execute(absl::string_view sql,
                                                     std::initializer_list<SqlValue> params) {
  ASSIGN_OR_RETURN(SqliteStatement statement, Bound(sql, params));
  RETURN_IF_ERROR(statement.Run());
  return static_cast<int64_t>(sqlite3_changes(db_->handle()));
}

absl::StatusOr<bool> SqliteSqlConnection::HasExternalChanges() {
  ASSIGN_OR_RETURN(int64_t version, db_->DataVersion());
  bool changed = version != data_version_;
  data_version_ = version;
  return changed;
}

absl::Status SqliteSqlConnection::Ping() { return Query("SELECT 1", {}).status(); }

}  // namespace corsd::store
