// Parsing of origins exactly as browsers serialize them (WHATWG URL "ASCII
// serialization of an origin"): scheme "://" host [":" port], with a lowercase
// scheme and host, punycode instead of Unicode, canonical IP addresses and the
// scheme's default port omitted. corsd compares origins byte for byte, so any
// other spelling can only come from something that is not a browser and is
// reported as a problem instead of being normalized.
//
// The opaque origin "null" is not a tuple origin; callers handle it first.
//
//   SerializedOrigin origin;
//   if (ParseSerializedOrigin("https://api.example.com:8443", &origin) == OriginProblem::kNone) {
//     origin.host;  // "api.example.com"
//     origin.port;  // "8443" ("" when the default port was omitted)
//   }
//
// Parsing never allocates; the parts are views into the input.
#ifndef CORSD_SERVICE_ENGINE_SERIALIZED_ORIGIN_H_
#define CORSD_SERVICE_ENGINE_SERIALIZED_ORIGIN_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace corsd::engine {

// Why a string is not a serialized origin. kNone means it is one.
enum class OriginProblem {
  kNone,
  kEmpty,
  kTooLong,
  kControlCharacter,
  kWhitespace,
  kNonAscii,
  kMissingScheme,
  kBadScheme,
  kUppercase,
  kUserinfo,
  kPath,
  kQueryOrFragment,
  kMissingHost,
  kBadHost,
  kNonCanonicalAddress,
  kBadPort,
  kDefaultPort,
  kWildcard,
};

enum class HostKind { kDomain, kIPv4, kIPv6 };

struct SerializedOrigin {
  absl::string_view scheme;  // "https"
  absl::string_view host;    // "api.example.com", "127.0.0.1", "[::1]"
  absl::string_view port;    // "8443"; empty when omitted (default port)
  HostKind host_kind = HostKind::kDomain;
  // Offset of `host` in the parsed string, so callers can take views such as
  // "everything from this label on" without copying.
  size_t host_offset = 0;
};

// Returns kNone and fills `out` when `origin` is a browser-serialized tuple
// origin; otherwise returns the first problem found (and `out` is unspecified).
OriginProblem ParseSerializedOrigin(absl::string_view origin, SerializedOrigin* out);

// The building blocks ParseSerializedOrigin uses, shared with the policy
// pattern parser so both accept exactly the same spelling.
OriginProblem CheckScheme(absl::string_view scheme);
// A domain (lowercase labels, optional trailing dot), canonical dotted IPv4, or
// a bracketed canonical IPv6 address.
OriginProblem CheckHost(absl::string_view host, HostKind* kind);
// `port` is the text after ':' (must be non-empty); the scheme decides which
// port is the default one that browsers omit.
OriginProblem CheckPort(absl::string_view scheme, absl::string_view port);

// Scans for bytes that can never appear in an origin, reporting the most
// specific problem (control character, whitespace, non-ASCII) or kNone.
OriginProblem CheckOriginBytes(absl::string_view text);

// One phrase, suitable after the quoted value: `"HTTPS://A.COM" <phrase>`.
absl::string_view DescribeOriginProblem(OriginProblem problem);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_SERIALIZED_ORIGIN_H_
