#include "service/engine/punycode.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace corsd::engine {
namespace {

// RFC 3492 section 5: the Bootstring parameters of Punycode.
constexpr uint32_t kBase = 36;
constexpr uint32_t kTMin = 1;
constexpr uint32_t kTMax = 26;
constexpr uint32_t kSkew = 38;
constexpr uint32_t kDamp = 700;
constexpr uint32_t kInitialBias = 72;
constexpr uint32_t kInitialN = 128;
constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kMaxUint = UINT32_MAX;

// RFC 3492 section 6.1.
uint32_t Adapt(uint32_t delta, uint32_t points, bool first_time) {
  delta = first_time ? delta / kDamp : delta / 2;
  delta += delta / points;
  uint32_t k = 0;
  while (delta > ((kBase - kTMin) * kTMax) / 2) {
    delta /= kBase - kTMin;
    k += kBase;
  }
  return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

// Lowercase letters are digits 0-25, decimal digits 26-35 (hosts in origins
// are lowercase already). Returns kBase for anything else.
uint32_t DigitValue(char c) {
  if (c >= 'a' && c <= 'z') return static_cast<uint32_t>(c - 'a');
  if (c >= '0' && c <= '9') return static_cast<uint32_t>(c - '0') + 26;
  return kBase;
}

// RFC 3492 section 6.2, keeping only what validity needs: the number of code
// points decoded so far and whether any is non-ASCII. Every overflow the RFC
// guards against is an invalid label here.
bool DecodesToNonAscii(absl::string_view encoded) {
  size_t delimiter = encoded.rfind('-');
  uint32_t output_length = 0;
  size_t in = 0;
  if (delimiter != absl::string_view::npos) {
    // Basic code points are copied as they are; a label's are ASCII already.
    output_length = static_cast<uint32_t>(delimiter);
    in = delimiter + 1;
  }
  uint32_t n = kInitialN;
  uint32_t i = 0;
  uint32_t bias = kInitialBias;
  bool non_ascii = false;
  while (in < encoded.size()) {
    const uint32_t old_i = i;
    uint32_t w = 1;
    for (uint32_t k = kBase;; k += kBase) {
      if (in >= encoded.size()) return false;  // the number stops half-way
      const uint32_t digit = DigitValue(encoded[in++]);
      if (digit >= kBase) return false;
      if (digit > (kMaxUint - i) / w) return false;
      i += digit * w;
      const uint32_t t = k <= bias ? kTMin : (k >= bias + kTMax ? kTMax : k - bias);
      if (digit < t) break;
      if (w > kMaxUint / (kBase - t)) return false;
      w *= kBase - t;
    }
    ++output_length;
    bias = Adapt(i - old_i, output_length, old_i == 0);
    if (i / output_length > kMaxUint - n) return false;
    n += i / output_length;
    i %= output_length;
    // Surrogates and values past Unicode are not code points.
    if (n > kMaxCodePoint || (n >= 0xD800 && n <= 0xDFFF)) return false;
    non_ascii = true;  // every inserted code point is >= kInitialN
    ++i;
  }
  return non_ascii;
}

}  // namespace

bool IsValidPunycodeLabel(absl::string_view label) {
  if (!absl::StartsWith(label, "xn--")) return true;
  return DecodesToNonAscii(label.substr(4));
}

absl::string_view FindInvalidPunycodeLabel(absl::string_view host) {
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (!IsValidPunycodeLabel(label)) return label;
  }
  return absl::string_view();
}

}  // namespace corsd::engine
