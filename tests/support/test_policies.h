// Small policies tests build in code, header-only so any test target can
// use them without linking more support libraries.
#ifndef CORSD_TESTS_SUPPORT_TEST_POLICIES_H_
#define CORSD_TESTS_SUPPORT_TEST_POLICIES_H_

#include <string>

#include "corsd/v1/corsd.pb.h"

namespace corsd::testing {

// One rule allowing exactly `origin` (default methods and headers).
inline v1::Policy PolicyAllowingOrigin(const std::string& origin) {
  v1::Policy policy;
  policy.add_rules()->add_allowed_origins(origin);
  return policy;
}

// The JSON of a policy allowing only https://w<i>.example: a different
// policy for each i, for tests that write many revisions.
inline std::string NumberedOriginPolicyJson(int i) {
  return R"({"rules":[{"allowedOrigins":["https://w)" + std::to_string(i) + R"(.example"]}]})";
}

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_TEST_POLICIES_H_
