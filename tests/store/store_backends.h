// The backends the PolicyStore contract tests run against. Each fixture is a
// fresh, empty database; OpenAnother() opens a second, independent connection
// to the same database (as another corsd process would).
#ifndef CORSD_TESTS_STORE_STORE_BACKENDS_H_
#define CORSD_TESTS_STORE_STORE_BACKENDS_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "service/store/policy_store.h"
#include "service/store/sql_connection.h"

namespace corsd::testing {

class StoreFixture {
 public:
  virtual ~StoreFixture() = default;
  virtual store::PolicyStore* store() = 0;
  virtual std::unique_ptr<store::PolicyStore> OpenAnother() = 0;
  // Another store on the same database whose connection is `wrap(real)`
  // (see HookedSqlConnection).
  using ConnectionWrapper =
      std::function<std::unique_ptr<store::SqlConnection>(std::unique_ptr<store::SqlConnection>)>;
  // Its compaction deletes kWrappedBatchRows rows per transaction.
  static constexpr int64_t kWrappedBatchRows = 10;
  virtual std::unique_ptr<store::PolicyStore> OpenWrapped(const ConnectionWrapper& wrap) = 0;
};

struct StoreBackend {
  std::string name;
  std::function<std::unique_ptr<StoreFixture>()> make;
};

// So gtest names the parameter instead of dumping its bytes.
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

// SQLite always; PostgreSQL when a server can be started on this machine.
std::vector<StoreBackend> StoreBackends();

}  // namespace corsd::testing

#endif  // CORSD_TESTS_STORE_STORE_BACKENDS_H_
