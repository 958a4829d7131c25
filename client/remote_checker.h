// RemoteChecker makes corsd.v1.CorsDecision/Check calls with the gRPC
// callback API: one overall deadline per check, and jittered exponential
// backoff between attempts on UNAVAILABLE while that deadline allows.
#ifndef CORSD_CLIENT_REMOTE_CHECKER_H_
#define CORSD_CLIENT_REMOTE_CHECKER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "corsd/client.h"
#include "corsd/v1/corsd.grpc.pb.h"

namespace corsd::client_internal {

class RemoteChecker {
 public:
  RemoteChecker(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options);

  // `done` gets corsd's answer, or the status of the last attempt.
  void Check(v1::CheckRequest request,
             std::function<void(const grpc::Status&, const v1::CheckResponse&)> done);

 private:
  struct Call;
  void Attempt(Call* call);

  std::unique_ptr<v1::CorsDecision::Stub> stub_;
  const ClientOptions options_;
};

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_REMOTE_CHECKER_H_
