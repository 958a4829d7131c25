// RequestParser: framing and every limit of http_message.h, table-driven,
// fed whole and one byte at a time (a request that trickles in must parse
// exactly like one that arrives at once).
#include "service/http/request_parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd::http {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  RequestParser::Outcome outcome;
  HttpRequest request;
  size_t consumed = 0;
  int error_status = 0;
  std::string error_body;
};

// What `parser` produced, after `outcome`.
Parsed Collect(RequestParser& parser, RequestParser::Outcome outcome) {
  Parsed out{outcome};
  if (outcome == RequestParser::kComplete) {
    out.request = parser.request();
    out.consumed = parser.consumed();
  } else if (outcome == RequestParser::kError) {
    out.error_status = parser.error().status;
    out.error_body = parser.error().body;
  }
  return out;
}

Parsed ParseWhole(const std::string& bytes) {
  RequestParser parser;
  return Collect(parser, parser.Parse(bytes));
}

Parsed ParseByteByByte(const std::string& bytes) {
  RequestParser parser;
  std::string received;
  RequestParser::Outcome outcome = RequestParser::kIncomplete;
  for (char c : bytes) {
    received += c;
    outcome = parser.Parse(received);
    if (outcome != RequestParser::kIncomplete) break;
  }
  return Collect(parser, outcome);
}

struct Row {
  std::string name;
  std::string bytes;
  RequestParser::Outcome outcome;
  int error_status = 0;  // for kError
};

// `count` header fields, Host included.
std::string ManyHeaders(size_t count) {
  std::string out = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (size_t i = 1; i < count; ++i) absl::StrAppend(&out, "X-H", i, ": v\r\n");
  return out + "\r\n";
}

