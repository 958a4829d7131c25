// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status code (Abseil 20220623
// does not export its own). Both evaluate their argument exactly once.
//
//   RETURN_IF_ERROR(tx.Commit());
//   ASSIGN_OR_RETURN(TenantRecord tenant, store->GetTenant(name));
#ifndef CORSD_SERVICE_COMMON_STATUS_MACROS_H_
#define CORSD_SERVICE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CORSD_CONCAT_INNER_(a, b) a##b
#define CORSD_CONCAT_(a, b) CORSD_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                         \
  do {                                                                \
    if (::absl::Status corsd_status_ = (expr); !corsd_status_.ok()) { \
      return corsd_status_;                                           \
    }                                                                 \
  } while (0)

#define CORSD_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                 \
  if (!result.ok()) return std::move(result).status();  \
  lhs = std::move(*result)

#define ASSIGN_OR_RETURN(lhs, expr) \
  CORSD_ASSIGN_OR_RETURN_IMPL_(CORSD_CONCAT_(corsd_statusor_, __LINE__), lhs, expr)

#endif  // CORSD_SERVICE_COMMON_STATUS_MACROS_H_
