// ASSERT_OK_AND_ASSIGN(lhs, expr): evaluates `expr` (an absl::StatusOr),
// fails the test with its status unless it is OK, and otherwise moves its
// value into `lhs` (a declaration or an existing variable).
//
//   ASSERT_OK_AND_ASSIGN(TenantState state, store->LoadTenantState("shop"));
#ifndef CORSD_TESTS_SUPPORT_STATUS_ASSERT_H_
#define CORSD_TESTS_SUPPORT_STATUS_ASSERT_H_

#include "gtest/gtest.h"

#define CORSD_STATUS_ASSERT_CONCAT_INNER(a, b) a##b
#define CORSD_STATUS_ASSERT_CONCAT(a, b) CORSD_STATUS_ASSERT_CONCAT_INNER(a, b)
#define CORSD_ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  ASSERT_TRUE(statusor.ok()) << statusor.status();           \
  lhs = std::move(statusor).value()
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CORSD_ASSERT_OK_AND_ASSIGN_IMPL(CORSD_STATUS_ASSERT_CONCAT(statusor_, __LINE__), lhs, expr)

#endif  // CORSD_TESTS_SUPPORT_STATUS_ASSERT_H_
