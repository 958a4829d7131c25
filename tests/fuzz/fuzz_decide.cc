// Builds a small policy and a request out of fuzz input, compiles the policy
// and decides the request. Checks the answer's safety properties on every
// input (decision_invariants.h).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "service/engine/decision.h"
#include "service/engine/policy_compiler.h"
#include "tests/fuzz/decision_invariants.h"

using namespace corsd::engine;

namespace {

// Random strings rarely form valid origins or tokens, so half of the time
// the fuzzer picks from known-good values and lets mutation do the rest.
constexpr const char* kOrigins[] = {
    "https://app.example.com", "https://*.example.com",   "http://localhost:*",   "*", "null",
    "http://[::1]:8080",       "https://a.b.example.com", "http://localhost:3000"};
constexpr const char* kTokens[] = {"PUT",          "*",     "x-trace", "authorization",
                                   "content-type", "PATCH", "GET"};

template <size_t N>
std::string Pick(FuzzedDataProvider& in, const char* const (&known)[N]) {
  if (in.ConsumeBool()) return known[in.ConsumeIntegralInRange<size_t>(0, N - 1)];
  return in.ConsumeRandomLengthString(64);
}

template <size_t N>
std::vector<std::string> Strings(FuzzedDataProvider& in, size_t max,
                                 const char* const (&known)[N]) {
  std::vector<std::string> out(in.ConsumeIntegralInRange<size_t>(0, max));
  for (std::string& s : out) s = Pick(in, known);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  PolicySpec spec;
  const size_t rules = in.ConsumeIntegralInRange<size_t>(0, 3);
  for (size_t i = 0; i < rules; ++i) {
    RuleSpec& rule = spec.rules.emplace_back();
    rule.path_prefix = in.ConsumeBool() ? "" : in.ConsumeRandomLengthString(16);
    rule.allow_credentials = in.ConsumeBool();
    rule.allowed_origins = Strings(in, 4, kOrigins);
    rule.allowed_methods = Strings(in, 3, kTokens);
    rule.allowed_headers = Strings(in, 3, kTokens);
    rule.exposed_headers = Strings(in, 2, kTokens);
    rule.allow_private_network = in.ConsumeBool();
    rule.max_age_seconds = in.ConsumeIntegralInRange<int32_t>(-2, 90000);
    rule.preflight_status = in.ConsumeIntegralInRange<int32_t>(0, 310);
  }
  PolicyCompilation compiled = CompilePolicy(spec, 1);
  if (compiled.policy == nullptr) {
    if (compiled.diagnostics.ok()) abort();  // no policy must mean violations
    return 0;
  }

  std::vector<std::string> storage = Strings(in, 8, kTokens);
  std::vector<HeaderView> headers;
  for (size_t i = 0; i + 1 < storage.size(); i += 2) {
    static const char* kNames[] = {"Access-Control-Request-Method",
                                   "access-control-request-headers",
                                   "Access-Control-Request-Private-Network", "X-Other"};
    headers.push_back({kNames[storage[i].size() % 4], storage[i + 1]});
  }
  const std::string origin = Pick(in, kOrigins);
  const std::string method = in.ConsumeBool() ? "OPTIONS" : in.ConsumeRandomLengthString(10);
  const std::string path = in.ConsumeRandomLengthString(40);
  Request request{.origin = origin, .method = method, .path = path, .headers = headers};

  Decision decision;
  Decide(*compiled.policy, request, DecideOptions{.explain = in.ConsumeBool()}, &decision);

  corsd::fuzz::AbortUnlessDecisionIsSafe(decision, origin);
  return 0;
}
