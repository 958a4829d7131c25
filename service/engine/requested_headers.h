// RequestedHeaders reads the header names a preflight asks for, from every
// Access-Control-Request-Headers line of the request (HTTP allows a list to be
// split over several lines). Elements are trimmed of optional whitespace and
// compared lowercase. Empty elements are skipped, as RFC 9110 section 5.6.1
// asks of a list recipient: "x-a,", ",x-a" and an empty line next to "x-a"
// all combine to the same field value and mean the same thing. A name that is
// not a token, and lists beyond kMaxRequestedHeaderNames names or
// kMaxRequestedHeaderBytes bytes (empty elements included), are reported as
// problems, so the work per request is bounded and linear.
//
//   CorsRequestHeaders cors = ScanCorsRequestHeaders(request.headers);
//   RequestedHeaders requested;
//   if (requested.Parse(cors, request.headers) != RequestedHeadersProblem::kNone) deny;
//   requested.ForEachName([&](absl::string_view lowercase) { return rule.AllowsHeader(lowercase);
//   }); absl::string_view echo = requested.Canonical(&scratch);  // "content-type,x-trace"
//
// Parse and ForEachName never allocate; Canonical allocates only when the
// request did not already send one lowercase, whitespace-free line (browsers
// do send that).
#ifndef CORSD_SERVICE_ENGINE_REQUESTED_HEADERS_H_
#define CORSD_SERVICE_ENGINE_REQUESTED_HEADERS_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/engine/cors_request.h"

namespace corsd::engine {

enum class RequestedHeadersProblem {
  kNone,
  kTooManyNames,
  kTooLarge,
  kInvalidName,
};

absl::string_view DescribeRequestedHeadersProblem(RequestedHeadersProblem problem);

class RequestedHeaders {
 public:
  // `cors` must come from ScanCorsRequestHeaders(headers); both must outlive
  // this object.
  RequestedHeadersProblem Parse(const CorsRequestHeaders& cors,
                                absl::Span<const HeaderView> headers);

  size_t count() const { return count_; }

  // Calls `visit` with each requested name, lowercase, in request order (the
  // view is valid during the call only). Stops at the first name for which
  // `visit` returns false and returns false; otherwise returns true.
  bool ForEachName(absl::FunctionRef<bool(absl::string_view)> visit) const;

  // The names joined by ",", lowercase: the value to echo in
  // Access-Control-Allow-Headers. Either a view of the request or built into
  // `*scratch`.
  absl::string_view Canonical(std::string* scratch) const;

 private:
  template <typename Fn>
  void ForEachLine(Fn fn) const;
  template <typename Fn>
  bool ForEachElement(Fn element) const;

  const CorsRequestHeaders* cors_ = nullptr;
  absl::Span<const HeaderView> headers_;
  size_t count_ = 0;
  // Set when exactly one non-empty line was sent and it is already canonical
  // (no empty elements, no whitespace, lowercase).
  absl::string_view canonical_line_;
  bool canonical_ = false;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_REQUESTED_HEADERS_H_
