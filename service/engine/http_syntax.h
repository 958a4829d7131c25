// Small, allocation-free predicates over HTTP syntax (RFC 9110) and the Fetch
// standard's fixed name lists. Everything here is pure and thread-safe.
//
//   IsToken("X-Trace-Id")                 // true
//   IsForbiddenMethod("trace")            // true (Fetch compares case-insensitively)
//   IsCorsSafelistedMethod("GET")         // true
//   TrimOptionalWhitespace(" a, b\t")     // "a, b"
#ifndef CORSD_SERVICE_ENGINE_HTTP_SYNTAX_H_
#define CORSD_SERVICE_ENGINE_HTTP_SYNTAX_H_

#include <array>

#include "absl/strings/string_view.h"

namespace corsd::engine {

// The per-byte predicates below are inline: they run on every byte of every
// Access-Control-Request-Headers list, and a call per byte into another
// translation unit cost more than the checks themselves.
namespace http_syntax_internal {
inline constexpr unsigned char kTokenChar = 1;  // tchar
inline constexpr unsigned char kUpper = 2;      // 'A'-'Z'
constexpr std::array<unsigned char, 256> MakeByteClasses() {
  std::array<unsigned char, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = kTokenChar;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = kTokenChar;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kTokenChar | kUpper;
  for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) {
    table[static_cast<unsigned char>(c)] = kTokenChar;
  }
  return table;
}
inline constexpr std::array<unsigned char, 256> kByteClasses = MakeByteClasses();
}  // namespace http_syntax_internal

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
inline bool IsTokenChar(char c) {
  return http_syntax_internal::kByteClasses[static_cast<unsigned char>(c)] &
         http_syntax_internal::kTokenChar;
}

// A non-empty sequence of tchar: valid method and header names.
inline bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// True when `s` has no ASCII uppercase letter.
inline bool IsAsciiLowercase(absl::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

// Removes leading and trailing spaces and horizontal tabs (HTTP OWS).
inline absl::string_view TrimOptionalWhitespace(absl::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && (s[begin] == ' ' || s[begin] == '\t')) ++begin;
  while (end > begin && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
  return s.substr(begin, end - begin);
}

// ASCII case-insensitive equality without allocating.
bool EqualsIgnoreCase(absl::string_view a, absl::string_view b);

// Like EqualsIgnoreCase, but `lowercase` must already be lowercase ASCII;
// the hot-path form used to find the Access-Control-Request-* headers.
bool EqualsLowercase(absl::string_view s, absl::string_view lowercase);

// Position of the first '?' or '#', or npos. (absl's find_first_of builds a
// lookup table on every call, which dominates on short strings.)
inline size_t FindQueryOrFragment(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '?' || s[i] == '#') return i;
  }
  return absl::string_view::npos;
}

// CONNECT, TRACE, TRACK in any case: fetch() refuses them, so a policy that
// lists them is a mistake and a request naming them is not from a browser.
bool IsForbiddenMethod(absl::string_view method);

// GET, HEAD, POST (exact case, as browsers send them after normalizing):
// browsers need no permission for these, so they are always allowed.
bool IsCorsSafelistedMethod(absl::string_view method);

// DELETE, GET, HEAD, OPTIONS, POST, PUT: fetch() uppercases exactly these when
// a page writes them in any case. Returns true when `method` is one of them
// written in some other case (e.g. "delete"), i.e. a spelling a browser never
// sends.
bool IsUnnormalizedStandardMethod(absl::string_view method);

// Set-Cookie and Set-Cookie2 (any case): browsers never expose them to pages.
bool IsForbiddenResponseHeaderName(absl::string_view name);

// Response headers browsers always expose (Fetch "CORS-safelisted response-
// header names"): listing them in exposed_headers changes nothing.
bool IsCorsSafelistedResponseHeaderName(absl::string_view name);

// Request headers scripts can never set, whatever their value: Fetch's
// "forbidden request-header" names and every name starting with "proxy-" or
// "sec-" (any case). Allowing them in a policy changes nothing. The method-
// override names (X-HTTP-Method-Override, ...) are not included: Fetch forbids
// them only with a forbidden method as their value.
bool IsForbiddenRequestHeaderName(absl::string_view name);

// "Access-Control-*" names (any case): headers of the CORS protocol itself,
// which browsers consume and never expose to a page.
bool IsCorsProtocolHeaderName(absl::string_view name);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_HTTP_SYNTAX_H_
