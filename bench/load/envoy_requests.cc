#include "bench/load/envoy_requests.h"

#include "absl/strings/ascii.h"

namespace corsd::bench {

envoy::service::auth::v3::CheckRequest EnvoyShaped(const v1::CheckRequest& request) {
  envoy::service::auth::v3::CheckRequest out;
  auto* attributes = out.mutable_attributes();
  (*attributes->mutable_context_extensions())["corsd_tenant"] = request.tenant();
  auto* http = attributes->mutable_request()->mutable_http();
  const std::string host = request.host().empty() ? "api.example.com" : request.host();
  http->set_id("9f1c2b7e4d3a5f60");
  http->set_method(request.method());
  http->set_path(request.path().empty() ? "/api/items?page=2" : request.path());
  http->set_host(host);
  http->set_scheme("https");
  http->set_protocol("HTTP/2");
  auto& headers = *http->mutable_headers();
  headers[":authority"] = host;
  headers[":method"] = request.method();
  headers[":path"] = http->path();
  headers[":scheme"] = "https";
  headers["user-agent"] =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 "
      "Safari/537.36";
  headers["accept"] = "*/*";
  headers["accept-encoding"] = "gzip, deflate, br, zstd";
  headers["accept-language"] = "en-GB,en;q=0.9";
  headers["referer"] = "https://app.example.com/";
  headers["sec-fetch-mode"] = "cors";
  headers["sec-fetch-site"] = "cross-site";
  headers["x-forwarded-proto"] = "https";
  headers["x-request-id"] = "0f0e2f6a-1c4b-4a7e-9d8e-3b2a1c0d9e8f";
  headers["x-envoy-expected-rq-timeout-ms"] = "15000";
  if (!request.origin().empty()) headers["origin"] = request.origin();
  for (const v1::Header& header : request.headers()) {
    headers[absl::AsciiStrToLower(header.name())] = header.value();
  }
  return out;
}

}  // namespace corsd::bench
