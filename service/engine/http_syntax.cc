#include "service/engine/http_syntax.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace corsd::engine {
namespace {

bool EqualsAnyIgnoreCase(absl::string_view s, std::initializer_list<absl::string_view> names) {
  for (absl::string_view name : names) {
    if (absl::EqualsIgnoreCase(s, name)) return true;
  }
  return false;
}

}  // namespace

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

bool EqualsLowercase(absl::string_view s, absl::string_view lowercase) {
  if (s.size() != lowercase.size()) return false;
  const char* a = s.data();
  const char* b = lowercase.data();
  size_t i = 0;
  // Eight bytes at a time: where the literal has a letter, setting bit 5 of
  // the input folds exactly 'A'-'Z' onto 'a'-'z'; every other byte must match
  // as is. The letter mask comes from the literal (ASCII, so adding per-byte
  // offsets never carries into the next byte).
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    const uint64_t at_least_a = y + (0x80 - 'a') * kOnes;
    const uint64_t above_z = y + (0x80 - 'z' - 1) * kOnes;
    const uint64_t fold = ((at_least_a & ~above_z) & (0x80 * kOnes)) >> 2;
    if ((x | fold) != y) return false;
  }
  for (; i < s.size(); ++i) {
    const char fold = (b[i] >= 'a' && b[i] <= 'z') ? 0x20 : 0;
    if (static_cast<char>(a[i] | fold) != b[i]) return false;
  }
  return true;
}

bool IsForbiddenMethod(absl::string_view method) {
  return EqualsAnyIgnoreCase(method, {"CONNECT", "TRACE", "TRACK"});
}

bool IsCorsSafelistedMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST";
}

bool IsUnnormalizedStandardMethod(absl::string_view method) {
  for (absl::string_view standard : {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}) {
    if (method != standard && absl::EqualsIgnoreCase(method, standard)) return true;
  }
  return false;
}

bool IsForbiddenResponseHeaderName(absl::string_view name) {
  return EqualsAnyIgnoreCase(name, {"set-cookie", "set-cookie2"});
}

bool IsCorsSafelistedResponseHeaderName(absl::string_view name) {
  return EqualsAnyIgnoreCase(name, {"cache-control", "content-language", "content-length",
                                    "content-type", "expires", "last-modified", "pragma"});
}

bool IsForbiddenRequestHeaderName(absl::string_view name) {
  if (absl::StartsWithIgnoreCase(name, "proxy-") || absl::StartsWithIgnoreCase(name, "sec-")) {
    return true;
  }
  return EqualsAnyIgnoreCase(name, {"accept-charset",
                                    "accept-encoding",
                                    "access-control-request-headers",
                                    "access-control-request-method",
                                    "connection",
                                    "content-length",
                                    "cookie",
                                    "cookie2",
                                    "date",
                                    "dnt",
                                    "expect",
                                    "host",
                                    "keep-alive",
                                    "origin",
                                    "referer",
                                    "set-cookie",
                                    "te",
                                    "trailer",
                                    "transfer-encoding",
                                    "upgrade",
                                    "via"});
}

bool IsCorsProtocolHeaderName(absl::string_view name) {
  return absl::StartsWithIgnoreCase(name, "access-control-");
}

}  // namespace corsd::engine
