// HttpServer over real loopback sockets: keep-alive and pipelining, the
// limits answered on the wire (JSON, then the connection closes), timeouts,
// the bound on connections, graceful shutdown and TLS.
#include "service/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/pki.h"
#include "tests/support/temp_dir.h"

namespace corsd::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A blocking TCP client that reads with a timeout.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early (413, 431): fine
      sent += static_cast<size_t>(n);
    }
  }
  // Reads until `done(received)` or the peer closes or `timeout` passes.
  std::string ReadUntil(const std::function<bool(const std::string&)>& done,
                        absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done(received_) && absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()))) <= 0) {
        break;
      }
      char buffer[65536];
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      received_.append(buffer, static_cast<size_t>(n));
    }
    return received_;
  }
  std::string ReadResponses(int count) {
    return ReadUntil([count](const std::string& r) {
      int seen = 0;
      for (size_t pos = r.find("HTTP/1.1 "); pos != std::string::npos;
           pos = r.find("HTTP/1.1 ", pos + 1)) {
        ++seen;
      }
      return seen >= count && absl::EndsWith(r, "\n");
    });
  }
  // True when the server closed the connection (EOF) within `timeout`.
  bool ClosedByPeer(absl::Duration timeout = absl::Seconds(5)) {
    ReadUntil([this](const std::string&) { return closed_; }, timeout);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// Echoes the method, path and body; /slow waits for `release`.
class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    options.address = "127.0.0.1:0";
    auto server = HttpServer::Start(options, [this](HttpRequest& request) {
      if (request.path() == "/slow") {
        entered_slow_.Notify();
        release_.WaitForNotification();
      }
      HttpResponse response;
      response.body = absl::StrCat(request.method, " ", request.path(), " ", request.body, "\n");
      return response;
    });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

  absl::Notification entered_slow_;
  absl::Notification release_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesPipelinedRequestsInOrderOnOneConnection) {
  Start({});
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
      "GET /c HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string answers = client.ReadResponses(3);
  EXPECT_THAT(answers, HasSubstr("GET /a "));
  EXPECT_THAT(answers, HasSubstr("POST /b hi"));
  EXPECT_THAT(answers, HasSubstr("GET /c "));
  EXPECT_LT(answers.find("GET /a"), answers.find("POST /b"));
  EXPECT_LT(answers.find("POST /b"), answers.find("GET /c"));
  EXPECT_THAT(answers, ::testing::Not(HasSubstr("Connection: close")));
}

