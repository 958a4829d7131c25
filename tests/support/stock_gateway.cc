#include "tests/support/stock_gateway.h"

#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/loopback_port.h"

namespace corsd::testing {
namespace {

constexpr char kNginxBinary[] = "/usr/sbin/nginx";
constexpr char kCaddyBinary[] = "/usr/bin/caddy";

std::string ExampleFile(const std::string& relative) {
  return ReadFileOrEmpty(absl::StrCat(CORSD_SOURCE_DIR, "/examples/", relative));
}

bool Accepts(int port) {
  // Any answer at all, even an error, means the gateway is up.
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(0, 200'000);
  return static_cast<bool>(client.Get("/"));
}

}  // namespace

bool StockGateway::Installed(Kind kind) {
  if (kind == kNginxModule && !std::filesystem::exists(ModulePath())) return false;
  return std::filesystem::exists(kind == kCaddy ? kCaddyBinary : kNginxBinary);
}

std::string StockGateway::Name(Kind kind) {
  switch (kind) {
    case kNginx:
      return "nginx";
    case kCaddy:
      return "caddy";
    case kNginxModule:
      return "nginx-module";
  }
  return "?";
}

std::string StockGateway::ModulePath() {
  return BinaryDir() + "/../nginx-module/ngx_http_corsd_module.so";
}

std::unique_ptr<StockGateway> StockGateway::Start(Kind kind, const TempDir& dir,
                                                  const StockGatewayConfig& config) {
  auto gateway = std::unique_ptr<StockGateway>(new StockGateway());
  gateway->kind_ = kind;
  gateway->port_ = config.listen_port != 0 ? config.listen_port : FreeLoopbackPort();
  const std::string prefix = dir.File(Name(kind));
  gateway->prefix_ = prefix;
  std::filesystem::create_directories(prefix + "/logs");
  std::filesystem::create_directories(prefix + "/tmp");
  std::filesystem::create_directories(prefix + "/modules");
  const absl::flat_hash_map<std::string, std::string> placeholders = {
      {"CORSD_HTTP_ADDR", absl::StrCat("127.0.0.1:", config.corsd_http_port)},
      {"CORSD_ADMIN_ADDR", config.corsd_admin_address},
      {"CORSD_DATA_ADDR", config.corsd_data_address},
      {"TOKEN_FILE", config.token_file},
      {"SNAPSHOT", gateway->snapshot_path()},
      {"UPSTREAM_ADDR", absl::StrCat("127.0.0.1:", config.upstream_port)},
      {"LISTEN_PORT", absl::StrCat(gateway->port_)},
      {"TENANT", config.tenant}};
  gateway->log_path_ = prefix + "/stdout.log";
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  if (kind == kNginx || kind == kNginxModule) {
    const std::string site = prefix + "/corsd.conf";
    std::ofstream(site) << absl::StrReplaceAll(
                               ExampleFile(kind == kNginx ? "nginx/corsd.conf"
                                                          : "nginx/corsd-module.conf"),
                               placeholders)
                        << config.site_append;
    if (kind == kNginxModule) {
      std::ofstream(prefix + "/modules/corsd.conf")
          << "load_module " << std::filesystem::canonical(ModulePath()).string() << ";\n";
      // Started as root, nginx's workers run as nobody and write the
      // snapshot: let them reach and write its directory.
      std::filesystem::create_directories(prefix + "/snapshot");
      std::filesystem::permissions(prefix + "/snapshot", std::filesystem::perms::all);
      for (const std::string& path : {dir.path(), prefix}) {
        std::filesystem::permissions(path, std::filesystem::perms::others_exec,
                                     std::filesystem::perm_options::add);
      }
    }
    const std::string main = prefix + "/nginx.conf";
    std::ofstream(main) << absl::StrReplaceAll(ExampleFile("nginx/test-nginx.conf.in"),
                                               {{"CORSD_CONF", site}, {"PREFIX", prefix}});
    gateway->error_log_path_ = prefix + "/logs/error.log";
    argv = {kNginxBinary, "-p", prefix, "-c", main};
  } else {
    const std::string caddyfile = prefix + "/Caddyfile";
    std::ofstream(caddyfile) << absl::StrReplaceAll(ExampleFile("caddy/Caddyfile"), placeholders);
    // Caddy keeps state (and an autosaved config) under these.
    env = {{"HOME", prefix},
           {"XDG_CONFIG_HOME", prefix + "/config"},
           {"XDG_DATA_HOME", prefix + "/data"}};
    argv = {kCaddyBinary, "run", "--config", caddyfile, "--adapter", "caddyfile"};
  }
  gateway->process_ = std::make_unique<Subprocess>(argv, gateway->log_path_, env);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (Accepts(gateway->port_)) return gateway;
    if (!gateway->process_->running()) break;
    absl::SleepFor(absl::Milliseconds(25));
  }
  ADD_FAILURE() << Name(kind) << " did not start:\n" << gateway->log();
  return nullptr;
}

std::string StockGateway::access_log() const {
  return ReadFileOrEmpty(prefix_ + "/logs/corsd-access.log");
}

void StockGateway::Reload() { process_->Signal(SIGHUP); }

std::string StockGateway::log() const {
  std::string out = ReadFileOrEmpty(log_path_);
  if (!error_log_path_.empty()) out += ReadFileOrEmpty(error_log_path_);
  return out;
}

StockGateway::~StockGateway() {
  if (process_ != nullptr && process_->running()) {
    process_->Signal(SIGTERM);
    if (process_->Wait(absl::Seconds(10)) == -1) process_->Signal(SIGKILL);
  }
}

}  // namespace corsd::testing
