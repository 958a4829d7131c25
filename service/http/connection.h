// One accepted TCP connection of HttpServer, plain or TLS, with reads and
// writes bounded by deadlines. The socket is non-blocking; every wait is a
// poll() that also watches the server's wake-up descriptor, so Shutdown can
// interrupt a connection waiting for its next request.
//
// TlsContext holds the server's certificate (and, for mTLS, the CA that
// client certificates must chain to), built once from PEM text.
//
// Not thread-safe: one thread owns a Connection at a time. A TlsContext is
// immutable once created and shared by every connection.
#ifndef CORSD_SERVICE_HTTP_CONNECTION_H_
#define CORSD_SERVICE_HTTP_CONNECTION_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace corsd::http {

class TlsContext {
 public:
  // Both PEMs required; `client_ca_pem` empty = no client certificates.
  static absl::StatusOr<std::shared_ptr<TlsContext>> Create(const std::string& cert_pem,
                                                            const std::string& key_pem,
                                                            const std::string& client_ca_pem);
  ~TlsContext();
  SSL_CTX* ctx() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class Connection {
 public:
  enum class IoResult { kOk, kClosed, kTimeout, kInterrupted, kError };

  // Takes ownership of `fd`. `wake_fd` becomes readable when the server
  // shuts down (-1: never), after `*shutdown_deadline_ns` (Unix ns, 0 until
  // then) is set: from then on every wait ends by that deadline.
  Connection(int fd, int wake_fd, const std::atomic<int64_t>* shutdown_deadline_ns,
             std::shared_ptr<TlsContext> tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // TLS handshake (nothing to do for plain TCP).
  IoResult Handshake(absl::Time deadline);
  // Appends what arrives (at least one byte) to `buffer`. With
  // `interruptible`, returns kInterrupted when the server shuts down while
  // waiting.
  IoResult ReadSome(std::string* buffer, absl::Time deadline, bool interruptible);
  IoResult WriteAll(absl::string_view bytes, absl::Time deadline);
  // After an answer sent without reading the whole request (a 413, say):
  // stop sending, then read and drop what the client still sends, until it
  // closes, `max_bytes` or `deadline`. Closing at once would make the
  // kernel reset the connection, and a reset can destroy the answer before
  // the client reads it (RFC 9112 section 9.6).
  void LingeringClose(absl::Time deadline, size_t max_bytes);

 private:
  // Waits for `events` on the socket; kOk when ready.
  IoResult Wait(short events, absl::Time deadline, bool interruptible);

  int fd_;
  int wake_fd_;
  const std::atomic<int64_t>* shutdown_deadline_ns_;
  std::shared_ptr<TlsContext> tls_;
  SSL* ssl_ = nullptr;
  bool tls_established_ = false;  // handshake done, no fatal error since
};

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_CONNECTION_H_
