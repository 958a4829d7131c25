// HttpServer serves HTTP/1.1 (keep-alive, pipelining, optional TLS or mTLS)
// with a bounded cost per connection, for corsd's HTTP endpoint. It knows
// nothing of CORS: each complete request goes to one handler function.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> server,
//                    HttpServer::Start({.address = "127.0.0.1:0"},
//                                      [](HttpRequest& request) { return HttpResponse{}; }));
//   server->port();                                // the bound port
//   server->Shutdown(absl::Now() + absl::Seconds(5));
//
// Bounds: at most `worker_threads` connections are served at once, each by
// its own thread; up to `max_waiting_connections` more wait for a thread and
// any beyond are answered 503 at once and closed. Requests are held to the
// limits of http_message.h (a 414, 431, 413, 408 or 400 JSON answer, then
// the connection is closed), so a connection costs at most about
// kMaxRequestBytes of memory. A keep-alive connection idle for
// `idle_timeout` is closed without an answer, and sooner while other
// connections wait for a worker: a worker is held by a request, not by an
// idle client.
//
// Thread safety: the handler is called concurrently from the worker threads.
// Start/Shutdown/the destructor are called from one thread.
#ifndef CORSD_SERVICE_HTTP_HTTP_SERVER_H_
#define CORSD_SERVICE_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/http/http_message.h"

namespace corsd::http {

struct HttpServerOptions {
  std::string address;  // HOST:PORT; port 0 picks a free one
  int worker_threads = 32;
  int max_waiting_connections = 256;
  absl::Duration idle_timeout = absl::Seconds(15);
  // From a request's first byte to its last; then 408.
  absl::Duration request_timeout = kRequestReadTimeout;
  absl::Duration write_timeout = absl::Seconds(10);
  // PEM contents. A certificate and key turn TLS on; a client CA as well
  // requires and verifies client certificates (mTLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
  // Called (from worker or accept threads) with the status of every answer
  // the server gives itself without a handler: 400, 408, 413, 414, 431, 501,
  // 503, 505. For metrics; must be thread-safe and cheap.
  std::function<void(int status)> on_refused;
};

using HttpHandler = std::function<HttpResponse(HttpRequest& request)>;

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler);
  ~HttpServer();  // Shutdown(now), then waits for every thread

  int port() const;

  // Stops accepting, closes idle connections, lets requests being read or
  // handled finish (their connections close after the answer) until
  // `deadline`, then closes everything. Blocks until every thread is done.
  void Shutdown(absl::Time deadline);

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The bytes of `response` on the wire: status line, the response's headers,
// Content-Length (except for 1xx/204), Connection: close when `close` (or
// keep-alive for an HTTP/1.0 client that asked to keep it), and the body
// (none for a HEAD request).
struct ResponseFraming {
  bool close = false;
  bool head_request = false;
  bool http10_keep_alive = false;
};
std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing);

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_HTTP_SERVER_H_
