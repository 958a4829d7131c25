// SnapshotWriter keeps a snapshot file current off the decision path: the
// owner calls MarkChanged() after publishing something new (cheap, never
// blocks), and a thread of its own captures and writes the snapshot,
// coalescing changes: at most one write a second, and never more than about
// 5% of one core (after a write that took d, the next waits at least 20 d;
// a snapshot that took 200 ms waits 4 s). Without changes the file is still
// rewritten every `refresh_every`, so the time it says its writer was in
// sync stays recent; and once more when the writer is destroyed. A failed
// write is retried with a doubling pause, up to a minute.
//
//   SnapshotWriter writer(path, [&] { return CaptureContent(); },   // nullopt: nothing yet
//                         [&](const absl::Status& s, absl::Duration took) { log(s, took); });
//   writer.MarkChanged();   // after each publication
//   // ~SnapshotWriter: a pending change is written before the thread stops
//
// Thread-safe. `capture` and `on_written` run on the writer's thread.
#ifndef CORSD_SERVICE_SNAPSHOT_SNAPSHOT_WRITER_H_
#define CORSD_SERVICE_SNAPSHOT_SNAPSHOT_WRITER_H_

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/snapshot/snapshot_file.h"

namespace corsd::snapshot {

class SnapshotWriter {
 public:
  static constexpr absl::Duration kMinInterval = absl::Seconds(1);
  static constexpr int kCostFactor = 20;  // wait >= 20x the last write: <= ~5% of a core

  static constexpr absl::Duration kDefaultRefresh = absl::Minutes(1);

  // `capture` returns nullopt when there is nothing worth writing (nothing
  // loaded yet): the file on disk is then left as it is.
  SnapshotWriter(std::string path, std::function<std::optional<SnapshotContent>()> capture,
                 std::function<void(const absl::Status&, absl::Duration took)> on_written,
                 absl::Duration refresh_every = kDefaultRefresh);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  void MarkChanged();

 private:
  // Writes now if anything changed since the last write, ignoring the
  // spacing (the destructor's last write). OK if nothing was pending.
  absl::Status Flush();
  void Run();
  absl::Status WriteOnce();

  const std::string path_;
  const std::function<std::optional<SnapshotContent>()> capture_;
  const absl::Duration refresh_every_;
  const std::function<void(const absl::Status&, absl::Duration)> on_written_;
  absl::Mutex write_mu_;  // one write at a time (the thread, or Flush)
  absl::Mutex mu_;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace corsd::snapshot

#endif  // CORSD_SERVICE_SNAPSHOT_SNAPSHOT_WRITER_H_
