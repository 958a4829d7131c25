// The C API (corsd/corsd_c.h) from a plain C program (c_api_program.c)
// against a real corsd: live local decisions, then with corsd stopped, from
// the snapshot the first run wrote, and with neither, the fail-closed answer.
#include <fstream>

#include "gmock/gmock.h"
#include "tests/support/server_fixture.h"
#include "tests/support/subprocess.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CApiTest : public ServerTest {
 protected:
  ProgramResult RunC(const std::string& mode, const std::string& admin,
                     const std::string& snapshot = "") {
    std::vector<std::string> argv = {BinaryDir() + "/c_api_program", mode, admin, token_file_};
    if (!snapshot.empty()) argv.push_back(snapshot);
    return RunProgram(argv);
  }

  std::string token_file_ = dir_.File("gateway.token");
};

TEST_F(CApiTest, DecidesLocallyThenFromTheSnapshotThenFailsClosed) {
  ASSERT_TRUE(CreateTenant("shop", {"shop.example.com"}).ok());
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  std::ofstream(token_file_) << "  " << store_->CreateToken("viewer", "", "c-gateway") << "\n";
  const std::string admin = corsd_->admin_address();
  const std::string snapshot = dir_.File("gateway.snapshot");

  ProgramResult live = RunC("live", admin, snapshot);
  EXPECT_EQ(live.exit_code, 0) << live.out << live.err;
  EXPECT_THAT(live.out, Not(HasSubstr("FAILED")));
  EXPECT_THAT(live.out, HasSubstr("ok: corsd_merge_vary"));

  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);
  ProgramResult from_snapshot = RunC("snapshot", admin, snapshot);
  EXPECT_EQ(from_snapshot.exit_code, 0) << from_snapshot.out << from_snapshot.err;
  EXPECT_THAT(from_snapshot.out, HasSubstr("ok: status.from_snapshot == 1"));

  ProgramResult none = RunC("none", admin);
  EXPECT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_THAT(none.out, HasSubstr("watch_error: UNAVAILABLE"));
}

}  // namespace
}  // namespace corsd::testing
