#include "service/server/store_factory.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/common/status_macros.h"
#include "service/store/sqlite_policy_store.h"

namespace corsd::server {

absl::StatusOr<OpenedStore> OpenStore(const StoreSelection& selection, bool migrate) {
  if (!selection.db_path.empty() && !selection.store_url.empty()) {
    return absl::InvalidArgumentError("use either --db (SQLite) or --store (PostgreSQL), not both");
  }
  OpenedStore opened;
  if (!selection.store_url.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store ", selection.store_url, ": only postgres:// or postgresql:// URLs are supported"));
  }
  if (selection.db_path.empty()) {
    return absl::InvalidArgumentError(
        "no store selected: pass --db PATH (SQLite) or --store postgres://... (or set CORSD_DB)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::SqlitePolicyStore> sqlite,
                   store::SqlitePolicyStore::Open(selection.db_path, {.apply_migrations = migrate}));
  opened.migrations_applied = sqlite->migrations().applied;
  opened.store = std::move(sqlite);
  return opened;
}

}  // namespace corsd::server
