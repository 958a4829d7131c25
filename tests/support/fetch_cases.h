// The Fetch decision table shared by the engine tests (which check each
// row's answer and run it through the browser model) and the client tests
// (which check that local evaluation answers every row exactly like corsd).
#ifndef CORSD_TESTS_SUPPORT_FETCH_CASES_H_
#define CORSD_TESTS_SUPPORT_FETCH_CASES_H_

#include <map>
#include <string>
#include <vector>

#include "service/engine/decision.h"
#include "service/engine/policy_spec.h"
#include "tests/support/browser_model.h"

namespace corsd::testing {

struct DecisionCase {
  std::string name;
  std::string policy;  // key into FetchPolicySpecs(), or "empty" (no policy)
  std::string origin;
  std::string method;
  std::string path;
  HeaderList headers;
  engine::Verdict verdict;
  engine::Reason reason;
  HeaderList want = {};                  // present with exactly this value
  std::vector<std::string> absent = {};  // names that must not appear
};

// Named policies the rows refer to.
std::map<std::string, engine::PolicySpec> FetchPolicySpecs();
// Policies whose rules allow credentials (allowed answers must also work
// for credentialed browser requests).
bool FetchPolicyAllowsCredentials(const std::string& policy);
std::vector<DecisionCase> FetchDecisionCases();
// The tenant a server test stores policy `policy` under (names with '_'
// are not tenant names).
std::string FetchCaseTenant(const std::string& policy);

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_FETCH_CASES_H_
