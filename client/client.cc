// corsd::Client: remote checks, local evaluation and fallbacks.
#include "corsd/client.h"

#include <grpcpp/grpcpp.h>

#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client/decision_mapping.h"
#include "client/decision_view.h"
#include "client/policy_watcher.h"
#include "client/remote_checker.h"
#include "client/shadow_reporter.h"

namespace corsd {
namespace {

using client_internal::DecisionViewAccess;
using client_internal::PolicyWatcher;
using client_internal::RemoteChecker;
using client_internal::ShadowReporter;

// What one channel's TLS needs; an empty CA means plaintext.
struct ChannelTls {
  const std::string& ca_pem;
  const std::string& cert_pem;
  const std::string& key_pem;
  const std::string& server_name;
};

ChannelTls DataPortTls(const ClientOptions& o) {
  return {o.tls_ca_pem, o.tls_cert_pem, o.tls_key_pem, o.tls_server_name};
}

ChannelTls AdminPortTls(const ClientOptions& o) {
  return {o.admin_tls_ca_pem, o.admin_tls_cert_pem, o.admin_tls_key_pem, o.admin_tls_server_name};
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, const ChannelTls& tls) {
  grpc::ChannelArguments args;
  // Gateways hold this channel for their lifetime: keep it warm and notice
  // dead connections without waiting for a request to time out.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  args.SetMaxReceiveMessageSize(64 << 20);
  if (tls.ca_pem.empty()) {
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.ca_pem;
  ssl.pem_cert_chain = tls.cert_pem;
  ssl.pem_private_key = tls.key_pem;
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args);
}

// A client certificate needs its key and the reverse; either needs a CA.
absl::Status CheckTls(const ChannelTls& tls, absl::string_view prefix) {
  if (tls.cert_pem.empty() != tls.key_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "cert_pem and ", prefix, "key_pem go together"));
  }
  if (!tls.cert_pem.empty() && tls.ca_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a client certificate is sent over TLS only: set ", prefix, "ca_pem too"));
  }
  return absl::OkStatus();
}

// Statuses that mean "corsd refused this request", as opposed to "corsd
// could not be asked": these are the caller's to handle.
bool IsRequestError(grpc::StatusCode code) {
  return code == grpc::StatusCode::NOT_FOUND || code == grpc::StatusCode::INVALID_ARGUMENT;
}

class ClientImpl final : public Client {
 public:
  explicit ClientImpl(const ClientOptions& options) : options_(options) {
    remote_ =
        std::make_unique<RemoteChecker>(MakeChannel(options.target, DataPortTls(options)), options);
    const bool needs_watch = options.local_evaluation ||
                             options.failure_mode == ClientOptions::FailureMode::kFailOpenCached;
    if (needs_watch && !options.admin_target.empty()) {
      std::shared_ptr<grpc::Channel> admin =
          MakeChannel(options.admin_target, AdminPortTls(options));
      watcher_ = std::make_unique<PolicyWatcher>(admin, options);
      shadows_ = std::make_unique<ShadowReporter>(admin, options, &watcher_->registry());
    }
  }

  ~ClientImpl() override {
    // Remote calls in flight still use the watcher (fallbacks): let them
    // finish first.
    remote_.reset();
    shadows_.reset();  // reads the watcher's registry
    watcher_.reset();
  }

