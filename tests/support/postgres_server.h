// Real PostgreSQL 15 servers for tests.
//
// PostgresServer runs one: initdb into a fresh directory, pg_ctl on a
// loopback port, stopped and removed when the object goes away. As root it
// runs the server as the `postgres` system user (initdb refuses root).
//
// Test binaries share one server per ctest run: the `postgres` ctest
// fixture starts it with `corsd-test-postgres start` and writes where it is
// to CORSD_TEST_POSTGRES_FILE (a path in the build tree); SharedPostgres()
// reads that, or starts a private server when a test binary runs by hand. Each test
// then creates its own database with CreateDatabase().
#ifndef CORSD_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define CORSD_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <memory>
#include <string>
#include <vector>

namespace corsd::testing {

class PostgresServer {
 public:
  // Starts a new server in a new directory; null (and *error set) when
  // PostgreSQL cannot be started here.
  static std::unique_ptr<PostgresServer> Start(std::string* error);
  // Attaches to a server started by `corsd-test-postgres start` in `dir`.
  static std::unique_ptr<PostgresServer> Attach(const std::string& dir, std::string* error);
  ~PostgresServer();

  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  // postgres://corsd@127.0.0.1:PORT/DATABASE
  std::string Url(const std::string& database) const;
  // A new, empty database; returns its URL (empty on failure).
  std::string CreateDatabase();

  // pg_ctl stop -m fast / pg_ctl start, for outage tests. Both wait.
  bool StopServer();
  bool StartServer();
  // The server's log (why a start failed), for a test's failure message.
  std::string ServerLog() const;

  // Keep the server running after this object goes away (the fixture's
  // `start` command hands it over to `stop`).
  void Detach() { owned_ = false; }

 private:
  PostgresServer() = default;
  bool Run(const std::vector<std::string>& argv, std::string* output = nullptr);

  std::string dir_;
  int port_ = 0;
  bool owned_ = true;
};

// The server this test binary uses (see above); null with *error when none
// can be had.
PostgresServer* SharedPostgres(std::string* error);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_POSTGRES_SERVER_H_
