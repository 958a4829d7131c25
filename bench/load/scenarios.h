// The request mixes corsd-bench sends to corsd.v1.CorsDecision/Check.
//
// Built-in scenarios expect the policy `corsd-bench-populate` gives each
// tenant it creates: https://app.example.com (plus 99 more exact origins and
// https://*.cdn.example.com) may PUT with content-type and x-request-id.
//
//   actual-allowed     GET from an allowed origin
//   actual-denied      GET from an origin not in the policy
//   preflight-allowed  OPTIONS for PUT with two requested headers, allowed
//   preflight-denied   the same preflight from an origin not in the policy
//   unknown-origin     an origin browsers would never send (DENY MALFORMED_REQUEST)
//   mixed              40/20/20/10/10 of the five above
//   many-tenants       actual-allowed spread over tenants bench-0..bench-(N-1)
#ifndef CORSD_BENCH_LOAD_SCENARIOS_H_
#define CORSD_BENCH_LOAD_SCENARIOS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corsd/v1/corsd.pb.h"

namespace corsd::bench {

struct WeightedRequest {
  v1::CheckRequest request;
  int weight = 1;
};

absl::StatusOr<std::vector<WeightedRequest>> BuiltinScenario(const std::string& name,
                                                             const std::string& tenant,
                                                             int tenants);
// A JSON array of corsd.v1.CheckRequest (protobuf JSON), each optionally with
// a "weight" next to it: [{"weight": 3, "request": {...}}, ...].
absl::StatusOr<std::vector<WeightedRequest>> ScenarioFromFile(const std::string& path);

// Expands weights into a list of 100 requests to cycle through.
std::vector<v1::CheckRequest> Expand(const std::vector<WeightedRequest>& scenario);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_SCENARIOS_H_
