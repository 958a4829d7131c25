// The on-disk form of a corsd.v1.Snapshot ("Fail static"): a fixed header
// (magic, payload length, CRC32C of the payload) followed by the serialized
// message. Written to a temporary file, fsynced and renamed into place, so a
// reader sees the previous snapshot or the new one, never a mix.
//
//   SnapshotContent content{.head = head, .policy_count = n,
//                           .policy_event = [&](size_t i) { return bytes_of(i); }};
//   RETURN_IF_ERROR(WriteSnapshotFile("/var/lib/corsd/snapshot.pb", content));
//   absl::StatusOr<v1::Snapshot> loaded = ReadSnapshotFile("/var/lib/corsd/snapshot.pb");
//
// ReadSnapshotFile accepts only what a build with this snapshot format wrote
// (any release of it: a rolling upgrade during an outage still starts from
// the snapshot the previous release left): a file that is truncated, fails
// its checksum, does not parse or has another format is refused with a message saying which
// (callers log it and go on without it, never half-loading). Functions are thread-safe; two writers
// of one path must not run at once.
#ifndef CORSD_SERVICE_SNAPSHOT_SNAPSHOT_FILE_H_
#define CORSD_SERVICE_SNAPSHOT_SNAPSHOT_FILE_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"

namespace corsd::snapshot {

// What identifies this build's snapshot format (Snapshot.build).
const std::string& ThisBuild();

// The largest snapshot file read back (1 GiB): a bound on what a damaged or
// foreign length field can make the reader allocate.
inline constexpr size_t kMaxSnapshotBytes = size_t{1} << 30;

struct SnapshotContent {
  v1::Snapshot head;  // everything but `policies`; `build` is set by the writer
  size_t policy_count = 0;
  // The serialized PolicyEvent number i (0 <= i < policy_count), asked for
  // one at a time while writing, so memory stays flat however many there are.
  std::function<std::string(size_t i)> policy_event;
};

// Writes `content` to `path` atomically (a temporary file of its own, fsync,
// rename, fsync of the directory; the temporary file is removed on failure).
absl::Status WriteSnapshotFile(const std::string& path, const SnapshotContent& content);

// NOT_FOUND when there is no file; FAILED_PRECONDITION, saying why, when it
// is not a whole snapshot of this build.
absl::StatusOr<v1::Snapshot> ReadSnapshotFile(const std::string& path);

// The same for a file's bytes (FAILED_PRECONDITION saying why, without the
// path): what ReadSnapshotFile checks, and what the fuzzer drives.
absl::StatusOr<v1::Snapshot> ParseSnapshotBytes(absl::string_view bytes);

}  // namespace corsd::snapshot

#endif  // CORSD_SERVICE_SNAPSHOT_SNAPSHOT_FILE_H_
