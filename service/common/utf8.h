// UTF-8 helpers shared by everything that escapes or cuts text chosen by a
// caller (logs, audit rows, corsctl's terminal output). Header-only, no
// allocation, safe from any thread.
//
//   Utf8SequenceLength("é!", 0);        // 2: a whole two-byte sequence
//   Utf8SequenceLength("\xff", 0);      // 0: not a UTF-8 lead byte
//   Utf8PrefixBytes("aé", 2);           // 1: 2 would cut inside "é"
#ifndef CORSD_SERVICE_COMMON_UTF8_H_
#define CORSD_SERVICE_COMMON_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace corsd {

// Length of the well-formed UTF-8 sequence starting at s[i] (a non-ASCII lead
// byte and its continuation bytes), or 0 when there is none.
inline size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c >= 0xf0 && c <= 0xf4   ? 4
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xc2 && c <= 0xdf ? 2
                                            : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}

// The longest prefix of `s` of at most `max_bytes` that does not end inside a
// multi-byte sequence, as a byte count.
inline size_t Utf8PrefixBytes(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  return cut;
}

}  // namespace corsd

#endif  // CORSD_SERVICE_COMMON_UTF8_H_
