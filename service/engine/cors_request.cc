#include "service/engine/cors_request.h"

#include "service/engine/http_syntax.h"

namespace corsd::engine {

CorsRequestHeaders ScanCorsRequestHeaders(absl::Span<const HeaderView> headers) {
  CorsRequestHeaders found;
  found.line_count = headers.size();
  for (const HeaderView& header : headers) {
    // Every name of interest starts with "access-control-request-", so most
    // unrelated headers are rejected by the length comparison alone.
    if (EqualsLowercase(header.name, kRequestMethodHeader)) {
      if (found.request_method_lines++ == 0) {
        found.request_method = TrimOptionalWhitespace(header.value);
      }
    } else if (EqualsLowercase(header.name, kRequestHeadersHeader)) {
      if (found.request_headers_lines < CorsRequestHeaders::kKeptRequestHeadersLines) {
        found.KeepRequestHeaders(header.value);
      }
      ++found.request_headers_lines;
    } else if (EqualsLowercase(header.name, kRequestPrivateNetworkHeader)) {
      found.requests_private_network =
          TrimOptionalWhitespace(header.value) == kRequestPrivateNetworkTrue;
    }
  }
  return found;
}

}  // namespace corsd::engine
