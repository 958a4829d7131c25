#include "service/http/http_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace corsd::http {
namespace {

constexpr char kContentTypeHeader[] = "Content-Type";
constexpr char kJsonContentType[] = "application/json";

}  // namespace

const std::string* HttpRequest::FindHeader(absl::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (absl::EqualsIgnoreCase(header.name, name)) return &header.value;
  }
  return nullptr;
}

absl::string_view HttpRequest::path() const {
  absl::string_view all = target;
  return all.substr(0, all.find_first_of("?#"));
}

bool HttpRequest::WantsKeepAlive() const {
  bool close = false;
  bool keep_alive = false;
  for (const HttpHeader& header : headers) {
    if (!absl::EqualsIgnoreCase(header.name, "connection")) continue;
    for (absl::string_view option : absl::StrSplit(header.value, ',')) {
      option = absl::StripAsciiWhitespace(option);
      if (absl::EqualsIgnoreCase(option, "close")) close = true;
      if (absl::EqualsIgnoreCase(option, "keep-alive")) keep_alive = true;
    }
  }
  if (close) return false;
  return minor_version >= 1 || keep_alive;
}

HttpResponse HttpResponse::JsonError(int status, absl::StatusCode code, absl::string_view message) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back(kContentTypeHeader, kJsonContentType);
  // error_handler_t::replace: a message quoting hostile input that is not
  // UTF-8 still makes valid JSON.
  response.body =
      nlohmann::json{{"code", absl::StatusCodeToString(code)}, {"message", std::string(message)}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body += '\n';
  return response;
}

HttpResponse HttpResponse::Json(std::string json) {
  HttpResponse response;
  response.headers.emplace_back(kContentTypeHeader, kJsonContentType);
  response.body = std::move(json);
  return response;
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

}  // namespace corsd::http
