#include "client/remote_checker.h"

#include <grpcpp/alarm.h>

#include <algorithm>

#include "absl/random/random.h"
#include "absl/time/clock.h"

namespace corsd::client_internal {

struct RemoteChecker::Call {
  v1::CheckRequest request;
  v1::CheckResponse response;
  std::unique_ptr<grpc::ClientContext> context;
  // A fresh alarm per retry: a gRPC alarm fires once, and the previous one
  // may still be running its callback (which started this attempt) when the
  // next retry is scheduled.
  std::unique_ptr<grpc::Alarm> alarm;
  absl::Time deadline;
  int attempt = 0;
  std::function<void(const grpc::Status&, const v1::CheckResponse&)> done;
};

RemoteChecker::RemoteChecker(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options)
    : stub_(v1::CorsDecision::NewStub(std::move(channel))), options_(options) {}

RemoteChecker::~RemoteChecker() {
  // Every call ends by its deadline, so this wait is bounded.
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void RemoteChecker::Check(v1::CheckRequest request,
                          std::function<void(const grpc::Status&, const v1::CheckResponse&)> done) {
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  auto* call = new Call();
  call->request = std::move(request);
  call->deadline = absl::Now() + options_.deadline;
  call->done = std::move(done);
  Attempt(call);
}

void RemoteChecker::Attempt(Call* call) {
  ++call->attempt;
  call->context = std::make_unique<grpc::ClientContext>();
  call->context->set_deadline(absl::ToChronoTime(call->deadline));
  call->response.Clear();
  stub_->async()->Check(
      call->context.get(), &call->request, &call->response, [this, call](grpc::Status status) {
        const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE;
        if (retryable && call->attempt < options_.max_attempts) {
          // Full jitter around an exponential step, so many gateways that
          // lost corsd at once do not come back in lockstep.
          // Doubling per attempt, capped (a shift past 30 would be undefined
          // behaviour, and no deadline lasts that long anyway).
          absl::Duration step = options_.initial_backoff * (1 << std::min(call->attempt - 1, 20));
          absl::Duration backoff = step * absl::Uniform(absl::BitGen(), 0.5, 1.5);
          if (absl::Now() + backoff < call->deadline) {
            call->alarm = std::make_unique<grpc::Alarm>();
            call->alarm->Set(absl::ToChronoTime(absl::Now() + backoff),
                             [this, call, status](bool fired) {
                               if (fired) {
                                 Attempt(call);
                               } else {
                                 Finish(call, status);  // cancelled: gRPC is shutting down
                               }
                             });
            return;
          }
        }
        Finish(call, status);
      });
}

void RemoteChecker::Finish(Call* call, const grpc::Status& status) {
  call->done(status, call->response);
  delete call;
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

}  // namespace corsd::client_internal
