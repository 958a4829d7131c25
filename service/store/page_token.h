// Opaque page tokens for List calls (AIP-158 style). A token remembers the
// last key of the page it ends, bound to the list it came from, so a token
// from ListTenants cannot be replayed against ListAuditEvents.
//
//   std::string token = EncodePageToken("tenants", last_name);
//   ASSIGN_OR_RETURN(std::string after, DecodePageToken("tenants", token));
#ifndef CORSD_SERVICE_STORE_PAGE_TOKEN_H_
#define CORSD_SERVICE_STORE_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::store {

inline constexpr int32_t kDefaultPageSize = 100;
inline constexpr int32_t kMaxPageSize = 1000;

std::string EncodePageToken(absl::string_view list, absl::string_view last_key);
// "" decodes to "" (first page). Anything this server did not issue for
// `list` is INVALID_ARGUMENT.
absl::StatusOr<std::string> DecodePageToken(absl::string_view list, absl::string_view token);

// 0 -> kDefaultPageSize; above kMaxPageSize -> kMaxPageSize; negative ->
// INVALID_ARGUMENT.
absl::StatusOr<int32_t> EffectivePageSize(int32_t requested);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_PAGE_TOKEN_H_
