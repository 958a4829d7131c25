// ReadExtAuthzRequest on arbitrary bytes: never crashes, accepts every
// message protobuf's generated parser accepts, and then reads the same
// method, path, host and tenant.
#include <cstddef>
#include <cstdint>
#include <string>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "service/server/ext_authz_request.h"

// Protobuf logs every string it refuses; thousands of lines say nothing here.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  corsd::server::ExtAuthzRequestView view;
  const bool read = corsd::server::ReadExtAuthzRequest(bytes, &view);
  envoy::service::auth::v3::CheckRequest parsed;
  if (!parsed.ParseFromString(bytes)) return 0;
  if (!read) __builtin_trap();
  const auto& http = parsed.attributes().request().http();
  if (view.method != http.method() || view.path != http.path() || view.host != http.host()) {
    __builtin_trap();
  }
  const auto& extensions = parsed.attributes().context_extensions();
  const auto tenant = extensions.find("corsd_tenant");
  if (view.tenant != (tenant == extensions.end() ? "" : tenant->second)) __builtin_trap();
  return 0;
}
