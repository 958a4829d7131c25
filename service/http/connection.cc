#include "service/http/connection.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace corsd::http {
namespace {

constexpr size_t kReadChunkBytes = 16 * 1024;

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Create(const std::string& cert_pem,
                                                               const std::string& key_pem,
                                                               const std::string& client_ca_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("cannot create a TLS context: " + OpenSslError());
  std::shared_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  BioPtr certs = MemoryBio(cert_pem);
  X509* leaf = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    if (leaf != nullptr) X509_free(leaf);
    return absl::InvalidArgumentError("the TLS certificate is not a PEM certificate: " +
                                      OpenSslError());
  }
  X509_free(leaf);
  while (X509* intermediate = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add_extra_chain_cert(ctx, intermediate);  // takes ownership
  }
  ERR_clear_error();  // the loop ends on "no start line"

  BioPtr key_bio = MemoryBio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    if (key != nullptr) EVP_PKEY_free(key);
    return absl::InvalidArgumentError(
        "the TLS key is not a PEM private key matching the certificate: " + OpenSslError());
  }
  EVP_PKEY_free(key);

  if (!client_ca_pem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    BioPtr cas = MemoryBio(client_ca_pem);
    int added = 0;
    while (X509* ca = PEM_read_bio_X509(cas.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, ca);
      X509_free(ca);
      ++added;
    }
    ERR_clear_error();
    if (added == 0) {
      return absl::InvalidArgumentError("the TLS client CA holds no PEM certificate");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Connection::Connection(int fd, int wake_fd, const std::atomic<int64_t>* shutdown_deadline_ns,
                       std::shared_ptr<TlsContext> tls)
    : fd_(fd),
      wake_fd_(wake_fd),
      shutdown_deadline_ns_(shutdown_deadline_ns),
      tls_(std::move(tls)) {
  if (tls_ != nullptr) {
    ssl_ = SSL_new(tls_->ctx());
    if (ssl_ != nullptr) SSL_set_fd(ssl_, fd_);
  }
}

Connection::~Connection() {
  if (ssl_ != nullptr) {
    // close_notify only on an established session (never waits); OpenSSL's
    // per-thread error queue is left empty for the worker's next connection.
    ERR_clear_error();
    if (tls_established_) SSL_shutdown(ssl_);
    ERR_clear_error();
    SSL_free(ssl_);
  }
  close(fd_);
}

Connection::IoResult Connection::Wait(short events, absl::Time deadline, bool interruptible) {
  for (;;) {
    // Once the server shuts down, its deadline bounds every wait, even one
    // that started before.
    const int64_t shutdown_ns = shutdown_deadline_ns_ == nullptr
                                    ? 0
                                    : shutdown_deadline_ns_->load(std::memory_order_acquire);
    if (shutdown_ns != 0) {
      if (interruptible) return IoResult::kInterrupted;
      deadline = std::min(deadline, absl::FromUnixNanos(shutdown_ns));
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return IoResult::kTimeout;
    pollfd fds[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    // The wake-up pipe stays readable after shutdown: watched only until then.
    const int count = shutdown_ns == 0 && wake_fd_ >= 0 ? 2 : 1;
    const int timeout_ms =
        static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
    const int ready = poll(fds, count, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return IoResult::kError;
    }
    if (fds[0].revents != 0) return IoResult::kOk;
    // count == 2 and the pipe woke us: loop, now with the shutdown deadline.
  }
}

Connection::IoResult Connection::Handshake(absl::Time deadline) {
  if (tls_ == nullptr) return IoResult::kOk;
  if (ssl_ == nullptr) return IoResult::kError;
  for (;;) {
    ERR_clear_error();
    const int done = SSL_accept(ssl_);
    if (done == 1) {
      tls_established_ = true;
      return IoResult::kOk;
    }
    const int error = SSL_get_error(ssl_, done);
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      ERR_clear_error();
      return IoResult::kError;
    }
    if (IoResult waited = Wait(events, deadline, true); waited != IoResult::kOk) return waited;
  }
}

Connection::IoResult Connection::ReadSome(std::string* buffer, absl::Time deadline,
                                          bool interruptible) {
  const size_t old_size = buffer->size();
  buffer->resize(old_size + kReadChunkBytes);
  char* into = buffer->data() + old_size;
  for (;;) {
    ssize_t got;
    short events = POLLIN;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      got = SSL_read(ssl_, into, static_cast<int>(kReadChunkBytes));
      if (got <= 0) {
        const int error = SSL_get_error(ssl_, static_cast<int>(got));
        if (error == SSL_ERROR_ZERO_RETURN) {
          got = 0;
        } else if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
          events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
          got = -2;
        } else {
          ERR_clear_error();
          tls_established_ = false;
          got = -1;
        }
      }
    } else {
      got = recv(fd_, into, kReadChunkBytes, 0);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) got = -2;
    }
    if (got > 0) {
      buffer->resize(old_size + static_cast<size_t>(got));
      return IoResult::kOk;
    }
    if (got != -2) {
      buffer->resize(old_size);
      return got == 0 ? IoResult::kClosed : IoResult::kError;
    }
    if (IoResult waited = Wait(events, deadline, interruptible); waited != IoResult::kOk) {
      buffer->resize(old_size);
      return waited;
    }
  }
}

Connection::IoResult Connection::WriteAll(absl::string_view bytes, absl::Time deadline) {
  while (!bytes.empty()) {
    ssize_t sent;
    short events = POLLOUT;
    if (ssl_ != nullptr) {
      sent =
          SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20)));
      if (sent <= 0) {
        const int error = SSL_get_error(ssl_, static_cast<int>(sent));
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
          events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
          sent = -2;
        } else {
          ERR_clear_error();
          tls_established_ = false;
          return IoResult::kError;
        }
      }
    } else {
      sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return IoResult::kError;
        sent = -2;
      }
    }
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (IoResult waited = Wait(events, deadline, false); waited != IoResult::kOk) return waited;
  }
  return IoResult::kOk;
}

void Connection::LingeringClose(absl::Time deadline, size_t max_bytes) {
  if (ssl_ != nullptr && tls_established_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
    tls_established_ = false;
  }
  shutdown(fd_, SHUT_WR);
  std::string discard;
  size_t drained = 0;
  while (drained < max_bytes) {
    discard.clear();
    if (ReadSome(&discard, deadline, /*interruptible=*/true) != IoResult::kOk) return;
    drained += discard.size();
  }
}

}  // namespace corsd::http
