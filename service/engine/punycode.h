// Punycode (RFC 3492) checks for the "xn--" labels of a host. Browsers turn
// Unicode host names into such labels (IDNA/UTS #46 ToASCII) and refuse a URL
// whose "xn--" label does not decode, so an origin with one can never be the
// origin of a page and no request ever carries it.
//
//   IsValidPunycodeLabel("xn--bcher-kva");  // true: decodes to "bücher"
//   IsValidPunycodeLabel("xn--f");          // false: the encoding stops mid-number
//   IsValidPunycodeLabel("xn--abc-");       // false: decodes to plain ASCII "abc",
//                                           // which ToASCII never encodes
//   IsValidPunycodeLabel("example");        // true: not an "xn--" label at all
//
// Only the encoding is checked, not the full UTS #46 mapping tables (which code
// points a browser would accept inside the decoded label): that needs ICU-sized
// data for little gain, since a label that decodes was almost always produced by
// a real IDNA encoder. Pure functions; never allocate; safe from any thread.
#ifndef CORSD_SERVICE_ENGINE_PUNYCODE_H_
#define CORSD_SERVICE_ENGINE_PUNYCODE_H_

#include "absl/strings/string_view.h"

namespace corsd::engine {

// `label` is one DNS label, lowercase, without dots. True unless it starts
// with "xn--" and what follows is not the punycode of at least one non-ASCII
// code point.
bool IsValidPunycodeLabel(absl::string_view label);

// The first label of `host` (dot-separated, optional trailing dot) for which
// IsValidPunycodeLabel is false, or an empty view when there is none.
absl::string_view FindInvalidPunycodeLabel(absl::string_view host);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_PUNYCODE_H_
