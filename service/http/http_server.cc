#include "service/http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/http/connection.h"
#include "service/http/request_parser.h"
#include "service/ops/metrics_http_server.h"

namespace corsd::http {
namespace {

// How long, and how much, a connection closed after an error answer may
// still read and drop (Connection::LingeringClose).
constexpr absl::Duration kLingerTime = absl::Seconds(2);
constexpr size_t kMaxLingerBytes = 4 * kMaxBodyBytes;
// A worker waiting for a keep-alive connection's next request looks this
// often whether other connections wait for a worker (then it lets go).
constexpr absl::Duration kIdleCheckInterval = absl::Milliseconds(100);

}  // namespace

std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", response.status, " ", ReasonPhrase(response.status), "\r\n");
  for (const auto& [name, value] : response.headers)
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  const bool no_content = response.status == 204 || response.status < 200;
  if (!no_content) absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  absl::StrAppend(&out, "Date: ",
                  absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(), absl::UTCTimeZone()),
                  "\r\n");
  if (framing.close) {
    out += "Connection: close\r\n";
  } else if (framing.http10_keep_alive) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!no_content && !framing.head_request) out += response.body;
  return out;
}

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  std::shared_ptr<TlsContext> tls;
  int listen_fd = -1;
  int wake_read = -1;
  int wake_write = -1;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> deadline_ns{0};  // Shutdown's deadline, as absl::ToUnixNanos
  std::atomic<int> waiting_count{0};    // connections accepted, not yet taken

  absl::Mutex mu;
  std::deque<int> waiting ABSL_GUARDED_BY(mu);
  // Workers serving a connection; the others take waiting ones at once.
  int busy_workers ABSL_GUARDED_BY(mu) = 0;
  int worker_count = 1;
  bool closed ABSL_GUARDED_BY(mu) = false;

  std::thread acceptor;
  std::vector<std::thread> workers;

  ~Impl() {
    for (int fd : {listen_fd, wake_read, wake_write}) {
      if (fd >= 0) close(fd);
    }
  }

  // Past Shutdown's deadline every wait ends.
  absl::Time Bound(absl::Time t) const {
    if (!stopping.load(std::memory_order_acquire)) return t;
    return std::min(t, absl::FromUnixNanos(deadline_ns.load(std::memory_order_acquire)));
  }

  void Accept();
  void Work();
  void Serve(Connection& connection);
  void RefuseBusy(int fd);
  void Refused(int status) const {
    if (options.on_refused) options.on_refused(status);
  }
  // Sends a server-made error answer and closes gracefully.
  void AnswerError(Connection& connection, const HttpResponse& error);
};

void HttpServer::Impl::AnswerError(Connection& connection, const HttpResponse& error) {
  Refused(error.status);
  if (connection.WriteAll(SerializeResponse(error, {.close = true}),
                          Bound(absl::Now() + options.write_timeout)) ==
      Connection::IoResult::kOk) {
    connection.LingeringClose(Bound(absl::Now() + kLingerTime), kMaxLingerBytes);
  }
}

void HttpServer::Impl::RefuseBusy(int fd) {
  Refused(503);
  // Best effort, never waits: the socket buffer takes a short answer. A TLS
  // client cannot read plain text, so it just sees the connection close.
  if (tls == nullptr) {
    const std::string answer =
        SerializeResponse(HttpResponse::JsonError(503, absl::StatusCode::kUnavailable,
                                                  "every HTTP worker is busy; retry shortly"),
                          {.close = true});
    (void)!send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR);
  }
  close(fd);
}

void HttpServer::Impl::Accept() {
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_read, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) break;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // EMFILE and friends: back off briefly rather than spin.
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    absl::MutexLock lock(&mu);
    if (waiting.size() >= static_cast<size_t>(worker_count - busy_workers) +
                              static_cast<size_t>(options.max_waiting_connections)) {
      RefuseBusy(fd);
      continue;
    }
    waiting.push_back(fd);
    waiting_count.store(static_cast<int>(waiting.size()), std::memory_order_release);
  }
  absl::MutexLock lock(&mu);
  closed = true;
}

void HttpServer::Impl::Work() {
  for (;;) {
    int fd;
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](Impl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu) {
            return !self->waiting.empty() || self->closed;
          },
          this));
      if (waiting.empty()) return;
      ++busy_workers;
      fd = waiting.front();
      waiting.pop_front();
      waiting_count.store(static_cast<int>(waiting.size()), std::memory_order_release);
    }
    {
      Connection connection(fd, wake_read, &deadline_ns, tls);
      Serve(connection);
    }
    absl::MutexLock lock(&mu);
    --busy_workers;
  }
}

