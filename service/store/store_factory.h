// Opens the PolicyStore a command line selects: --db PATH (SQLite, the
// default) or --store postgres://... (PostgreSQL). Shared by every corsd
// command and the benchmark tools, which link the store library only.
//
//   ASSIGN_OR_RETURN(OpenedStore opened, OpenStore({.db_path = "corsd.db"}, /*migrate=*/true));
#ifndef CORSD_SERVICE_STORE_STORE_FACTORY_H_
#define CORSD_SERVICE_STORE_STORE_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/store/policy_store.h"

namespace corsd::store {

// What the flags chose; exactly one of the two is set.
struct StoreSelection {
  std::string db_path;    // --db (or CORSD_DB)
  std::string store_url;  // --store (or CORSD_STORE)
};

struct OpenedStore {
  std::unique_ptr<PolicyStore> store;
  std::vector<std::string> migrations_applied;
};

// INVALID_ARGUMENT, saying what to do, unless exactly one store is selected
// and its URL has a supported scheme.
absl::Status CheckSelection(const StoreSelection& selection);

// "sqlite:PATH" or the PostgreSQL URL without its password: for logs.
std::string DescribeSelection(const StoreSelection& selection);

// Applies pending migrations when `migrate` is set; otherwise requires an
// up-to-date schema.
absl::StatusOr<OpenedStore> OpenStore(const StoreSelection& selection, bool migrate);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_STORE_FACTORY_H_