std::vector<Row> Rows() {
  const std::string long_target(kMaxRequestLineBytes, 'a');
  return {
      {"simple GET", "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", RequestParser::kComplete},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", RequestParser::kComplete},
      {"leading empty line ignored", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
       RequestParser::kComplete},
      {"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", RequestParser::kComplete},
      {"content-length body", "POST /v1/check HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
       RequestParser::kComplete},
      {"chunked body",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       RequestParser::kComplete},
      {"chunked with extension and trailer",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n1;x=y\r\n{\r\n1\r\n}\r\n0\r\nT: "
       "v\r\n\r\n",
       RequestParser::kComplete},
      {"incomplete head", "GET / HTTP/1.1\r\nHost: a\r\n", RequestParser::kIncomplete},
      {"incomplete body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab",
       RequestParser::kIncomplete},
      {"request line at the limit is fine, still incomplete",
       "GET /" + long_target.substr(0, kMaxRequestLineBytes - 20) + " HTTP/1.1\r\nHost: a\r\n",
       RequestParser::kIncomplete},
      {"request line over the limit: 414", "GET /" + long_target + " HTTP/1.1\r\nHost: a\r\n\r\n",
       RequestParser::kError, 414},
      {"request line over the limit without a newline: 414", "GET /" + long_target,
       RequestParser::kError, 414},
      {"header section over 64 KiB: 431",
       "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + std::string(kMaxHeaderSectionBytes, 'v') + "\r\n\r\n",
       RequestParser::kError, 431},
      {"header section over 64 KiB, unfinished: 431",
       "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + std::string(kMaxHeaderSectionBytes + 10, 'v'),
       RequestParser::kError, 431},
      {"100 fields are fine", ManyHeaders(kMaxHeaderFields), RequestParser::kComplete},
      {"101 fields: 431", ManyHeaders(kMaxHeaderFields + 1), RequestParser::kError, 431},
      {"body over 1 MiB: 413",
       absl::StrCat("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ", kMaxBodyBytes + 1,
                    "\r\n\r\n"),
       RequestParser::kError, 413},
      {"chunked body over 1 MiB: 413",
       absl::StrCat("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                    absl::Hex(kMaxBodyBytes + 1), "\r\n"),
       RequestParser::kError, 413},
      {"huge content-length number: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
       RequestParser::kError, 400},
      {"two different content-lengths: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       RequestParser::kError, 400},
      {"content-length with transfer-encoding (smuggling): 400",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       RequestParser::kError, 400},
      {"unknown transfer coding: 501",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", RequestParser::kError, 501},
      {"bad chunk size: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       RequestParser::kError, 400},
      {"chunk longer than its size: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n",
       RequestParser::kError, 400},
      {"obs-fold: 400", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  continued\r\n\r\n",
       RequestParser::kError, 400},
      {"space before colon: 400", "GET / HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n",
       RequestParser::kError, 400},
      {"NUL in a value: 400", std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", 37),
       RequestParser::kError, 400},
      {"HTTP/2 preface: 400", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", RequestParser::kError, 400},
      {"HTTP/1.2: 505", "GET / HTTP/1.2\r\n\r\n", RequestParser::kError, 505},
      {"absolute-form target: 400", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
       RequestParser::kError, 400},
      {"garbage: 400", "hello\r\n\r\n", RequestParser::kError, 400},
      {"HTTP/1.1 without Host: 400", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", RequestParser::kError,
       400},
      {"two Host lines: 400", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", RequestParser::kError,
       400},
      {"bad trailer line: 400",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n",
       RequestParser::kError, 400},
      {"chunk framing past the request limit: 413",
       [] {
         std::string out = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
         const std::string chunk = "1;" + std::string(1000, 'e') + "\r\nx\r\n";
         while (out.size() <= kMaxRequestBytes) out += chunk;
         return out;
       }(),
       RequestParser::kError, 413},
  };
}

TEST(RequestParserTest, EveryRowParsesAlikeWholeAndByteByByte) {
  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.name);
    const Parsed whole = ParseWhole(row.bytes);
    EXPECT_EQ(whole.outcome, row.outcome);
    if (row.outcome == RequestParser::kError) {
      EXPECT_EQ(whole.error_status, row.error_status);
      EXPECT_THAT(whole.error_body, HasSubstr("\"code\":"));
    }
    // Byte by byte is quadratic in the worst case only for the test itself;
    // rows of megabytes are checked whole.
    if (row.bytes.size() < 20'000) {
      const Parsed trickled = ParseByteByByte(row.bytes);
      EXPECT_EQ(trickled.outcome, row.outcome);
      EXPECT_EQ(trickled.error_status, whole.error_status);
      EXPECT_EQ(trickled.consumed, whole.consumed);
      EXPECT_EQ(trickled.request.body, whole.request.body);
    }
  }
}

TEST(RequestParserTest, ReadsMethodTargetHeadersAndBody) {
  const Parsed parsed = ParseWhole(
      "POST /v1/check?x=1 HTTP/1.1\r\nHost: corsd\r\nX-Original-URI:  /a?b  \r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2\r\n\":\r\n0\r\n\r\nGET /next");
  ASSERT_EQ(parsed.outcome, RequestParser::kComplete);
  EXPECT_EQ(parsed.request.method, "POST");
  EXPECT_EQ(parsed.request.target, "/v1/check?x=1");
  EXPECT_EQ(parsed.request.path(), "/v1/check");
  ASSERT_NE(parsed.request.FindHeader("x-original-uri"), nullptr);
  EXPECT_EQ(*parsed.request.FindHeader("X-ORIGINAL-URI"), "/a?b");
  EXPECT_EQ(parsed.request.body, "{\"a\":");
  // Pipelined: the next request's bytes are not consumed.
  EXPECT_EQ(
      parsed.consumed,
      std::string_view("POST /v1/check?x=1 HTTP/1.1\r\nHost: corsd\r\nX-Original-URI:  /a?b  \r\n"
                       "Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2\r\n\":\r\n0\r\n\r\n")
          .size());
}

TEST(RequestParserTest, KeepAliveFollowsVersionAndConnectionHeader) {
  EXPECT_TRUE(ParseWhole("GET / HTTP/1.1\r\nHost: a\r\n\r\n").request.WantsKeepAlive());
  EXPECT_FALSE(ParseWhole("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                   .request.WantsKeepAlive());
  EXPECT_FALSE(ParseWhole("GET / HTTP/1.0\r\n\r\n").request.WantsKeepAlive());
  EXPECT_TRUE(
      ParseWhole("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.WantsKeepAlive());
}

TEST(RequestParserTest, AsksForContinueOnlyWhenABodyIsOwed) {
  RequestParser parser;
  std::string head =
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  EXPECT_EQ(parser.Parse(head), RequestParser::kIncomplete);
  EXPECT_TRUE(parser.WantsContinue());
  EXPECT_EQ(parser.Parse(head + "{}"), RequestParser::kComplete);

  RequestParser no_body;
  EXPECT_EQ(no_body.Parse("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n"),
            RequestParser::kComplete);
}

}  // namespace
}  // namespace corsd::http
