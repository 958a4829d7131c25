#include "service/server/watch_hub.h"

#include <grpcpp/support/slice.h>

#include "absl/strings/str_cat.h"

namespace corsd::server {

WatchEventPtr MakeWatchEvent(const v1::PolicyEvent& event) {
  auto prepared = std::make_shared<WatchEvent>();
  prepared->tenant = event.tenant();
  prepared->deleted = event.deleted();
  grpc::Slice slice(event.ByteSizeLong());
  event.SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  prepared->bytes = std::move(slice);
  return prepared;
}

void WatchQueue::SetInitialState(const CurrentEvents& current) {
  absl::MutexLock lock(&mu_);
  if (tenants_.empty()) {
    initial_events_ = current.size();
    if (!current.empty()) initial_all_.emplace(current);
    return;
  }
  for (const std::string& tenant : tenants_) {
    if (const WatchEventPtr* event = current.Find(tenant)) initial_named_.push_back(*event);
  }
  initial_events_ = initial_named_.size();
}

std::optional<WatchEventPtr> WatchQueue::Pop() {
  absl::MutexLock lock(&mu_);
  std::optional<WatchEventPtr> event;
  if (initial_all_.has_value()) {
    if (const CurrentEvents::Entry* entry = initial_all_->Next()) event = entry->value;
    // At the end, drop the copy, and with it what only it kept.
    if (initial_all_->AtEnd()) initial_all_.reset();
  }
  if (!event.has_value() && !initial_named_.empty()) {
    event = std::move(initial_named_.front());
    initial_named_.pop_front();
  }
  if (event.has_value()) {
    ++initial_sent_;
    initial_sent_bytes_ += (*event)->bytes.size();
  } else if (!events_.empty()) {
    event = std::move(events_.front());
    events_.pop_front();
    bytes_ -= (*event)->bytes.size();
  }
  return event;
}

std::optional<absl::Status> WatchQueue::closed_status() {
  absl::MutexLock lock(&mu_);
  // Deliver what is already queued before reporting a shutdown; an overflow
  // drops the backlog (the watcher must resync anyway).
  if (closed_.has_value() && closed_->code() != absl::StatusCode::kResourceExhausted &&
      (initial_all_.has_value() || !initial_named_.empty() || !events_.empty())) {
    return std::nullopt;
  }
  return closed_;
}

bool WatchQueue::Push(WatchEventPtr event) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_.has_value()) return false;
    const size_t bytes = event->bytes.size();
    if (events_.size() >= WatchHub::kMaxPendingEvents + initial_sent_ ||
        bytes_ + bytes > WatchHub::kMaxPendingBytes + initial_sent_bytes_) {
      initial_all_.reset();
      initial_named_.clear();
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
    // A shutdown delivers what is queued; a revoked token gets nothing more.
    if (status.code() != absl::StatusCode::kUnavailable) {
      initial_all_.reset();
      initial_named_.clear();
      events_.clear();
      bytes_ = 0;
    }
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
  // O(1) for every tenant, O(named tenants) otherwise: never a copy of the
  // whole state under the lock writers take.
  queue->SetInitialState(current_);
  watchers_[queue.get()] = queue;
  return queue;
}

void WatchHub::Unsubscribe(const std::shared_ptr<WatchQueue>& queue) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(queue.get());
}

void WatchHub::Publish(const std::vector<WatchEventPtr>& events) {
  absl::MutexLock lock(&mu_);
  // A batch copies each shared node once (a reload of every tenant, too).
  CurrentEvents::Builder current(std::move(current_));
  for (const WatchEventPtr& event : events) {
    if (event->deleted) {
      current.Erase(event->tenant);
    } else {
      current.Set(event->tenant, event);
    }
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      const std::shared_ptr<WatchQueue>& queue = it->second;
      if (queue->Wants(event->tenant) && !queue->Push(event)) {
        watchers_.erase(it++);  // overflowed: it is closed and gets nothing more
      } else {
        ++it;
      }
    }
  }
  current_ = std::move(current).Build();
}

void WatchHub::SetCurrent(bool current) {
  absl::MutexLock lock(&mu_);
  current_state_ = current;
}

void WatchHub::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto& [raw, queue] : watchers_) {
    queue->Close(absl::UnavailableError("corsd is shutting down; reconnect"));
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
      if (revoked.contains(it->second->token_id_)) {
        ended.push_back(std::move(it->second));
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

absl::string_view WatchEventView(const WatchEvent& event) {
  return absl::string_view(reinterpret_cast<const char*>(event.bytes.begin()), event.bytes.size());
}

std::string WatchEventBytes(const WatchEvent& event) { return std::string(WatchEventView(event)); }

CurrentEvents WatchHub::Current() {
  absl::MutexLock lock(&mu_);
  return current_;
}

size_t WatchHub::watcher_count() {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace corsd::server
