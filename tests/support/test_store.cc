#include "tests/support/test_store.h"

#include <cstdlib>

#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "service/store/sql_policy_store.h"
#include "tests/support/postgres_server.h"

namespace corsd::testing {

bool TestingWithPostgres() {
  const char* store = std::getenv("CORSD_TEST_STORE");
  return store != nullptr && std::string(store) == "postgres";
}

TestStore::TestStore(const TempDir& dir) {
  if (!TestingWithPostgres()) {
    db_path_ = dir.File("corsd.db");
    return;
  }
  std::string error;
  PostgresServer* server = SharedPostgres(&error);
  if (server == nullptr) {
    ADD_FAILURE() << error;
    return;
  }
  url_ = server->CreateDatabase();
  EXPECT_FALSE(url_.empty()) << "cannot create a PostgreSQL database";
}

std::vector<std::string> TestStore::Flags() const {
  if (postgres()) return {"--store", url_};
  return {"--db", db_path_};
}

std::string TestStore::CreateToken(const std::string& role, const std::string& tenant,
                                   const std::string& label) const {
  std::vector<std::string> argv = {BinaryDir() + "/corsd", "token", "create", "--role", role};
  for (const std::string& flag : Flags()) argv.push_back(flag);
  if (!tenant.empty()) argv.insert(argv.end(), {"--tenant", tenant});
  if (!label.empty()) argv.insert(argv.end(), {"--name", label});
  ProgramResult result = RunProgram(argv);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return std::string(absl::StripTrailingAsciiWhitespace(result.out));
}

CorsdOptions TestStore::Options(const std::string& dir, std::vector<std::string> extra_args,
                                const std::string& name) const {
  return CorsdOptions{.db = db_path_,
                      .store_url = url_,
                      .dir = dir,
                      .extra_args = std::move(extra_args),
                      .name = name};
}

std::unique_ptr<store::PolicyStore> TestStore::OpenDirect() const {
  auto opened =
      postgres() ? store::OpenPostgresStore(url_, {}) : store::OpenSqliteStore(db_path_, {});
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? std::move(*opened) : nullptr;
}

}  // namespace corsd::testing
