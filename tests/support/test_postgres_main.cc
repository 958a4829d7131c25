// corsd-test-postgres: starts and stops the PostgreSQL server that a ctest
// run's tests share (the postgres_fixture ctest fixture).
//
//   corsd-test-postgres start FILE   # starts one, writes its directory to FILE
//   corsd-test-postgres stop FILE    # stops it and removes the directory
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/strip.h"
#include "tests/support/postgres_server.h"
#include "tests/support/subprocess.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: corsd-test-postgres start|stop FILE\n");
    return 2;
  }
  const std::string command = argv[1];
  const std::string file = argv[2];
  std::string error;
  if (command == "start") {
    auto server = corsd::testing::PostgresServer::Start(&error);
    if (server == nullptr) {
      fprintf(stderr, "corsd-test-postgres: %s\n", error.c_str());
      return 1;
    }
    std::ofstream(file) << server->dir() << "\n";
    printf("PostgreSQL for tests on 127.0.0.1:%d (%s)\n", server->port(), server->dir().c_str());
    server->Detach();
    return 0;
  }
  if (command == "stop") {
    std::string dir(absl::StripAsciiWhitespace(corsd::testing::ReadFileOrEmpty(file)));
    auto server = corsd::testing::PostgresServer::Attach(dir, &error);
    if (server == nullptr) return 0;  // nothing was started
    server->StopServer();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    std::filesystem::remove(file, ignored);
    return 0;
  }
  fprintf(stderr, "usage: corsd-test-postgres start|stop FILE\n");
  return 2;
}
