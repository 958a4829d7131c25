#include "service/store/lazy_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace corsd::store {

LazyStore::LazyStore(Opener open, std::string description,
                     std::function<void(const absl::Status&)> on_failed)
    : open_(std::move(open)),
      description_(std::move(description)),
      on_failed_(std::move(on_failed)) {}

absl::Status LazyStore::TryOpen() {
  if (is_open()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (store_ != nullptr) return absl::OkStatus();
  return Attempt();
}

absl::Status LazyStore::Attempt() {
  absl::StatusOr<std::unique_ptr<PolicyStore>> opened = open_();
  if (opened.ok()) {
    store_ = *std::move(opened);
    open_store_.store(store_.get(), std::memory_order_release);
    return absl::OkStatus();
  }
  next_attempt_ = absl::Now() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  if (on_failed_) on_failed_(opened.status());
  return opened.status();
}

absl::StatusOr<PolicyStore*> LazyStore::Target() {
  if (PolicyStore* store = open_store_.load(std::memory_order_acquire)) return store;
  // One attempt at a time: callers arriving meanwhile fail fast instead of
  // queueing behind a slow connect.
  if (mu_.TryLock()) {
    // A failed attempt is reported to on_failed (the log).
    if (store_ == nullptr && absl::Now() >= next_attempt_) Attempt().IgnoreError();
    PolicyStore* store = store_.get();
    mu_.Unlock();
    if (store != nullptr) return store;
  }
  // Callers may not be authenticated yet: the store's address and the
  // reason are in corsd's log (on_failed), not in the answer.
  return absl::UnavailableError(
      "corsd cannot reach its store yet (see its log); admin calls fail until it does, and "
      "decisions go on with the policies it holds; try again later");
}

}  // namespace corsd::store
