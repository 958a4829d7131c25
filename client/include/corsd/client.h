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
// Zero-copy local decisions (CheckLocal, DecisionView): for gateways that
// decide every request locally and want the engine's speed. The request is
// passed as views, and the answer's header names and values are views into the
// compiled policy, the request and the DecisionView itself; nothing is
// allocated, locked or shared between threads on this path:
//
//   corsd::HeaderRef acr[] = {{"Access-Control-Request-Method", "PUT"}};
//   corsd::CorsRequestView request{.host = host, .origin = origin, .method = method,
//                                  .path = path, .headers = acr};
//   corsd::DecisionView view;                  // on the stack, per request
//   if (client->CheckLocal(request, &view)) {
//     for (const corsd::HeaderRef& h : view.response_headers()) add(h.name, h.value);
//   } else {
//     // not covered by the watched policies (yet): use Check()
//   }
//
// A DecisionView stays valid while it lives, even if a new policy revision
// is published meanwhile (it pins the policy it was decided with, see
// DecisionView). The request's strings must outlive it too.
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
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace corsd {

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

// One incoming HTTP request, as much of it as corsd needs.
struct CorsRequest {
  std::string tenant;  // empty: corsd resolves it from `host`
  std::string host;    // Host / :authority
  std::string origin;  // Origin header; empty = none
  std::string method;
  std::string path;                 // without query (a '?' or '#' ends it anyway)
  std::vector<HttpHeader> headers;  // at least the Access-Control-Request-* ones
  bool explain = false;
};

// One header as views (CorsRequestView, DecisionView).
struct HeaderRef {
  absl::string_view name;
  absl::string_view value;
};

// CorsRequest as views, for CheckLocal: building it allocates nothing. The
// viewed strings must outlive the call and any DecisionView it fills.
struct CorsRequestView {
  absl::string_view tenant;  // empty: resolved from `host`
  absl::string_view host;
  absl::string_view origin;  // empty = no Origin header
  absl::string_view method;
  absl::string_view path;               // without query
  absl::Span<const HeaderRef> headers;  // at least the Access-Control-Request-* ones
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
    kSnapshot,      // decided in-process from ClientOptions::snapshot_path, before the
                    // watch delivered its first state (corsd unreachable at start)
    kCachedPolicy,  // corsd unreachable; decided with the last known policy
    kFailClosed,    // corsd unreachable and nothing to fall back on: DENY
  };

  Verdict verdict = Verdict::kUnspecified;
  RequestKind kind = RequestKind::kUnspecified;
  Reason reason = Reason::kUnspecified;
  std::vector<HttpHeader> response_headers;  // add these (Vary included)
  bool respond_now = false;                  // preflight: answer with http_status, do not forward
  int http_status = 0;
  int64_t policy_revision = 0;
  std::string tenant;
  std::string explanation;  // only when requested
  Source source = Source::kRemote;
  std::string fallback_error;  // why corsd could not be asked (fallback sources)

  // Everything but source/fallback_error, for comparing answers.
  bool SameAnswer(const Decision& other) const;
};

namespace client_internal {
class DecisionViewAccess;
}  // namespace client_internal

// A local decision whose strings are views (see CheckLocal). Valid while the
// DecisionView lives: it pins the compiled policy it was decided with, so a
// policy swap meanwhile does not invalidate it. The pin is thread-local, which
// is what keeps it free of atomics: fill a DecisionView on the thread that
// reads it, and keep it for one request (each policy change that happens
// while a thread holds views keeps the old policy in memory until the thread's
// last view is gone). Reusing one view for the next request is fine: filling
// it again releases what it held. Destroying or clearing a view on another
// thread (a request that moved) or at thread exit (a thread_local view) is
// safe: the filling thread frees what the view kept at its next CheckLocal.
//
// Not copyable or movable (it is its own storage); ToDecision() makes an
// owning copy.
class DecisionView {
 public:
  DecisionView();
  ~DecisionView();
  DecisionView(const DecisionView&) = delete;
  DecisionView& operator=(const DecisionView&) = delete;

  // False until CheckLocal filled it (and after Clear()).
  bool has_decision() const { return pinned_; }
  Verdict verdict() const { return verdict_; }
  RequestKind kind() const { return kind_; }
  Reason reason() const { return reason_; }
  bool respond_now() const { return respond_now_; }
  int http_status() const { return http_status_; }
  int64_t policy_revision() const { return policy_revision_; }
  absl::string_view tenant() const { return tenant_; }
  // kLocal, or kSnapshot while the client decides from its snapshot file.
  Decision::Source source() const { return source_; }
  absl::string_view explanation() const;
  // Vary included; apply with ApplyDecisionHeaders (gateway.h).
  absl::Span<const HeaderRef> response_headers() const;

  // An owning copy, Source::kLocal.
  Decision ToDecision() const;
  // Releases the pinned policy; has_decision() is false afterwards.
  void Clear();

 private:
  friend class client_internal::DecisionViewAccess;
  static constexpr size_t kMaxHeaders = 8;
  // Room for the engine's decision object (its header array and scratch
  // string), checked at compile time in the .cc.
  static constexpr size_t kEngineDecisionBytes = 448;

