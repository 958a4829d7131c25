// ShadowReporter makes corsd::Client's local decisions count in shadow
// reports. While a watched tenant has a shadow policy (the watch carries
// it), each local decision for it is recorded to be decided again with the
// shadow on a background thread (engine::ShadowRecorder: the caller pays a
// count in its thread's memo of request shapes, or for a new shape a copy of
// the request), and every report interval what was counted since
// the last report goes to corsd with CorsAdmin.ReportShadowCounts, for the
// shadow it was counted with.
//
// Thread-safe: Record is called from the gateway's threads; the report runs
// on the reporter's own thread. Destroying it sends what is left, for at
// most a second.
#ifndef CORSD_CLIENT_SHADOW_REPORTER_H_
#define CORSD_CLIENT_SHADOW_REPORTER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "service/engine/shadow_recorder.h"
#include "service/engine/tenant_directory.h"

namespace corsd::client_internal {

class ShadowReporter {
 public:
  // `registry` (the watched policies) must outlive the reporter.
  ShadowReporter(std::shared_ptr<grpc::Channel> admin_channel, const ClientOptions& options,
                 const engine::TenantRegistry* registry);
  ~ShadowReporter();

  // Hot path: queues `request`, answered by the active policy with
  // `verdict` and `reason`, to be decided with `shadow`. `cors` is the
  // request's ScanCorsRequestHeaders, as the active decision used it.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Record(
      const std::shared_ptr<const engine::ShadowPolicy>& shadow, const engine::Request& request,
      const engine::CorsRequestHeaders& cors, engine::Verdict verdict, engine::Reason reason) {
    recorder_.Record(shadow, request, cors, verdict, reason);
  }

 private:
  void Run();
  // Decides what is queued and sends every shadow's new counts, all before
  // `deadline`.
  void ReportAll(absl::Time deadline);

  std::unique_ptr<v1::CorsAdmin::Stub> admin_;
  const ClientOptions options_;
  const std::string client_name_;
  const engine::TenantRegistry* const registry_;
  engine::ShadowRecorder recorder_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_SHADOW_REPORTER_H_
