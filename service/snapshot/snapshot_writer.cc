#include "service/snapshot/snapshot_writer.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace corsd::snapshot {

SnapshotWriter::SnapshotWriter(
    std::string path, std::function<std::optional<SnapshotContent>()> capture,
    std::function<void(const absl::Status&, absl::Duration took)> on_written,
    absl::Duration refresh_every)
    : path_(std::move(path)),
      capture_(std::move(capture)),
      refresh_every_(refresh_every),
      on_written_(std::move(on_written)) {
  thread_ = std::thread([this] { Run(); });
}

SnapshotWriter::~SnapshotWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  MarkChanged();          // the last state, with a fresh synced_at
  Flush().IgnoreError();  // reported through on_written
}

void SnapshotWriter::MarkChanged() {
  absl::MutexLock lock(&mu_);
  changed_ = true;
}

absl::Status SnapshotWriter::Flush() {
  {
    absl::MutexLock lock(&mu_);
    if (!changed_) return absl::OkStatus();
  }
  return WriteOnce();
}

absl::Status SnapshotWriter::WriteOnce() {
  absl::MutexLock write_lock(&write_mu_);
  {
    absl::MutexLock lock(&mu_);
    changed_ = false;  // a change from here on is written next time
  }
  const absl::Time start = absl::Now();
  std::optional<SnapshotContent> content = capture_();
  if (!content.has_value()) return absl::OkStatus();  // nothing loaded: keep the file
  absl::Status status = WriteSnapshotFile(path_, *content);
  const absl::Duration took = absl::Now() - start;
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    changed_ = true;  // try again after the pause
  }
  on_written_(status, took);
  return status;
}

void SnapshotWriter::Run() {
  absl::Time next_allowed = absl::InfinitePast();
  absl::Time last_write = absl::Now();
  absl::Duration failure_pause = kMinInterval;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || changed_; };
      // Nothing changed for refresh_every: write anyway, for a fresh synced_at.
      if (!mu_.AwaitWithTimeout(absl::Condition(&ready),
                                last_write + refresh_every_ - absl::Now())) {
        changed_ = true;
      }
      if (stopping_) return;
      // Coalesce: whatever else changes before the next allowed time goes
      // into the same write.
      const absl::Duration wait = next_allowed - absl::Now();
      if (wait > absl::ZeroDuration()) {
        auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        if (mu_.AwaitWithTimeout(absl::Condition(&stopping), wait)) return;
      }
    }
    const absl::Time start = absl::Now();
    const absl::Status status = WriteOnce();  // reported through on_written
    last_write = absl::Now();
    const absl::Duration took = last_write - start;
    if (status.ok()) {
      failure_pause = kMinInterval;
      next_allowed = last_write + std::max(kMinInterval, took * kCostFactor);
    } else {
      next_allowed = last_write + std::max(failure_pause, took * kCostFactor);
      failure_pause = std::min(failure_pause * 2, absl::Minutes(1));
    }
  }
}

}  // namespace corsd::snapshot
