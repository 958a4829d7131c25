// Opens the PolicyStore selected on the command line: --db PATH (SQLite, the
// default) or --store postgres://... (PostgreSQL).
#ifndef CORSD_SERVICE_SERVER_STORE_FACTORY_H_
#define CORSD_SERVICE_SERVER_STORE_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/store/policy_store.h"

namespace corsd::server {

struct StoreSelection {
  std::string db_path;    // --db
  std::string store_url;  // --store
};

struct OpenedStore {
  std::unique_ptr<store::PolicyStore> store;
  std::vector<std::string> migrations_applied;
};

// Applies pending migrations when `migrate` is set; otherwise requires an
// up-to-date schema.
absl::StatusOr<OpenedStore> OpenStore(const StoreSelection& selection, bool migrate);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_STORE_FACTORY_H_
