#include "service/store/sql_connection.h"

namespace corsd::store {
namespace {
const std::string kEmpty;
}  // namespace

int64_t SqlRow::Int(size_t column) const {
  if (column >= values_.size()) return 0;
  const int64_t* value = std::get_if<int64_t>(&values_[column]);
  return value != nullptr ? *value : 0;
}

const std::string& SqlRow::Text(size_t column) const {
  if (column >= values_.size()) return kEmpty;
  const std::string* value = std::get_if<std::string>(&values_[column]);
  return value != nullptr ? *value : kEmpty;
}

std::string SqlRow::TakeText(size_t column) {
  if (column >= values_.size()) return "";
  std::string* value = std::get_if<std::string>(&values_[column]);
  return value != nullptr ? std::move(*value) : "";
}

std::string SqlRow::TakeBytes(size_t column) {
  if (column >= values_.size()) return "";
  if (SqlBytes* value = std::get_if<SqlBytes>(&values_[column])) return std::move(value->bytes);
  return TakeText(column);
}

const std::string& SqlRow::Bytes(size_t column) const {
  if (column >= values_.size()) return kEmpty;
  if (const SqlBytes* value = std::get_if<SqlBytes>(&values_[column])) return value->bytes;
  // Drivers may report an empty blob as text.
  return Text(column);
}

absl::StatusOr<SqlRows> SqlConnection::Query(absl::string_view sql,
                                             std::initializer_list<SqlValue> params) {
  SqlRows rows;
  absl::Status status = QueryEach(sql, params, [&](SqlRow& row) {
    rows.push_back(std::move(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return rows;
}

SqlTransaction::SqlTransaction(SqlConnection* db, Kind kind) : db_(db) {
  begin_status_ = kind == Kind::kWrite ? db_->BeginWrite() : db_->BeginRead();
  open_ = begin_status_.ok();
}

SqlTransaction::~SqlTransaction() {
  if (open_) db_->Rollback();
}

absl::Status SqlTransaction::Commit() {
  if (!open_) return begin_status_.ok() ? absl::FailedPreconditionError("not open") : begin_status_;
  absl::Status status = db_->Commit();
  open_ = false;
  // SQLite keeps a transaction open after a failed COMMIT; end it either way
  // (drivers treat a rollback without a transaction as a no-op).
  if (!status.ok()) db_->Rollback();
  return status;
}

}  // namespace corsd::store
