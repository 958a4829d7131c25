#include "service/server/watch_reactor.h"

#include <optional>
#include <string>

#include "service/server/grpc_status.h"

namespace corsd::server {

WatchReactor::WatchReactor(grpc::CallbackServerContext* context, WatchHub* hub,
                           const std::vector<std::string>& tenants, int64_t token_id)
    : hub_(hub) {
  // The hub may call Pump() from a publishing thread as soon as Subscribe
  // registers the queue, before queue_ is set here; Pump() ignores calls
  // until then, and the Pump() below catches up.
  absl::StatusOr<std::shared_ptr<WatchQueue>> subscribed =
      hub_->Subscribe(tenants, token_id, [this] { Pump(); });
  if (!subscribed.ok()) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    Finish(ToGrpcStatus(subscribed.status()));
    return;
  }
  std::shared_ptr<WatchQueue> queue = *std::move(subscribed);
  context->AddInitialMetadata(kInitialEventsMetadata, std::to_string(queue->initial_events()));
  StartSendInitialMetadata();
  {
    absl::MutexLock lock(&mu_);
    queue_ = std::move(queue);
  }
  Pump();
}

WatchReactor::WatchReactor(const grpc::Status& status) {
  finished_ = true;
  Finish(status);
}

void WatchReactor::Pump() {
  WatchEventPtr next;
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_ || queue_ == nullptr) return;
    if (cancelled_) {
      finish = grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
    } else if (std::optional<WatchEventPtr> event = queue_->Pop(); event.has_value()) {
      in_flight_ = std::move(*event);
      // Shares the event's slice: nothing is copied.
      in_flight_bytes_ = grpc::ByteBuffer(&in_flight_->bytes, 1);
      next = in_flight_;
      writing_ = true;
    } else if (std::optional<absl::Status> closed = queue_->closed_status(); closed.has_value()) {
      finish = ToGrpcStatus(*closed);
    }
    if (finish.has_value()) finished_ = true;
  }
  if (next != nullptr) {
    StartWrite(&in_flight_bytes_);
  } else if (finish.has_value()) {
    Finish(*finish);
  }
}

void WatchReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    in_flight_.reset();
    in_flight_bytes_.Clear();
    if (!ok) cancelled_ = true;  // the client is gone
  }
  Pump();
}

void WatchReactor::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  Pump();
}

void WatchReactor::OnDone() {
  std::shared_ptr<WatchQueue> queue;
  {
    absl::MutexLock lock(&mu_);
    queue = queue_;
  }
  if (queue != nullptr) hub_->Unsubscribe(queue);
  delete this;
}

}  // namespace corsd::server
