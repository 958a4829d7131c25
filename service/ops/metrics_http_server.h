// Serves GET /metrics (Prometheus text format) and GET /healthz over plain
// HTTP on its own thread.
//
//   ASSIGN_OR_RETURN(auto http, MetricsHttpServer::Start("127.0.0.1:9090", &registry));
//   http->port();   // the bound port (useful with ":0")
//   http->Stop();   // also done by the destructor
#ifndef CORSD_SERVICE_OPS_METRICS_HTTP_SERVER_H_
#define CORSD_SERVICE_OPS_METRICS_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "service/ops/metrics.h"

namespace httplib {
class Server;
}

namespace corsd::ops {

class MetricsHttpServer {
 public:
  // `address` is HOST:PORT; port 0 picks a free one.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& address,
                                                                  const MetricsRegistry* registry);
  ~MetricsHttpServer();

  int port() const { return port_; }
  void Stop();

 private:
  MetricsHttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" / "[v6]:port"; the port must be 0..65535.
absl::Status SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace corsd::ops

#endif  // CORSD_SERVICE_OPS_METRICS_HTTP_SERVER_H_