  absl::StatusOr<Decision> Check(const CorsRequest& request) override {
    // Local decisions return directly: no callback, no notification.
    if (options_.local_evaluation && watcher_ != nullptr) {
      if (std::optional<Decision> local = DecideFromWatch(request)) {
        return std::move(*local);
      }
    }
    absl::StatusOr<Decision> result;
    absl::Notification done;
    CheckAsync(request, [&](absl::StatusOr<Decision> decision) {
      result = std::move(decision);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  void CheckAsync(const CorsRequest& request,
                  std::function<void(absl::StatusOr<Decision>)> done) override {
    if (options_.local_evaluation && watcher_ != nullptr) {
      if (std::optional<Decision> local = DecideFromWatch(request)) {
        done(std::move(*local));
        return;
      }
      // Not (yet) in the local state: ask corsd.
    }
    remote_->Check(
        client_internal::ToCheckRequest(request),
        [this, request, done = std::move(done)](const grpc::Status& status,
                                                const v1::CheckResponse& response) {
          if (status.ok()) {
            done(client_internal::FromCheckResponse(response, Decision::Source::kRemote));
          } else if (IsRequestError(status.error_code())) {
            done(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                              status.error_message()));
          } else {
            done(Fallback(request, status));
          }
        });
  }

  bool CheckLocal(const CorsRequestView& request, DecisionView* view) override {
    view->Clear();
    return options_.local_evaluation && DecideFromWatch(request, view);
  }

  LocalPolicyStatus local_status() const override {
    return watcher_ != nullptr ? watcher_->status() : LocalPolicyStatus{};
  }

  bool WaitUntilSynced(absl::Duration timeout) override {
    return watcher_ != nullptr && watcher_->WaitUntilSynced(timeout);
  }

 private:
  // Decides from the watched policies into `view` when they cover the
  // request; false (and `view` left empty) otherwise. The hot path of local
  // evaluation: a thread-local pin, one atomic load, a per-thread memo of the
  // tenant lookup, Decide.
  bool DecideFromWatch(const CorsRequestView& request, DecisionView* view) {
    if (watcher_ == nullptr) return false;
    DecisionViewAccess::Pin(view);  // before reading the policies
    const engine::TenantRegistry& registry = watcher_->registry();
    const engine::TenantSnapshot* tenant = request.tenant.empty()
                                               ? registry.FindByHost(request.host)
                                               : registry.FindByName(request.tenant);
    if (tenant == nullptr) {
      view->Clear();
      return false;
    }
    absl::InlinedVector<engine::HeaderView, 16> headers;
    headers.reserve(request.headers.size());
    for (const HeaderRef& h : request.headers) headers.push_back({h.name, h.value});
    const engine::Request engine_request{.origin = request.origin,
                                         .method = request.method,
                                         .path = request.path,
                                         .headers = headers};
    if (tenant->shadow == nullptr) {
      DecisionViewAccess::Decide(*tenant->policy, tenant->name, engine_request, nullptr,
                                 request.explain, LocalSource(), view);
      return true;
    }
    // The shadow's shape is keyed on the same scan of the headers.
    const engine::CorsRequestHeaders cors = engine::ScanCorsRequestHeaders(headers);
    DecisionViewAccess::Decide(*tenant->policy, tenant->name, engine_request, &cors,
                               request.explain, LocalSource(), view);
    // Same numbering on both sides (decision_mapping.cc asserts it).
    shadows_->Record(tenant->shadow, engine_request, cors,
                     static_cast<engine::Verdict>(view->verdict()),
                     static_cast<engine::Reason>(view->reason()));
    return true;
  }

  // Local decisions come from the watch, or from the snapshot file until
  // the watch delivered its first state.
  Decision::Source LocalSource() const {
    return watcher_->serving_snapshot() ? Decision::Source::kSnapshot : Decision::Source::kLocal;
  }

  // The owning form, for Check and the kFailOpenCached fallback (which
  // relabels the source).
  std::optional<Decision> DecideFromWatch(const CorsRequest& request) {
    const absl::InlinedVector<HeaderRef, 8> headers =
        client_internal::HeaderRefsOf(request.headers);
    const CorsRequestView view_request{.tenant = request.tenant,
                                       .host = request.host,
                                       .origin = request.origin,
                                       .method = request.method,
                                       .path = request.path,
                                       .headers = headers,
                                       .explain = request.explain};
    DecisionView view;
    if (!DecideFromWatch(view_request, &view)) return std::nullopt;
    return view.ToDecision();
  }

  Decision Fallback(const CorsRequest& request, const grpc::Status& status) {
    const std::string error = absl::StrCat("corsd unavailable (", status.error_message(), ")");
    if (options_.failure_mode == ClientOptions::FailureMode::kFailOpenCached &&
        watcher_ != nullptr) {
      if (std::optional<Decision> cached = DecideFromWatch(request)) {
        cached->source = Decision::Source::kCachedPolicy;
        cached->fallback_error = error;
        return *std::move(cached);
      }
    }
    return client_internal::FailClosed(request, error);
  }

  const ClientOptions options_;
  std::unique_ptr<RemoteChecker> remote_;
  std::unique_ptr<PolicyWatcher> watcher_;
  std::unique_ptr<ShadowReporter> shadows_;  // with watcher_
};

}  // namespace

bool Decision::SameAnswer(const Decision& other) const {
  return verdict == other.verdict && kind == other.kind && reason == other.reason &&
         response_headers == other.response_headers && respond_now == other.respond_now &&
         http_status == other.http_status && policy_revision == other.policy_revision &&
         tenant == other.tenant && explanation == other.explanation;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("ClientOptions.target is empty");
  if (options.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ClientOptions.deadline must be positive");
  }
  if (options.local_evaluation && options.admin_target.empty()) {
    return absl::InvalidArgumentError(
        "local evaluation watches policies on the admin port: set ClientOptions.admin_target "
        "(and admin_token)");
  }
  if (absl::Status s = CheckTls(DataPortTls(options), "tls_"); !s.ok()) return s;
  if (absl::Status s = CheckTls(AdminPortTls(options), "admin_tls_"); !s.ok()) return s;
  return std::unique_ptr<Client>(new ClientImpl(options));
}

}  // namespace corsd
