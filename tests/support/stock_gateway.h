// A stock gateway (Debian's nginx or caddy) started by a test with the
// project's own example configuration (examples/nginx/corsd.conf,
// examples/nginx/corsd-module.conf with this build's ngx_http_corsd_module,
// or examples/caddy/Caddyfile), its placeholders filled in, on a loopback
// port chosen for it, with every file it writes under the test's temp
// directory. Stopped (SIGTERM, then SIGKILL) when destroyed.
//
//   auto nginx = StockGateway::Start(StockGateway::kNginx, dir, {.corsd_http_port = ...,
//                                    .upstream_port = ..., .tenant = "web"});
//   if (nginx == nullptr) GTEST_SKIP() << ...;   // only when the binary is missing
//   httplib::Client(nginx->address()) ...
#ifndef CORSD_TESTS_SUPPORT_STOCK_GATEWAY_H_
#define CORSD_TESTS_SUPPORT_STOCK_GATEWAY_H_

#include <memory>
#include <string>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {

struct StockGatewayConfig {
  int corsd_http_port = 0;  // corsd serve --http-listen
  int upstream_port = 0;    // the application behind the gateway
  std::string tenant;
  // kNginxModule: corsd's ports and a file holding a viewer token.
  std::string corsd_admin_address;
  std::string corsd_data_address;
  std::string token_file;
  int listen_port = 0;  // 0: a free loopback port
  // nginx: appended to the site configuration (inside `http`), e.g. one more
  // server block a test needs.
  std::string site_append;
};

class StockGateway {
 public:
  enum Kind { kNginx, kCaddy, kNginxModule };

  // Whether the gateway's binary (and for kNginxModule, the module) is
  // built or installed (scripts/install-deps --test).
  static bool Installed(Kind kind);
  static std::string Name(Kind kind);
  // This build's module (build/nginx-module/ngx_http_corsd_module.so).
  static std::string ModulePath();
  // Starts the gateway and waits until it accepts connections; fails the
  // test (and returns null) when it does not start.
  static std::unique_ptr<StockGateway> Start(Kind kind, const TempDir& dir,
                                             const StockGatewayConfig& config);
  ~StockGateway();

  int port() const { return port_; }
  std::string log() const;
  // nginx: the access log's lines so far (kNginxModule logs $corsd_verdict).
  std::string access_log() const;
  // nginx: where each worker keeps its policy snapshot (kNginxModule).
  std::string snapshot_path() const { return prefix_ + "/snapshot/corsd.snapshot"; }
  // nginx -s reload: SIGHUP to the master, which starts new workers with the
  // configuration read again and lets the old ones finish their requests.
  void Reload();

 private:
  Kind kind_ = kNginx;
  int port_ = 0;
  std::string prefix_;
  std::string log_path_;
  std::string error_log_path_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_STOCK_GATEWAY_H_
