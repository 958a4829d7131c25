// Where a test's corsd processes keep their state: a SQLite file in the
// test's temp dir, or, when CORSD_TEST_STORE=postgres (the "postgres." copy
// of the server, CLI and client suites in ctest), a fresh database on the
// PostgreSQL server the test run shares. Tests written against TestStore run
// unchanged on both backends.
//
//   TestStore store(dir);
//   std::string token = store.CreateToken("admin");
//   auto corsd = CorsdProcess::Start(store.Options(dir.path()));
#ifndef CORSD_TESTS_SUPPORT_TEST_STORE_H_
#define CORSD_TESTS_SUPPORT_TEST_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "service/store/policy_store.h"
#include "tests/support/corsd_process.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {

// True in the PostgreSQL pass of a suite.
bool TestingWithPostgres();

class TestStore {
 public:
  explicit TestStore(const TempDir& dir);

  bool postgres() const { return !url_.empty(); }
  // --db PATH or --store URL.
  std::vector<std::string> Flags() const;
  std::string CreateToken(const std::string& role, const std::string& tenant = "",
                          const std::string& label = "") const;
  CorsdOptions Options(const std::string& dir, std::vector<std::string> extra_args = {},
                       const std::string& name = "corsd") const;
  // The store itself, opened in this process (e.g. to change data behind
  // corsd's back).
  std::unique_ptr<store::PolicyStore> OpenDirect() const;

 private:
  std::string db_path_;
  std::string url_;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_TEST_STORE_H_
