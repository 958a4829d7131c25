// SqlConnection is the little SQL a PolicyStore needs, over either SQLite or
// PostgreSQL, so the store's logic (sql_policy_store.h) is written once and
// both backends behave the same by construction.
//
// SQL is written once with `?` placeholders; drivers translate as needed.
// Values are int64, text or bytes. A connection is not thread-safe; the
// store serializes access to it.
//
//   RETURN_IF_ERROR(db->BeginWrite());            // serialized against every writer
//   ASSIGN_OR_RETURN(SqlRows rows, db->Query("SELECT current_revision FROM tenants WHERE name = ?",
//                                            {SqlValue(name)}));
//   RETURN_IF_ERROR(db->Commit());                // durable when OK
#ifndef CORSD_SERVICE_STORE_SQL_CONNECTION_H_
#define CORSD_SERVICE_STORE_SQL_CONNECTION_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::store {

// Bytes, as opposed to text (BLOB / BYTEA).
struct SqlBytes {
  std::string bytes;
};

using SqlValue = std::variant<int64_t, std::string, SqlBytes>;

class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> values) : values_(std::move(values)) {}
  // Column accessors; a mismatched type reads as 0 / "".
  int64_t Int(size_t column) const;
  const std::string& Text(size_t column) const;
  const std::string& Bytes(size_t column) const;
  // The same, moved out of the row (which then reads "" there): for reading
  // every tenant at start-up without copying each string twice.
  std::string TakeText(size_t column);
  std::string TakeBytes(size_t column);

 private:
  std::vector<SqlValue> values_;
};

using SqlRows = std::vector<SqlRow>;

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  // A write transaction, serialized against every other writer on the
  // database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped
  // advisory lock), so read-check-write sequences inside it cannot race and
  // change-feed sequence numbers follow commit order.
  virtual absl::Status BeginWrite() = 0;
  // A read transaction seeing one consistent snapshot.
  virtual absl::Status BeginRead() = 0;
  virtual absl::Status Commit() = 0;
  virtual void Rollback() = 0;

  // Runs a query and hands each row to `on_row` as it is read, so a large
  // result is never held whole as SqlRows (SQLite steps its statement;
  // PostgreSQL's client library receives the result first and its rows are
  // converted one at a time). The first error `on_row` returns ends the query
  // and is returned.
  using RowCallback = absl::FunctionRef<absl::Status(SqlRow& row)>;
  virtual absl::Status QueryEach(absl::string_view sql, std::initializer_list<SqlValue> params,
                                 RowCallback on_row) = 0;
  // Every row at once, for small results.
  absl::StatusOr<SqlRows> Query(absl::string_view sql, std::initializer_list<SqlValue> params);
  // Statements returning no rows; the result is the number of rows changed.
  virtual absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                          std::initializer_list<SqlValue> params) = 0;
  // Several statements without parameters (migrations).
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;

  // Inside a write transaction: tell other processes a change was
  // committed (PostgreSQL NOTIFY; SQLite needs nothing, see below).
  virtual absl::Status AnnounceChange(absl::string_view tenant, int64_t revision) = 0;
  // Cheap check whether another process committed since the last call
  // (SQLite: PRAGMA data_version; PostgreSQL: a notification arrived).
  virtual absl::StatusOr<bool> HasExternalChanges() = 0;

  virtual absl::Status Ping() = 0;
  virtual std::string Describe() const = 0;
};

// RAII for a transaction: rolls back unless Commit() succeeded.
class SqlTransaction {
 public:
  enum class Kind { kRead, kWrite };
  SqlTransaction(SqlConnection* db, Kind kind);
  ~SqlTransaction();
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;

  const absl::Status& status() const { return begin_status_; }
  absl::Status Commit();

 private:
  SqlConnection* db_;
  absl::Status begin_status_;
  bool open_ = false;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQL_CONNECTION_H_
