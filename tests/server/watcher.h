// Watcher reads a WatchPolicies stream on its own thread, so tests can wait
// for events (or the end of the stream) with a timeout.
#ifndef CORSD_TESTS_SERVER_WATCHER_H_
#define CORSD_TESTS_SERVER_WATCHER_H_

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corsd/v1/corsd.grpc.pb.h"
#include "service/convert/wire_metadata.h"

namespace corsd::testing {

class Watcher {
 public:
  Watcher(v1::CorsAdmin::Stub* admin, const std::string& token, std::vector<std::string> tenants) {
    context_.AddMetadata("authorization", "Bearer " + token);
    v1::WatchPoliciesRequest request;
    for (const std::string& t : tenants) request.add_tenants(t);
    reader_ = admin->WatchPolicies(&context_, request);
    thread_ = std::thread([this] {
      reader_->WaitForInitialMetadata();
      {
        const auto& metadata = context_.GetServerInitialMetadata();
        auto it = metadata.find(kInitialEventsMetadata);
        absl::MutexLock lock(&mu_);
        if (it != metadata.end())
          initial_events_ = std::string(it->second.data(), it->second.size());
      }
      v1::PolicyEvent event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(event);
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      done_ = true;
    });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }

  // Waits until at least `n` events arrived (or the stream ended).
  std::vector<v1::PolicyEvent> WaitFor(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return events_;
  }
  // The corsd-initial-events initial metadata, once the stream started.
  std::optional<std::string> initial_events() {
    absl::MutexLock lock(&mu_);
    return initial_events_;
  }

  std::optional<grpc::Status> WaitDone(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
    if (!done_) return std::nullopt;
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::PolicyEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::PolicyEvent> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<std::string> initial_events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SERVER_WATCHER_H_
