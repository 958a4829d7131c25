// WatchReactor is one WatchPolicies stream (gRPC callback API): it drains a
// WatchQueue, one write in flight at a time, and ends the stream when the
// queue closes (overflow, shutdown) or the client goes away. It deletes
// itself when gRPC is done with it.
#ifndef CORSD_SERVICE_SERVER_WATCH_REACTOR_H_
#define CORSD_SERVICE_SERVER_WATCH_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "corsd/v1/corsd.pb.h"
#include "service/convert/wire_metadata.h"
#include "service/server/watch_hub.h"

namespace corsd::server {

// Writes serialized corsd.v1.PolicyEvent messages (see WatchEvent).
class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Subscribes to `hub` and starts writing the initial state, announcing
  // its size in the initial metadata (kInitialEventsMetadata).
  WatchReactor(grpc::CallbackServerContext* context, WatchHub* hub,
               const std::vector<std::string>& tenants, int64_t token_id);
  // A stream that ends right away with `status` (e.g. PERMISSION_DENIED).
  explicit WatchReactor(const grpc::Status& status);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Starts the next write or finishes, whichever is due; never calls into
  // gRPC while holding mu_.
  void Pump();

  WatchHub* const hub_ = nullptr;
  absl::Mutex mu_;
  std::shared_ptr<WatchQueue> queue_ ABSL_GUARDED_BY(mu_);
  WatchEventPtr in_flight_ ABSL_GUARDED_BY(mu_);
  // What StartWrite was given: in_flight_'s slice, until OnWriteDone.
  grpc::ByteBuffer in_flight_bytes_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_WATCH_REACTOR_H_
