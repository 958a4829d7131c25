// CRC32C (Castagnoli), as used to check a snapshot file. The Abseil in
// Debian 12 predates absl/crc, so this is the plain table-driven form.
// Thread-safe (the table is built once, on first use).
//
//   uint32_t crc = Crc32c(0, first_part);
//   crc = Crc32c(crc, second_part);   // same as Crc32c(0, first + second)
#ifndef CORSD_SERVICE_SNAPSHOT_CRC32C_H_
#define CORSD_SERVICE_SNAPSHOT_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace corsd::snapshot {

// Extends `crc` (0 to start) with `data`.
uint32_t Crc32c(uint32_t crc, absl::string_view data);

}  // namespace corsd::snapshot

#endif  // CORSD_SERVICE_SNAPSHOT_CRC32C_H_