void HttpServer::Impl::Serve(Connection& connection) {
  using IoResult = Connection::IoResult;
  if (connection.Handshake(Bound(absl::Now() + options.request_timeout)) != IoResult::kOk) return;
  std::string received;
  for (;;) {
    RequestParser parser;
    const absl::Time idle_deadline = absl::Now() + options.idle_timeout;
    absl::Time request_deadline = absl::InfiniteFuture();
    bool sent_continue = false;
    RequestParser::Outcome outcome =
        received.empty() ? RequestParser::kIncomplete : parser.Parse(received);
    while (outcome == RequestParser::kIncomplete) {
      const bool between_requests = !parser.started();
      if (!between_requests && request_deadline == absl::InfiniteFuture()) {
        request_deadline = absl::Now() + options.request_timeout;
      }
      if (parser.WantsContinue() && !sent_continue) {
        sent_continue = true;
        if (connection.WriteAll("HTTP/1.1 100 Continue\r\n\r\n",
                                Bound(absl::Now() + options.write_timeout)) != IoResult::kOk) {
          return;
        }
      }
      IoResult read;
      if (between_requests) {
        // An idle keep-alive connection gives its worker up as soon as
        // another connection waits for one; a shutdown closes it.
        read = connection.ReadSome(&received,
                                   Bound(std::min(idle_deadline, absl::Now() + kIdleCheckInterval)),
                                   /*interruptible=*/true);
        if (read == IoResult::kTimeout && absl::Now() < idle_deadline &&
            waiting_count.load(std::memory_order_acquire) == 0) {
          continue;
        }
      } else {
        read = connection.ReadSome(&received, Bound(request_deadline), /*interruptible=*/false);
        if (read == IoResult::kTimeout && !stopping.load(std::memory_order_acquire)) {
          AnswerError(connection, HttpResponse::JsonError(
                                      408, absl::StatusCode::kDeadlineExceeded,
                                      absl::StrCat("the request did not arrive within ",
                                                   absl::FormatDuration(options.request_timeout))));
          return;
        }
      }
      if (read != IoResult::kOk) return;
      outcome = parser.Parse(received);
    }
    if (outcome == RequestParser::kError) {
      AnswerError(connection, parser.error());
      return;
    }
    HttpRequest& request = parser.request();
    received.erase(0, parser.consumed());
    const HttpResponse response = handler(request);
    // Decided after the handler: a shutdown meanwhile closes the connection.
    const bool keep_alive = request.WantsKeepAlive() && !stopping.load(std::memory_order_acquire);
    const ResponseFraming framing{.close = !keep_alive,
                                  .head_request = request.method == "HEAD",
                                  .http10_keep_alive = keep_alive && request.minor_version == 0};
    if (connection.WriteAll(SerializeResponse(response, framing),
                            Bound(absl::Now() + options.write_timeout)) != IoResult::kOk ||
        !keep_alive) {
      return;
    }
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  if (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty()) {
    absl::StatusOr<std::shared_ptr<TlsContext>> tls =
        TlsContext::Create(options.tls_cert_pem, options.tls_key_pem, options.tls_client_ca_pem);
    if (!tls.ok()) return tls.status();
    impl->tls = *std::move(tls);
  }

  std::string host;
  int port = 0;
  if (absl::Status s = ops::SplitHostPort(options.address, &host, &port); !s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* resolved = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints,
                  &resolved) != 0 ||
      resolved == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", host, " for --http-listen: use an IP address"));
  }
  const int fd = socket(resolved->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound =
      fd >= 0 && bind(fd, resolved->ai_addr, resolved->ai_addrlen) == 0 && listen(fd, 512) == 0;
  freeaddrinfo(resolved);
  if (!bound) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.address,
        " (HTTP endpoint): is another process using the port, or is the address not local?"));
  }
  impl->listen_fd = fd;
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  impl->port =
      ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError("cannot create the HTTP server's wake-up pipe");
  }
  impl->wake_read = pipe_fds[0];
  impl->wake_write = pipe_fds[1];

  Impl* raw = impl.get();
  raw->worker_count = std::max(1, options.worker_threads);
  for (int i = 0; i < raw->worker_count; ++i) {
    raw->workers.emplace_back([raw] { raw->Work(); });
  }
  raw->acceptor = std::thread([raw] { raw->Accept(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown(absl::Time deadline) {
  if (impl_->acceptor.joinable()) {
    impl_->deadline_ns.store(absl::ToUnixNanos(deadline), std::memory_order_release);
    impl_->stopping.store(true, std::memory_order_release);
    // The pipe stays readable from now on: every interruptible wait ends.
    (void)!write(impl_->wake_write, "x", 1);
    impl_->acceptor.join();
    // New connections are refused from here on, not left in the backlog.
    close(impl_->listen_fd);
    impl_->listen_fd = -1;
  }
  for (std::thread& worker : impl_->workers) {
    if (worker.joinable()) worker.join();
  }
  absl::MutexLock lock(&impl_->mu);
  for (int fd : impl_->waiting) close(fd);
  impl_->waiting.clear();
}

HttpServer::~HttpServer() { Shutdown(absl::Now()); }

}  // namespace corsd::http
