// Naming rules for tenants and the request hosts that map to them: the
// admin API applies them before anything is stored.
//
//   ValidateTenantName("shop-eu")                     // OK
//   ValidateTenantName("Shop")                        // INVALID_ARGUMENT
//   NormalizeHosts({"Shop.Example.com", "shop.example.com:8443"})
//     // {"shop.example.com", "shop.example.com:8443"}
#ifndef CORSD_SERVICE_ENGINE_TENANT_NAMES_H_
#define CORSD_SERVICE_ENGINE_TENANT_NAMES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/engine/limits.h"

namespace corsd::engine {

// [a-z0-9][a-z0-9-]{0,62}: at most kMaxTenantNameBytes (limits.h).
absl::Status ValidateTenantName(absl::string_view name);
// Origin sets follow the same rule.
absl::Status ValidateOriginSetName(absl::string_view name);

// Lowercases, checks and sorts hosts: a domain name, an IPv4 address or a
// bracketed IPv6 address, each optionally with ":port". Duplicates are
// dropped. Every bad entry is named in the error.
absl::StatusOr<std::vector<std::string>> NormalizeHosts(const std::vector<std::string>& hosts);

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_TENANT_NAMES_H_
