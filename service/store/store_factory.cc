#include "service/store/store_factory.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/postgres_sql_connection.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {

absl::Status CheckSelection(const StoreSelection& selection) {
  if (!selection.db_path.empty() && !selection.store_url.empty()) {
    return absl::InvalidArgumentError("use either --db (SQLite) or --store (PostgreSQL), not both");
  }
  if (selection.db_path.empty() && selection.store_url.empty()) {
    return absl::InvalidArgumentError(
        "no store selected: pass --db PATH (SQLite) or --store postgres://... (or set CORSD_DB / "
        "CORSD_STORE)");
  }
  if (!selection.store_url.empty() && !absl::StartsWith(selection.store_url, "postgres://") &&
      !absl::StartsWith(selection.store_url, "postgresql://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--store ", PostgresSqlConnection::WithoutPassword(selection.store_url),
                     ": only postgres:// or postgresql:// URLs are supported"));
  }
  return absl::OkStatus();
}

std::string DescribeSelection(const StoreSelection& selection) {
  return selection.store_url.empty() ? absl::StrCat("sqlite:", selection.db_path)
                                     : PostgresSqlConnection::WithoutPassword(selection.store_url);
}

absl::StatusOr<OpenedStore> OpenStore(const StoreSelection& selection, bool migrate) {
  RETURN_IF_ERROR(CheckSelection(selection));
  StoreOpenOptions options{.apply_migrations = migrate};
  absl::StatusOr<std::unique_ptr<SqlPolicyStore>> store =
      selection.store_url.empty() ? OpenSqliteStore(selection.db_path, options)
                                  : OpenPostgresStore(selection.store_url, options);
  if (!store.ok()) return store.status();
  OpenedStore opened;
  opened.migrations_applied = (*store)->migrations().applied;
  opened.store = std::move(*store);
  return opened;
}

}  // namespace corsd::store
