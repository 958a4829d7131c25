#include "service/snapshot/snapshot_writer.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace corsd::snapshot {

SnapshotWriter::SnapshotWriter(
    std::string path, std::function<SnapshotContent()> capture,
    std::function<void(const absl::Status&, absl::Duration took)> on_written)
    : path_(std::move(path)), capture_(std::move(capture)), on_written_(std::move(on_written)) {
  thread_ = std::thread([this] { Run(); });
}

SnapshotWriter::~SnapshotWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
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
  absl::Status status = WriteSnapshotFile(path_, capture_());
  const absl::Duration took = absl::Now() - start;
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    changed_ = true;  // try again at the next turn
  }
  on_written_(status, took);
  return status;
}

void SnapshotWriter::Run() {
  absl::Time next_allowed = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || changed_; };
      mu_.Await(absl::Condition(&ready));
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
    WriteOnce().IgnoreError();  // reported through on_written
    const absl::Duration took = absl::Now() - start;
    next_allowed = absl::Now() + std::max(kMinInterval, took * kCostFactor);
  }
}

}  // namespace corsd::snapshot
