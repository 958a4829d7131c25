// Opening the embedded SQLite store (kept as a name for the default store;
// the implementation is SqlPolicyStore over SqliteSqlConnection).
//
//   ASSIGN_OR_RETURN(auto store, SqlitePolicyStore::Open("var/corsd.db"));
#ifndef CORSD_SERVICE_STORE_SQLITE_POLICY_STORE_H_
#define CORSD_SERVICE_STORE_SQLITE_POLICY_STORE_H_

#include <memory>
#include <string>

#include "service/store/sql_policy_store.h"

namespace corsd::store {

struct SqlitePolicyStore {
  using Options = StoreOpenOptions;
  static absl::StatusOr<std::unique_ptr<SqlPolicyStore>> Open(const std::string& path,
                                                              const Options& options) {
    return OpenSqliteStore(path, options);
  }
  static absl::StatusOr<std::unique_ptr<SqlPolicyStore>> Open(const std::string& path) {
    return OpenSqliteStore(path, Options{});
  }
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_POLICY_STORE_H_
