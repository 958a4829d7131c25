// HookedSqlConnection passes every call to a real SqlConnection (SQLite or
// PostgreSQL) and lets a test act at exact points inside a store operation:
// after a given statement ran, or by looking at what each write transaction
// changed. This is how store tests force an interleaving (another connection
// commits between two statements of one operation) without sleeping.
// Not thread-safe beyond what the wrapped connection is; the store calls it
// under its own lock.
#ifndef CORSD_TESTS_STORE_HOOKED_SQL_CONNECTION_H_
#define CORSD_TESTS_STORE_HOOKED_SQL_CONNECTION_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "service/store/sql_connection.h"

namespace corsd::testing {

class HookedSqlConnection final : public store::SqlConnection {
 public:
  explicit HookedSqlConnection(std::unique_ptr<store::SqlConnection> real)
      : real_(std::move(real)) {}

  // Runs `hook` once, right after the first query whose text contains
  // `fragment` returned.
  void AfterQueryOnce(std::string fragment, std::function<void()> hook) {
    fragment_ = std::move(fragment);
    hook_ = std::move(hook);
  }
  // The most rows one write transaction changed, and how many committed.
  int64_t max_rows_per_write() const { return max_rows_per_write_; }
  int writes_committed() const { return writes_committed_; }

  absl::Status BeginWrite() override {
    in_write_ = true;
    rows_this_write_ = 0;
    return real_->BeginWrite();
  }
  absl::Status BeginRead() override { return real_->BeginRead(); }
  absl::Status Commit() override {
    absl::Status status = real_->Commit();
    if (in_write_ && status.ok()) {
      max_rows_per_write_ = std::max(max_rows_per_write_, rows_this_write_);
      ++writes_committed_;
    }
    in_write_ = false;
    return status;
  }
  void Rollback() override {
    in_write_ = false;
    real_->Rollback();
  }
  absl::Status QueryEach(absl::string_view sql, std::initializer_list<store::SqlValue> params,
                         RowCallback on_row) override {
    absl::Status status = real_->QueryEach(sql, params, on_row);
    if (hook_ && absl::StrContains(sql, fragment_)) std::exchange(hook_, nullptr)();
    return status;
  }
  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  std::initializer_list<store::SqlValue> params) override {
    absl::StatusOr<int64_t> changed = real_->Execute(sql, params);
    if (changed.ok()) rows_this_write_ += *changed;
    return changed;
  }
  absl::Status ExecuteScript(absl::string_view sql) override { return real_->ExecuteScript(sql); }
  absl::Status AnnounceChange(absl::string_view tenant, int64_t revision) override {
    return real_->AnnounceChange(tenant, revision);
  }
  absl::StatusOr<bool> HasExternalChanges() override { return real_->HasExternalChanges(); }
  absl::Status Ping() override { return real_->Ping(); }
  std::string Describe() const override { return real_->Describe(); }

 private:
  std::unique_ptr<store::SqlConnection> real_;
  std::string fragment_;
  std::function<void()> hook_;
  bool in_write_ = false;
  int64_t rows_this_write_ = 0;
  int64_t max_rows_per_write_ = 0;
  int writes_committed_ = 0;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_STORE_HOOKED_SQL_CONNECTION_H_
