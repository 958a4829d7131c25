// SqliteDatabase is one open sqlite3 database handle configured the way corsd
// needs it (WAL, synchronous=FULL, foreign keys, busy timeout) with a cache
// of prepared statements. SqliteSqlConnection builds the store's
// SqlConnection on it; tests use it directly to inspect a database. It is not
// thread-safe: the owner serializes access.
//
//   ASSIGN_OR_RETURN(auto db, SqliteDatabase::Open("/var/lib/corsd.db"));
//   RETURN_IF_ERROR(db->Execute("BEGIN IMMEDIATE"));
//   SqliteStatement s = db->Prepare("SELECT current_revision FROM tenants WHERE name = ?");
//   s.Bind(tenant);
//   while (ASSIGN_OR_RETURN(bool row, s.Step()), row) { s.Int(0); }
//   RETURN_IF_ERROR(db->Execute("COMMIT"));  // durable once this returns
//
// SQLite result codes map to absl codes: BUSY/LOCKED -> UNAVAILABLE (another
// writer holds the database longer than the busy timeout), CONSTRAINT ->
// FAILED_PRECONDITION, CORRUPT/NOTADB -> DATA_LOSS, I/O and FULL ->
// UNAVAILABLE, everything else -> INTERNAL.
#ifndef CORSD_SERVICE_STORE_SQLITE_DATABASE_H_
#define CORSD_SERVICE_STORE_SQLITE_DATABASE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace corsd::store {

absl::Status SqliteError(sqlite3* db, int code, absl::string_view what);

// A cached prepared statement, borrowed for one use: bind, step, read
// columns. Reset (and its bindings cleared) when the borrower goes away.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement(SqliteStatement&& other) noexcept
      : stmt_(other.stmt_), db_(other.db_), next_index_(other.next_index_) {
    other.stmt_ = nullptr;
  }

  // Binds the next '?' parameter, left to right.
  SqliteStatement& Bind(int64_t value);
  SqliteStatement& Bind(absl::string_view text);
  SqliteStatement& BindBlob(absl::string_view bytes);

  // true: a row is available; false: done.
  absl::StatusOr<bool> Step();
  // Steps to completion, for statements that return no rows.
  absl::Status Run();

  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  int ColumnType(int column) const { return sqlite3_column_type(stmt_, column); }
  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  int next_index_ = 1;
  int bind_error_ = SQLITE_OK;
};

class SqliteDatabase {
 public:
  struct Options {
    absl::Duration busy_timeout = absl::Seconds(5);
    bool read_only = false;
  };

  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const std::string& path,
                                                              Options options);
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const std::string& path) {
    return Open(path, Options{});
  }
  ~SqliteDatabase();

  // Runs one or more statements that return no rows (migrations, PRAGMAs).
  absl::Status Execute(absl::string_view sql);
  // Prepares `sql` once per connection and lends it out; a statement may be
  // borrowed by one caller at a time.
  SqliteStatement Prepare(const std::string& sql);
  // Like Prepare, but reports a syntax error instead of failing on Step.
  absl::StatusOr<SqliteStatement> TryPrepare(const std::string& sql);

  // PRAGMA data_version: changes whenever another connection (in this process
  // or another one) commits to the database.
  absl::StatusOr<int64_t> DataVersion();
  int64_t LastInsertRowId() const;

  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_DATABASE_H_
