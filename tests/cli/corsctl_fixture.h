// CorsctlTest: a real corsd (SQLite, or PostgreSQL in the postgres pass)
// and the real corsctl binary run against it with an admin token.
#ifndef CORSD_TESTS_CLI_CORSCTL_FIXTURE_H_
#define CORSD_TESTS_CLI_CORSCTL_FIXTURE_H_

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/support/server_fixture.h"
#include "tests/support/subprocess.h"

namespace corsd::testing {

class CorsctlTest : public ServerTest {
 protected:
  // Runs corsctl against this test's server with the admin token.
  ProgramResult Ctl(std::vector<std::string> args, const std::string& input = "",
                    std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {BinaryDir() + "/corsctl", "--server", corsd_->admin_address(),
                                     "--data-server", corsd_->data_address()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!env.contains("CORSD_TOKEN")) env["CORSD_TOKEN"] = admin_token_;
    return RunProgram(argv, input, env, absl::Seconds(30));
  }

  std::string WriteFile(const std::string& name, const std::string& contents) {
    std::string path = dir_.File(name);
    std::ofstream(path) << contents;
    return path;
  }
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_CLI_CORSCTL_FIXTURE_H_
