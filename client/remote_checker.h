// RemoteChecker makes corsd.v1.CorsDecision/Check calls with the gRPC
// callback API: one overall deadline per check, and jittered exponential
// backoff between attempts on UNAVAILABLE while that deadline allows.
#ifndef CORSD_CLIENT_REMOTE_CHECKER_H_
#define CORSD_CLIENT_REMOTE_CHECKER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.grpc.pb.h"

namespace corsd::client_internal {

class RemoteChecker {
 public:
  RemoteChecker(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options);
  // Waits for calls in flight to finish (each ends by its deadline). Must
  // not run inside a `done` callback.
  ~RemoteChecker();

  // `done` gets corsd's answer, or the status of the last attempt.
  void Check(v1::CheckRequest request,
             std::function<void(const grpc::Status&, const v1::CheckResponse&)> done);

 private:
  struct Call;
  void Attempt(Call* call);
  void Finish(Call* call, const grpc::Status& status);

  std::unique_ptr<v1::CorsDecision::Stub> stub_;
  const ClientOptions options_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_REMOTE_CHECKER_H_