  alignas(16) unsigned char engine_decision_[kEngineDecisionBytes];
  alignas(void*) unsigned char pin_[sizeof(void*)];  // the policy pin, alive while pinned_
  // HeaderRefs [0, header_count_), constructed when filled: raw storage, so
  // a view on the stack costs nothing for the entries a decision leaves out.
  alignas(HeaderRef) unsigned char headers_[kMaxHeaders * sizeof(HeaderRef)];
  size_t header_count_ = 0;
  Verdict verdict_ = Verdict::kUnspecified;
  RequestKind kind_ = RequestKind::kUnspecified;
  Reason reason_ = Reason::kUnspecified;
  bool respond_now_ = false;
  int http_status_ = 0;
  int64_t policy_revision_ = 0;
  absl::string_view tenant_;
  Decision::Source source_ = Decision::Source::kLocal;
  bool pinned_ = false;
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
  // TLS for admin_target, as the tls_* fields above are for the data port:
  // the token and every policy cross this connection, so use it whenever the
  // admin port is reachable beyond the host. Empty CA = plaintext.
  std::string admin_tls_ca_pem;
  std::string admin_tls_cert_pem;
  std::string admin_tls_key_pem;
  std::string admin_tls_server_name;
  std::vector<std::string> tenants;  // empty = every tenant the token may read
  absl::Duration reconnect_backoff_max = absl::Seconds(5);

  // Fail static (local evaluation): the watched policies are kept in this
  // file (written atomically after changes, at most once a second, off the
  // decision path), and a client created while corsd is unreachable decides
  // from it at once (Decision::Source::kSnapshot, local_status().from_snapshot)
  // until the watch delivers the live state. "" = off. A file that is
  // damaged or from another build is ignored, with a line to `log`.
  std::string snapshot_path;
  // Shadow policies (local evaluation): while a watched tenant has one, each
  // local decision is also made with the shadow on a background thread, and
  // what was counted goes to corsd every `shadow_report_interval`, named
  // `client_name` ("" = host name and process id).
  absl::Duration shadow_report_interval = absl::Seconds(10);
  std::string client_name;
  // Rare events worth a line in the gateway's log (a snapshot ignored or not
  // written). Default: the line goes to stderr. Called from the client's
  // threads; must be thread-safe.
  std::function<void(absl::string_view line)> log;
};

// What the watch stream has delivered, for staleness alarms.
//
// While the stream is connected, local decisions use every committed policy
// within the propagation bound (well under a second). Once it drops,
// `staleness` grows from zero: the client keeps deciding with the policies it
// holds (a policy change made meanwhile is not seen), and reconnects by itself.
// A gateway should export the state (LocalStatusMetrics below) and alert when
// staleness exceeds what its operators accept for a policy change to take
// effect (a minute is a common choice); if stale policies are unacceptable for
// it, it can stop using local evaluation while stale and fall back to remote
// Check (construct a second client with local_evaluation = false).
struct LocalPolicyStatus {
  bool watching = false;                        // a watch stream is configured
  bool connected = false;                       // currently connected and holding the full state
  absl::Time synced_at = absl::InfinitePast();  // last time the state was complete
  absl::Duration staleness = absl::InfiniteDuration();  // 0 while connected
  // Deciding from ClientOptions::snapshot_path: corsd was not reachable since
  // the client started; synced_at is when the snapshot's writer was in sync.
  bool from_snapshot = false;
  // Why the watch is not connected: how its last attempt ended ("" while
  // connected or before the first attempt ended).
  std::string watch_error;
  std::map<std::string, int64_t> revisions;  // tenant -> policy revision held
};

// `status` in the Prometheus text exposition format, ready to append to a
// gateway's /metrics page:
//
//   corsd_client_watch_connected 1
//   corsd_client_policy_staleness_seconds 0
//   corsd_client_policy_synced_timestamp_seconds 1.7645e+09
//   corsd_client_policy_revision{tenant="shop"} 7
//
// staleness is reported as -1 when the state was never complete (alert on
// that too: local decisions fall back to remote Check until it is).
std::string LocalStatusMetrics(const LocalPolicyStatus& status);

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);
  virtual ~Client() = default;

  virtual absl::StatusOr<Decision> Check(const CorsRequest& request) = 0;
  virtual void CheckAsync(const CorsRequest& request,
                          std::function<void(absl::StatusOr<Decision>)> done) = 0;

  // Decides `request` in-process from the watched policies, filling `view`
  // (see DecisionView for lifetimes). Returns false, leaving `view` empty,
  // when local evaluation is off or the watched state does not cover the
  // request's tenant (not watched, no policy yet): ask Check() then.
  // Never allocates, locks or blocks.
  virtual bool CheckLocal(const CorsRequestView& request, DecisionView* view) = 0;

  virtual LocalPolicyStatus local_status() const = 0;
  // Blocks until the watch stream holds the complete state (or `timeout`).
  virtual bool WaitUntilSynced(absl::Duration timeout) = 0;
};

}  // namespace corsd

#endif  // CORSD_CLIENT_INCLUDE_CORSD_CLIENT_H_