TEST_F(HttpServerTest, HttpOneZeroClosesAfterTheAnswer) {
  Start({});
  RawClient client(server_->port());
  client.Send("GET /a HTTP/1.0\r\n\r\n");
  EXPECT_THAT(client.ReadResponses(1), HasSubstr("Connection: close"));
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST_F(HttpServerTest, ContinueIsSentBeforeAnOwedBody) {
  Start({});
  RawClient client(server_->port());
  client.Send("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_THAT(client.ReadResponses(1), StartsWith("HTTP/1.1 100 Continue\r\n\r\n"));
  client.Send("ok");
  EXPECT_THAT(client.ReadResponses(2), HasSubstr("POST /b ok"));
}

struct LimitRow {
  std::string name;
  std::string bytes;
  std::string status_line;
};

TEST_F(HttpServerTest, OverLimitRequestsGetAJsonErrorAndTheConnectionCloses) {
  Start({});
  std::string many_fields = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i <= 100; ++i) absl::StrAppend(&many_fields, "X-", i, ": v\r\n");
  many_fields += "\r\n";
  const std::vector<LimitRow> rows = {
      {"request line", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
       "HTTP/1.1 414 URI Too Long"},
      {"header bytes", "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + std::string(70'000, 'v') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
      {"header count", many_fields, "HTTP/1.1 431 Request Header Fields Too Large"},
      {"body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n",
       "HTTP/1.1 413 Content Too Large"},
      {"framing",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 400 Bad Request"},
  };
  for (const LimitRow& row : rows) {
    SCOPED_TRACE(row.name);
    RawClient client(server_->port());
    client.Send(row.bytes);
    const std::string answer = client.ReadResponses(1);
    EXPECT_THAT(answer, StartsWith(row.status_line));
    EXPECT_THAT(answer, HasSubstr("Content-Type: application/json"));
    EXPECT_THAT(answer, HasSubstr("{\"code\":\"INVALID_ARGUMENT\",\"message\":"));
    EXPECT_THAT(answer, HasSubstr("Connection: close"));
    EXPECT_TRUE(client.ClosedByPeer());
  }
}

TEST_F(HttpServerTest, ARequestThatStallsGets408AndAnIdleConnectionIsClosedSilently) {
  Start({.idle_timeout = absl::Milliseconds(300), .request_timeout = absl::Milliseconds(300)});
  RawClient stalled(server_->port());
  stalled.Send("GET / HTTP/1.1\r\nHost: x\r\n");  // the head never ends
  const std::string answer = stalled.ReadResponses(1);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 408 Request Timeout"));
  EXPECT_THAT(answer, HasSubstr("\"code\":\"DEADLINE_EXCEEDED\""));
  EXPECT_TRUE(stalled.ClosedByPeer());

  RawClient idle(server_->port());
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_EQ(idle.ReadUntil([](const std::string&) { return true; }), "");
}

TEST_F(HttpServerTest, ConnectionsBeyondWorkersAndQueueAreRefusedWith503) {
  Start({.worker_threads = 1, .max_waiting_connections = 0});
  RawClient busy(server_->port());
  busy.Send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
  entered_slow_.WaitForNotification();  // the only worker is now taken
  RawClient refused(server_->port());
  const std::string answer = refused.ReadResponses(1);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 503 Service Unavailable"));
  EXPECT_THAT(answer, HasSubstr("\"code\":\"UNAVAILABLE\""));
  release_.Notify();
  EXPECT_THAT(busy.ReadResponses(1), HasSubstr("GET /slow"));
}

// A worker is held by a request, not by an idle keep-alive client: with one
// worker, a second client is served while the first stays connected.
TEST_F(HttpServerTest, AnIdleKeepAliveConnectionGivesItsWorkerToAWaitingOne) {
  Start({.worker_threads = 1, .max_waiting_connections = 1});
  RawClient first(server_->port());
  first.Send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_THAT(first.ReadResponses(1), HasSubstr("GET /a"));
  RawClient second(server_->port());
  second.Send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_THAT(second.ReadResponses(1), HasSubstr("GET /b"));
  EXPECT_TRUE(first.ClosedByPeer()) << "the idle connection was let go";
}

TEST_F(HttpServerTest, ShutdownFinishesTheRequestInFlightAndClosesIdleConnections) {
  Start({});
  RawClient idle(server_->port());
  idle.Send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_THAT(idle.ReadResponses(1), HasSubstr("GET /a"));
  RawClient in_flight(server_->port());
  in_flight.Send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
  entered_slow_.WaitForNotification();

  std::thread shutdown([this] { server_->Shutdown(absl::Now() + absl::Seconds(10)); });
  EXPECT_TRUE(idle.ClosedByPeer());
  release_.Notify();
  const std::string answer = in_flight.ReadResponses(1);
  EXPECT_THAT(answer, HasSubstr("GET /slow"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  shutdown.join();
  RawClient after(server_->port());
  EXPECT_FALSE(after.connected()) << "no longer accepting";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// One HTTPS request with OpenSSL; returns the answer ("" when the handshake
// fails).
std::string HttpsGet(int port, const corsd::testing::Pki& pki, bool client_certificate) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, pki.ca_cert.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (client_certificate) {
    SSL_CTX_use_certificate_file(ctx, pki.client_cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx, pki.client_key.c_str(), SSL_FILETYPE_PEM);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    if (SSL_connect(ssl) == 1) {
      const std::string request = "GET /tls HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      char buffer[4096];
      int n;
      while ((n = SSL_read(ssl, buffer, sizeof(buffer))) > 0) answer.append(buffer, n);
    }
    SSL_free(ssl);
  }
  close(fd);
  SSL_CTX_free(ctx);
  return answer;
}

TEST_F(HttpServerTest, ServesTlsAndRequiresClientCertificatesWithAClientCa) {
  corsd::testing::TempDir dir;
  const corsd::testing::Pki pki = corsd::testing::MakePki(dir);
  Start({.tls_cert_pem = ReadWholeFile(pki.server_cert),
         .tls_key_pem = ReadWholeFile(pki.server_key),
         .tls_client_ca_pem = ReadWholeFile(pki.ca_cert)});
  EXPECT_THAT(HttpsGet(server_->port(), pki, /*client_certificate=*/true), HasSubstr("GET /tls"));
  EXPECT_THAT(HttpsGet(server_->port(), pki, /*client_certificate=*/false),
              ::testing::Not(HasSubstr("GET /tls")));
  // Plain HTTP on a TLS port gets nothing.
  RawClient plain(server_->port());
  plain.Send("GET /tls HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_THAT(plain.ReadResponses(1), ::testing::Not(HasSubstr("GET /tls")));
}

TEST_F(HttpServerTest, RefusesABadCertificateAtStart) {
  auto server =
      HttpServer::Start({.address = "127.0.0.1:0", .tls_cert_pem = "nope", .tls_key_pem = "nope"},
                        [](HttpRequest&) { return HttpResponse{}; });
  EXPECT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("certificate"));
}

}  // namespace
}  // namespace corsd::http
