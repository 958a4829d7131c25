// The engine's view of one HTTP request and of its CORS request headers.
// Everything is a view into memory the caller owns; nothing is copied.
//
//   HeaderView lines[] = {{"Access-Control-Request-Method", "PUT"}};
//   Request request{.origin = "https://app.example.com", .method = "OPTIONS",
//                   .path = "/api/items", .headers = lines};
#ifndef CORSD_SERVICE_ENGINE_CORS_REQUEST_H_
#define CORSD_SERVICE_ENGINE_CORS_REQUEST_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace corsd::engine {

struct HeaderView {
  absl::string_view name;
  absl::string_view value;

  bool operator==(const HeaderView&) const = default;
};

struct Request {
  absl::string_view origin;              // Origin header as received; empty = no Origin header
  absl::string_view method;              // e.g. "OPTIONS"
  absl::string_view path;                // '?' or '#' ends it
  absl::Span<const HeaderView> headers;  // any request headers, names in any case
};

// The Access-Control-Request-* headers of a request, found in one scan, so
// later steps never compare header names again.
struct CorsRequestHeaders {
  // Access-Control-Request-Headers lines kept by value; a request with more
  // (legal, but no browser does it) is re-scanned when needed.
  static constexpr size_t kKeptRequestHeadersLines = 4;

  size_t line_count = 0;             // all header lines looked at
  size_t request_method_lines = 0;   // Access-Control-Request-Method lines
  absl::string_view request_method;  // value of the first such line, OWS-trimmed
  size_t request_headers_lines = 0;  // Access-Control-Request-Headers lines
  // The value of Access-Control-Request-Headers line `i`, for
  // i < min(request_headers_lines, kKeptRequestHeadersLines).
  absl::string_view request_headers(size_t i) const { return {kept_[i].data, kept_[i].size}; }
  // For the scan: keeps `value` as line request_headers_lines's (only while
  // that is below kKeptRequestHeadersLines), before counting it.
  void KeepRequestHeaders(absl::string_view value) {
    kept_[request_headers_lines] = {value.data(), value.size()};
  }
  // Access-Control-Request-Private-Network: true
  bool requests_private_network = false;

  CorsRequestHeaders() = default;
  // Copies only the kept values that were written.
  CorsRequestHeaders(const CorsRequestHeaders& other) { *this = other; }
  CorsRequestHeaders& operator=(const CorsRequestHeaders& other) {
    line_count = other.line_count;
    request_method_lines = other.request_method_lines;
    request_method = other.request_method;
    request_headers_lines = other.request_headers_lines;
    requests_private_network = other.requests_private_network;
    for (size_t i = 0; i < request_headers_lines && i < kKeptRequestHeadersLines; ++i) {
      kept_[i] = other.kept_[i];
    }
    return *this;
  }

 private:
  // Left uninitialized: only the first min(request_headers_lines,
  // kKeptRequestHeadersLines) are written and read, and zeroing them (as an
  // array of string_view would) is a measurable share of a decision.
  struct KeptValue {
    const char* data;
    size_t size;
  };
  KeptValue kept_[kKeptRequestHeadersLines];
};

CorsRequestHeaders ScanCorsRequestHeaders(absl::Span<const HeaderView> headers);

// Lowercase, for EqualsLowercase.
inline constexpr absl::string_view kOriginHeader = "origin";
inline constexpr absl::string_view kRequestMethodHeader = "access-control-request-method";
inline constexpr absl::string_view kRequestHeadersHeader = "access-control-request-headers";
inline constexpr absl::string_view kRequestPrivateNetworkHeader =
    "access-control-request-private-network";
// The value of kRequestPrivateNetworkHeader that asks for private network
// access (OWS-trimmed; the last such line decides).
inline constexpr absl::string_view kRequestPrivateNetworkTrue = "true";

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_CORS_REQUEST_H_
