#include "service/server/watch_hub.h"

#include <grpcpp/support/slice.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace corsd::server {

WatchEventPtr MakeWatchEvent(const v1::PolicyEvent& event) {
  auto prepared = std::make_shared<WatchEvent>();
  prepared->tenant = event.tenant();
  prepared->deleted = event.deleted();
  grpc::Slice slice(event.ByteSizeLong());
  event.SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  prepared->bytes = grpc::ByteBuffer(&slice, 1);
  return prepared;
}

std::optional<WatchEventPtr> WatchQueue::Pop() {
  absl::MutexLock lock(&mu_);
  if (events_.empty()) return std::nullopt;
  WatchEventPtr event = std::move(events_.front());
  events_.pop_front();
  bytes_ -= event->bytes.Length();
  return event;
}

std::optional<absl::Status> WatchQueue::closed_status() {
  absl::MutexLock lock(&mu_);
  // Deliver what is already queued before reporting a shutdown; an overflow
  // drops the backlog (the watcher must resync anyway).
  if (closed_.has_value() && closed_->code() != absl::StatusCode::kResourceExhausted &&
      !events_.empty()) {
    return std::nullopt;
  }
  return closed_;
}

bool WatchQueue::Push(WatchEventPtr event, size_t max_events, size_t max_bytes) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_.has_value()) return false;
    const size_t bytes = event->bytes.Length();
    if (events_.size() >= max_events || bytes_ + bytes > max_bytes) {
      events_.clear();
      bytes_ = 0;
      closed_ = absl::ResourceExhaustedError(absl::StrCat(
          "this watcher fell more than ", WatchHub::kMaxPendingEvents, " policy events or ",
          WatchHub::kMaxPendingBytes >> 20, " MiB behind; reconnect to receive the current state"));
    } else {
      bytes_ += bytes;
      events_.push_back(std::move(event));
    }
  }
  wake_();
  absl::MutexLock lock(&mu_);
  return !closed_.has_value();
}

void WatchQueue::Close(absl::Status status) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_.has_value()) return;
    closed_ = std::move(status);
  }
  wake_();
}

absl::StatusOr<std::shared_ptr<WatchQueue>> WatchHub::Subscribe(
    const std::vector<std::string>& tenants, int64_t token_id, std::function<void()> wake) {
  absl::flat_hash_set<std::string> wanted(tenants.begin(), tenants.end());
  std::shared_ptr<WatchQueue> queue(new WatchQueue(std::move(wanted), token_id, std::move(wake)));
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::UnavailableError("corsd is shutting down; reconnect");
  if (revoked_tokens_.contains(token_id)) return revoked_status_;
  if (!current_state_) {
    return absl::UnavailableError(
        "this corsd has not caught up with its store yet (it is starting, or serving its "
        "snapshot while the store is away); reconnect shortly or to another replica");
  }
  size_t initial = 0;
  size_t initial_bytes = 0;
  {
    absl::MutexLock queue_lock(&queue->mu_);
    for (const auto& [tenant, event] : current_) {
      if (!queue->Wants(tenant)) continue;
      queue->events_.push_back(event);
      initial_bytes += event->bytes.Length();
      ++initial;
    }
    queue->bytes_ = initial_bytes;
  }
  queue->initial_events_ = initial;
  watchers_[queue.get()] = {queue, Capacity{.events = initial + kMaxPendingEvents,
                                            .bytes = initial_bytes + kMaxPendingBytes}};
  return queue;
}

void WatchHub::Unsubscribe(const std::shared_ptr<WatchQueue>& queue) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(queue.get());
}

void WatchHub::Publish(const std::vector<WatchEventPtr>& events) {
  absl::MutexLock lock(&mu_);
  for (const WatchEventPtr& event : events) {
    if (event->deleted) {
      current_.erase(event->tenant);
    } else {
      current_[event->tenant] = event;
    }
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      auto& [queue, capacity] = it->second;
      if (queue->Wants(event->tenant) && !queue->Push(event, capacity.events, capacity.bytes)) {
        watchers_.erase(it++);  // overflowed: it is closed and gets nothing more
      } else {
        ++it;
      }
    }
  }
}

void WatchHub::SetCurrent(bool current) {
  absl::MutexLock lock(&mu_);
  current_state_ = current;
}

void WatchHub::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto& [raw, entry] : watchers_) {
    entry.first->Close(absl::UnavailableError("corsd is shutting down; reconnect"));
  }
  watchers_.clear();
}

size_t WatchHub::EndStreamsOfTokens(absl::flat_hash_set<int64_t> token_ids,
                                    const absl::Status& status) {
  std::vector<std::shared_ptr<WatchQueue>> ended;
  {
    absl::MutexLock lock(&mu_);
    revoked_tokens_ = std::move(token_ids);
    revoked_status_ = status;
    const absl::flat_hash_set<int64_t>& revoked = revoked_tokens_;
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      if (revoked.contains(it->second.first->token_id_)) {
        ended.push_back(std::move(it->second.first));
        watchers_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  // Closing wakes the reactor, which may call back into the hub: not under mu_.
  for (const std::shared_ptr<WatchQueue>& queue : ended) queue->Close(status);
  return ended.size();
}

std::string WatchEventBytes(const WatchEvent& event) {
  grpc::ByteBuffer bytes = event.bytes;  // shares the slices; Dump is not const
  std::vector<grpc::Slice> slices;
  std::string flat;
  if (!bytes.Dump(&slices).ok()) return flat;
  flat.reserve(bytes.Length());
  for (const grpc::Slice& slice : slices) {
    flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return flat;
}

std::vector<WatchEventPtr> WatchHub::CurrentEvents() {
  std::vector<WatchEventPtr> events;
  {
    absl::MutexLock lock(&mu_);
    events.reserve(current_.size());
    for (const auto& [tenant, event] : current_) events.push_back(event);
  }
  std::sort(events.begin(), events.end(),
            [](const WatchEventPtr& a, const WatchEventPtr& b) { return a->tenant < b->tenant; });
  return events;
}

size_t WatchHub::watcher_count() {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace corsd::server
