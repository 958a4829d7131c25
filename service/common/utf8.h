// UTF-8 helpers shared by everything that escapes or cuts text chosen by a
// caller (logs, audit rows, corsctl's terminal output). Header-only, no
// allocation, safe from any thread.
//
//   Utf8SequenceLength("é!", 0);        // 2: a whole two-byte sequence
//   Utf8SequenceLength("\xff", 0);      // 0: not a UTF-8 lead byte
//   Utf8PrefixBytes("aé", 2);           // 1: 2 would cut inside "é"
//   IsValidUtf8("\xe0\x82\x9b");        // false: an overlong U+009B
#ifndef CORSD_SERVICE_COMMON_UTF8_H_
#define CORSD_SERVICE_COMMON_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace corsd {

// Length of the well-formed UTF-8 sequence starting at s[i] (a non-ASCII lead
// byte and its continuation bytes), or 0 when there is none. Well-formed as
// Unicode's table 3-7 says: no overlong forms (an overlong C1 control such
// as 0xE0 0x82 0x9B would otherwise slip past a terminal filter), no
// surrogates, nothing above U+10FFFF.
inline size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c >= 0xf0 && c <= 0xf4   ? 4
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xc2 && c <= 0xdf ? 2
                                            : 0;
  if (n == 0 || i + n > s.size()) return 0;
  // The second byte's range depends on the lead byte.
  const unsigned char second = static_cast<unsigned char>(s[i + 1]);
  const unsigned char low = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
  const unsigned char high = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
  if (second < low || second > high) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}

// Whether all of `s` is well-formed UTF-8 (as protobuf requires of string
// fields).
inline bool IsValidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by `replacement` (one byte for one: lengths are kept).
inline std::string ReplaceMalformedUtf8(absl::string_view s, char replacement) {
  std::string out(s);
  for (size_t i = 0; i < out.size();) {
    if (static_cast<unsigned char>(out[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(out, i);
    if (n == 0) {
      out[i++] = replacement;
    } else {
      i += n;
    }
  }
  return out;
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
