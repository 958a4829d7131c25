// DecisionPath is the one decision behind every door of the data side:
// gRPC Check (DecisionService), Envoy ext_authz (ExtAuthzService) and the
// HTTP endpoint (HttpCheckAdapter). Each door translates its wire request
// into a DecisionInput and the outcome into its own answer; the tenant
// lookup, the engine's Decide, the shadow policy's decision, the metrics
// (labelled with the door) and the sampled decision log happen here, once,
// so the doors cannot disagree.
//
//   DecisionPath path(&registry, &metrics, DecisionLogOptions{});
//   engine::Decision decision;
//   const engine::TenantSnapshot* tenant = nullptr;
//   absl::Status status = path.Decide(Api::kHttp,
//       DecisionInput{.host = "shop.example.com", .request = request}, &decision, &tenant);
//
// Errors: INVALID_ARGUMENT when neither tenant nor host is set or either is
// over its limit; NOT_FOUND when no tenant matches. Anything else about the
// request is the engine's business and comes back as a verdict (DENY
// MALFORMED_REQUEST for malformed CORS input).
//
// Thread safety: Decide may be called from any number of threads. The
// tenant pointer it returns follows TenantRegistry::Read's lifetime rule:
// valid on the calling thread until that thread reads the registry again.
#ifndef CORSD_SERVICE_SERVER_DECISION_PATH_H_
#define CORSD_SERVICE_SERVER_DECISION_PATH_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/engine/cors_request.h"
#include "service/engine/decision.h"
#include "service/engine/shadow_recorder.h"
#include "service/engine/tenant_directory.h"
#include "service/server/decision_log_file.h"
#include "service/server/server_metrics.h"

namespace corsd::server {

struct DecisionLogOptions {
  int sample_every = 0;  // log one decision in N; 0 = off
  // Where sampled decisions go: this file (--decision-log), else the log.
  DecisionLogFile* file = nullptr;
};

struct DecisionInput {
  absl::string_view tenant;  // empty: the tenant that owns `host`
  absl::string_view host;    // Host / :authority, any case, ":port" allowed
  engine::Request request;
  bool explain = false;
};

class DecisionPath {
 public:
  // `loaded` (may be null: always loaded) turns true once there are policies
  // to decide with; until then every decision is UNAVAILABLE, not NOT_FOUND,
  // so callers fall back instead of taking "no such tenant" for an answer.
  //
  // `shadows` (may be null: shadows are not decided) decides every request
  // for a tenant with a shadow policy again with the shadow, off the
  // caller's path.
  DecisionPath(const engine::TenantRegistry* registry, ServerMetrics* metrics,
               DecisionLogOptions log_options, const std::atomic<bool>* loaded = nullptr,
               engine::ShadowRecorder* shadows = nullptr)
      : registry_(registry),
        metrics_(metrics),
        log_options_(log_options),
        loaded_(loaded),
        shadows_(shadows) {}

  // Decides `input` for the door `api`; on OK fills `decision` and `tenant`.
  absl::Status Decide(Api api, const DecisionInput& input, engine::Decision* decision,
                      const engine::TenantSnapshot** tenant) const;

  // Counts a request a door refused before it could ask Decide (it did not
  // parse), so every door's error metrics include them.
  void RecordUnparsableRequest(Api api) const {
    metrics_->RecordCheckError(api, absl::StatusCode::kInvalidArgument);
  }

 private:
  absl::Status FindTenant(const DecisionInput& input, const engine::TenantSnapshot** tenant) const;
  void MaybeLogDecision(const DecisionInput& input, const engine::Decision& decision,
                        absl::string_view tenant) const;

  const engine::TenantRegistry* const registry_;
  ServerMetrics* const metrics_;
  const DecisionLogOptions log_options_;
  const std::atomic<bool>* const loaded_;
  engine::ShadowRecorder* const shadows_;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_DECISION_PATH_H_
