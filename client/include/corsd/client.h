// corsd::Client is what a gateway links to consult corsd.
//
//   corsd::ClientOptions options;
//   options.target = "127.0.0.1:50051";               // corsd data port
//   auto client = corsd::Client::Create(options);
//   corsd::CorsRequest request = corsd::CorsRequestFromHttp("OPTIONS", "/api/items",
//                                                         "shop.example.com", headers);
//   absl::StatusOr<corsd::Decision> decision = (*client)->Check(request);
//
// Two ways to decide:
//
//  * Remote (default): each Check is one corsd.v1.CorsDecision/Check call with
//    a deadline (50 ms by default) and jittered retries on UNAVAILABLE while
//    the deadline allows.
//  * Local evaluation (`local_evaluation = true`): the client follows
//    CorsAdmin.WatchPolicies for its tenants (admin port, viewer token),
//    compiles each policy with the same engine corsd uses, and decides
//    in-process: no network hop, well under a microsecond. It reconnects by
//    itself and keeps deciding with the last policies it had while
//    disconnected; local_status() says how stale they are. For the same
//    policy revision, local and remote answers are identical. Requests for
//    tenants the stream does not carry (not watched, or without a policy
//    yet) are asked remotely.
//
// When corsd cannot be reached, `failure_mode` decides: kFailClosed (default)
// answers DENY with no CORS headers (the browser blocks; preflights get
// 403); kFailOpenCached decides with the last known policy, which needs the
// watch stream (admin_target and admin_token), and fails closed for tenants
// it has never seen. Either way Check returns a Decision (see
// Decision::source); it returns an error only for requests corsd refuses
// (unknown tenant: NOT_FOUND; missing tenant and host: INVALID_ARGUMENT).
//
// Thread-safe. CheckAsync never blocks the caller; its callback runs on a
// gRPC thread (or inline for local decisions) and must not block for long.
// Destroying the client waits for CheckAsync calls in flight (at most one
// deadline), so never destroy it from inside one of their callbacks.
#ifndef CORSD_CLIENT_INCLUDE_CORSD_CLIENT_H_
#define CORSD_CLIENT_INCLUDE_CORSD_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace corsd {

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

// One incoming HTTP request, as much of it as corsd needs.
struct CorsRequest {
  std::string tenant;   // empty: corsd resolves it from `host`
  std::string host;     // Host / :authority
  std::string origin;   // Origin header; empty = none
  std::string method;
  std::string path;     // without query (a '?' or '#' ends it anyway)
  std::vector<HttpHeader> headers;  // at least the Access-Control-Request-* ones
  bool explain = false;
};

// Same numbering as corsd.v1.
enum class Verdict { kUnspecified = 0, kAllow = 1, kDeny = 2, kNotCors = 3 };
enum class RequestKind { kUnspecified = 0, kPreflight = 1, kActual = 2, kNoOrigin = 3 };
enum class Reason {
  kUnspecified = 0,
  kAllowed = 1,
  kNoOriginHeader = 2,
  kOriginNotAllowed = 3,
  kMethodNotAllowed = 4,
  kHeadersNotAllowed = 5,
  kPrivateNetworkNotAllowed = 6,
  kMalformedRequest = 7,
};

struct Decision {
  enum class Source {
    kRemote,        // corsd answered
    kLocal,         // decided in-process from a watched policy
    kCachedPolicy,  // corsd unreachable; decided with the last known policy
    kFailClosed,    // corsd unreachable and nothing to fall back on: DENY
  };

  Verdict verdict = Verdict::kUnspecified;
  RequestKind kind = RequestKind::kUnspecified;
  Reason reason = Reason::kUnspecified;
  std::vector<HttpHeader> response_headers;  // add these (Vary included)
  bool respond_now = false;  // preflight: answer with http_status, do not forward
  int http_status = 0;
  int64_t policy_revision = 0;
  std::string tenant;
  std::string explanation;  // only when requested
  Source source = Source::kRemote;
  std::string fallback_error;  // why corsd could not be asked (fallback sources)

  // Everything but source/fallback_error, for comparing answers.
  bool SameAnswer(const Decision& other) const;
};

struct ClientOptions {
  std::string target = "127.0.0.1:50051";  // corsd data port
  // TLS for the data port: CA bundle, and a client certificate for mTLS.
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_server_name;  // override the name checked in the server certificate

  absl::Duration deadline = absl::Milliseconds(50);  // per Check, retries included
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(2);

  enum class FailureMode { kFailClosed, kFailOpenCached };
  FailureMode failure_mode = FailureMode::kFailClosed;

  // Watch stream (local evaluation, or the policies kFailOpenCached falls
  // back on): corsd admin port and a token that may read the tenants.
  bool local_evaluation = false;
  std::string admin_target;
  std::string admin_token;
  std::vector<std::string> tenants;  // empty = every tenant the token may read
  absl::Duration reconnect_backoff_max = absl::Seconds(5);
};

// What the watch stream has delivered, for staleness alarms.
struct LocalPolicyStatus {
  bool watching = false;    // a watch stream is configured
  bool connected = false;   // currently connected and holding the full state
  absl::Time synced_at = absl::InfinitePast();       // last time the state was complete
  absl::Duration staleness = absl::InfiniteDuration();  // 0 while connected
  std::map<std::string, int64_t> revisions;  // tenant -> policy revision held
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);
  virtual ~Client() = default;

  virtual absl::StatusOr<Decision> Check(const CorsRequest& request) = 0;
  virtual void CheckAsync(const CorsRequest& request,
                          std::function<void(absl::StatusOr<Decision>)> done) = 0;

  virtual LocalPolicyStatus local_status() const = 0;
  // Blocks until the watch stream holds the complete state (or `timeout`).
  virtual bool WaitUntilSynced(absl::Duration timeout) = 0;
};

}  // namespace corsd

#endif  // CORSD_CLIENT_INCLUDE_CORSD_CLIENT_H_
