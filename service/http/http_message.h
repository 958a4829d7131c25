// One HTTP/1.1 request as corsd's HTTP endpoint sees it, the answer to it,
// and the limits every request is held to before any handler runs.
//
// A request is parsed completely (head and body) into an HttpRequest before
// its handler is called; the limits below bound what that can cost, and a
// request over one of them is answered by the server itself with the status
// the limit names and a JSON error body (HttpResponse::JsonError), never
// handed to a handler.
//
//   HttpResponse response = HttpResponse::JsonError(404, absl::StatusCode::kNotFound,
//                                                   "no route for /nope");
#ifndef CORSD_SERVICE_HTTP_HTTP_MESSAGE_H_
#define CORSD_SERVICE_HTTP_HTTP_MESSAGE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace corsd::http {

// --- Limits (answered by the server with the status in parentheses) -------
inline constexpr size_t kMaxRequestLineBytes = 8 * 1024;     // 414 URI Too Long
inline constexpr size_t kMaxHeaderSectionBytes = 64 * 1024;  // 431
inline constexpr size_t kMaxHeaderFields = 100;              // 431
inline constexpr size_t kMaxBodyBytes = 1 << 20;             // 413 Content Too Large
// Everything one request may take on the wire, framing included (a chunked
// body's chunk lines count): 413 beyond it.
inline constexpr size_t kMaxRequestBytes =
    kMaxRequestLineBytes + kMaxHeaderSectionBytes + 2 * kMaxBodyBytes;
// From the first byte of a request to its last (408 Request Timeout).
inline constexpr absl::Duration kRequestReadTimeout = absl::Seconds(10);

struct HttpHeader {
  std::string name;   // as received
  std::string value;  // OWS trimmed
};

struct HttpRequest {
  std::string method;
  std::string target;     // origin-form: path and query, as received
  int minor_version = 1;  // HTTP/1.minor
  std::vector<HttpHeader> headers;
  std::string body;

  // The first header named `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(absl::string_view name) const;
  // The target's path: everything before the first '?' or '#'.
  absl::string_view path() const;
  // Whether the client wants the connection kept open after this request
  // (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive).
  bool WantsKeepAlive() const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // A JSON error body {"code": "<canonical status name>", "message": ...}
  // with Content-Type application/json: the one error shape of the endpoint.
  static HttpResponse JsonError(int status, absl::StatusCode code, absl::string_view message);
  // 200 with `json` as an application/json body.
  static HttpResponse Json(std::string json);
};

// "Not Found" for 404, ... ("" for a status without a standard phrase).
absl::string_view ReasonPhrase(int status);

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_HTTP_MESSAGE_H_
