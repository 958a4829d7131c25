#include "tests/support/postgres_server.h"

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/loopback_port.h"
#include "tests/support/subprocess.h"

namespace corsd::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin";

// As root, PostgreSQL must run as another user.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (geteuid() != 0) return argv;
  argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return argv;
}

}  // namespace

bool PostgresServer::Run(const std::vector<std::string>& argv, std::string* output) {
  ProgramResult result = RunProgram(AsServerUser(argv), "", {}, absl::Seconds(60));
  if (output != nullptr) *output = result.out + result.err;
  return result.exit_code == 0;
}

std::unique_ptr<PostgresServer> PostgresServer::Start(std::string* error) {
  if (!std::filesystem::exists(absl::StrCat(kBin, "/initdb"))) {
    *error = "PostgreSQL 15 is not installed (scripts/install-deps --test installs it)";
    return nullptr;
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  std::string pattern = "/tmp/corsd-pg.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  server->dir_ = pattern;
  if (geteuid() == 0) {
    if (passwd* pg = getpwnam("postgres")) {
      chown(server->dir_.c_str(), pg->pw_uid, pg->pw_gid);
    } else {
      *error = "running as root but there is no 'postgres' user to run PostgreSQL as";
      return nullptr;
    }
  }
  server->port_ = FreeLoopbackPort();
  std::string output;
  if (!server->Run({absl::StrCat(kBin, "/initdb"), "-D", server->dir_ + "/data", "-U", "corsd",
                    "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                   &output)) {
    *error = "initdb failed: " + output;
    return nullptr;
  }
  if (!server->StartServer()) {
    *error = "pg_ctl start failed: " + server->ServerLog();
    return nullptr;
  }
  std::ofstream(server->dir_ + "/port") << server->port_ << "\n";
  return server;
}

std::unique_ptr<PostgresServer> PostgresServer::Attach(const std::string& dir, std::string* error) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->dir_ = dir;
  server->owned_ = false;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFileOrEmpty(dir + "/port")),
                        &server->port_)) {
    *error = "no PostgreSQL server was started in " + dir;
    return nullptr;
  }
  return server;
}

bool PostgresServer::StartServer() {
  // fsync off: these servers hold throwaway test data, and speed matters on
  // two cores. (Durability of acknowledged writes is PostgreSQL's promise;
  // corsd's own durability tests run on SQLite.)
  return Run({absl::StrCat(kBin, "/pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w",
              "-t", "60", "-o",
              absl::StrCat("-p ", port_, " -k ", dir_,
                           " -c listen_addresses=127.0.0.1 -c fsync=off -c "
                           "synchronous_commit=off -c full_page_writes=off -c max_connections=200"),
              "start"});
}

std::string PostgresServer::ServerLog() const { return ReadFileOrEmpty(dir_ + "/server.log"); }

bool PostgresServer::StopServer() {
  return Run({absl::StrCat(kBin, "/pg_ctl"), "-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
}

PostgresServer::~PostgresServer() {
  if (!owned_) return;
  StopServer();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresServer::Url(const std::string& database) const {
  return absl::StrCat("postgres://corsd@127.0.0.1:", port_, "/", database);
}

std::string PostgresServer::CreateDatabase() {
  static std::atomic<int> counter{0};
  const std::string name = absl::StrCat("t", getpid(), "_", counter.fetch_add(1));
  try {
    pqxx::connection admin(Url("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + name);
  } catch (const std::exception& e) {
    return "";
  }
  return Url(name);
}

PostgresServer* SharedPostgres(std::string* error) {
  // A function-local static (not a leaked pointer) so that a private server
  // is stopped and removed when the test binary exits.
  static std::string why;
  static std::unique_ptr<PostgresServer> shared = [] {
    // The server the ctest fixture started, if there is one; otherwise
    // (a test binary run by hand) a private one.
    std::string dir(absl::StripAsciiWhitespace(ReadFileOrEmpty(CORSD_TEST_POSTGRES_FILE)));
    std::unique_ptr<PostgresServer> server = !dir.empty() && std::filesystem::exists(dir + "/port")
                                                 ? PostgresServer::Attach(dir, &why)
                                                 : PostgresServer::Start(&why);
    if (server == nullptr) std::cerr << "PostgreSQL for tests: " << why << "\n";
    return server;
  }();
  if (shared == nullptr) *error = "PostgreSQL could not be started (see above)";
  return shared.get();
}

}  // namespace corsd::testing
