// RequestParser on arbitrary bytes: never crashes, never exceeds the limits
// it enforces, and parses the same whether the bytes arrive at once or in
// two pieces (the first byte picks where they split).
#include <cstddef>
#include <cstdint>
#include <string>

#include "service/http/request_parser.h"

namespace {

struct Result {
  corsd::http::RequestParser::Outcome outcome;
  size_t consumed = 0;
  int error_status = 0;
  std::string body;
  size_t headers = 0;
};

Result Parse(const std::string& bytes, size_t split) {
  corsd::http::RequestParser parser;
  Result result{parser.Parse(bytes.substr(0, split))};
  if (result.outcome == corsd::http::RequestParser::kIncomplete) {
    result.outcome = parser.Parse(bytes);
  }
  if (result.outcome == corsd::http::RequestParser::kComplete) {
    result.consumed = parser.consumed();
    result.body = parser.request().body;
    result.headers = parser.request().headers.size();
  } else if (result.outcome == corsd::http::RequestParser::kError) {
    result.error_status = parser.error().status;
  }
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Result whole = Parse(bytes, bytes.size());
  const Result split = Parse(bytes, data[0] % (bytes.size() + 1));
  if (whole.outcome != split.outcome || whole.consumed != split.consumed ||
      whole.error_status != split.error_status || whole.body != split.body) {
    __builtin_trap();
  }
  if (whole.outcome == corsd::http::RequestParser::kComplete &&
      (whole.consumed > bytes.size() || whole.body.size() > corsd::http::kMaxBodyBytes ||
       whole.headers > corsd::http::kMaxHeaderFields)) {
    __builtin_trap();
  }
  return 0;
}
