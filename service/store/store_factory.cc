#include "service/store/store_factory.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/postgres_sql_connection.h"
#include "service/store/sql_policy_store.h"

namespace corsd::store {

absl::StatusOr<OpenedStore> OpenStore(const StoreSelection& selection, bool migrate) {
  if (!selection.db_path.empty() && !selection.store_url.empty()) {
    return absl::InvalidArgumentError("use either --db (SQLite) or --store (PostgreSQL), not both");
  }
  StoreOpenOptions options{.apply_migrations = migrate};
  absl::StatusOr<std::unique_ptr<SqlPolicyStore>> store;
  if (!selection.store_url.empty()) {
    if (!absl::StartsWith(selection.store_url, "postgres://") &&
        !absl::StartsWith(selection.store_url, "postgresql://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--store ", PostgresSqlConnection::WithoutPassword(selection.store_url),
                       ": only postgres:// or postgresql:// URLs are supported"));
    }
    store = OpenPostgresStore(selection.store_url, options);
  } else if (!selection.db_path.empty()) {
    store = OpenSqliteStore(selection.db_path, options);
  } else {
    return absl::InvalidArgumentError(
        "no store selected: pass --db PATH (SQLite) or --store postgres://... (or set CORSD_DB / "
        "CORSD_STORE)");
  }
  if (!store.ok()) return store.status();
  OpenedStore opened;
  opened.migrations_applied = (*store)->migrations().applied;
  opened.store = std::move(*store);
  return opened;
}

}  // namespace corsd::store
