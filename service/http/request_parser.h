// RequestParser reads one HTTP/1.1 request (RFC 9112) out of the bytes a
// connection has received so far, holding it to the limits in
// http_message.h. It does no I/O and keeps no buffer of its own, so it can be
// unit-tested and fuzzed on plain strings.
//
//   RequestParser parser;
//   std::string received;                      // grows as bytes arrive
//   for (;;) {
//     received += ReadSome();
//     RequestParser::Outcome outcome = parser.Parse(received);
//     if (outcome == RequestParser::kIncomplete) continue;
//     if (outcome == RequestParser::kError) Send(parser.error()), Close();
//     Handle(parser.request());
//     received.erase(0, parser.consumed());     // what is left is the next request
//     parser = RequestParser();
//   }
//
// Each call resumes where the last one stopped scanning, so a request that
// trickles in costs time linear in its size. Framing follows RFC 9112
// section 6: Content-Length or chunked Transfer-Encoding; both at once (a
// request-smuggling vector) and any other transfer coding are refused.
// Not thread-safe; one parser per connection.
#ifndef CORSD_SERVICE_HTTP_REQUEST_PARSER_H_
#define CORSD_SERVICE_HTTP_REQUEST_PARSER_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "service/http/http_message.h"

namespace corsd::http {

class RequestParser {
 public:
  enum Outcome { kIncomplete, kComplete, kError };

  // `received` must start at the request's first byte and only grow between
  // calls (the bytes already given must not change).
  Outcome Parse(absl::string_view received);

  // True once the head is parsed and the client asked "Expect: 100-continue"
  // for a body it has not sent yet.
  bool WantsContinue() const { return head_done_ && expects_continue_; }
  // Whether any byte of a request has arrived (leading empty lines aside).
  bool started() const { return started_; }

  // After kComplete.
  HttpRequest& request() { return request_; }
  size_t consumed() const { return consumed_; }
  // After kError: the answer to send before closing the connection.
  const HttpResponse& error() const { return error_; }

 private:
  enum class Framing { kNone, kLength, kChunked };

  Outcome Fail(int status, absl::StatusCode code, absl::string_view message);
  Outcome ParseFraming(absl::string_view received);
  Outcome ParseTrailers(absl::string_view received);
  Outcome ParseHead(absl::string_view received);
  Outcome ParseRequestLine(absl::string_view line);
  Outcome ParseHeaderLines(absl::string_view lines);
  Outcome ParseChunked(absl::string_view received);

  HttpRequest request_;
  HttpResponse error_;
  bool started_ = false;
  bool head_done_ = false;
  bool expects_continue_ = false;
  size_t start_ = 0;      // first byte of the request line
  size_t scan_from_ = 0;  // where the search for the head's end resumes
  size_t body_start_ = 0;
  Framing framing_ = Framing::kNone;
  size_t content_length_ = 0;
  size_t chunk_scan_ = 0;     // chunked: next unread byte
  bool in_trailers_ = false;  // chunked: the last chunk has been read
  size_t trailer_start_ = 0;
  size_t trailer_scan_ = 0;
  size_t consumed_ = 0;
};

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_REQUEST_PARSER_H_
