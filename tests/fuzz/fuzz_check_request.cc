// Feeds arbitrary bytes to the Check path as corsd sees it after gRPC: parse
// a corsd.v1.CheckRequest from the wire bytes, decide it against a fixed
// policy that uses every feature (exact, wildcard and localhost origins,
// credentials, path rules, private network), and build the CheckResponse.
// Checks on every input that the decision is safe (decision_invariants.h)
// and that the CheckResponse carries exactly that decision's headers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "corsd/v1/corsd.pb.h"
#include "service/convert/check_convert.h"
#include "service/engine/decision.h"
#include "service/engine/policy_compiler.h"
#include "tests/fuzz/decision_invariants.h"

namespace {

std::shared_ptr<const corsd::engine::CompiledPolicy> FixedPolicy() {
  corsd::engine::PolicySpec spec;
  corsd::engine::RuleSpec& api = spec.rules.emplace_back();
  api.path_prefix = "/api";
  api.allowed_origins = {"https://app.example.com", "https://*.example.com", "http://localhost:*",
                         "null"};
  api.allowed_methods = {"GET", "PUT", "PATCH"};
  api.allowed_headers = {"content-type", "x-trace", "authorization"};
  api.exposed_headers = {"x-request-id"};
  api.allow_credentials = true;
  api.allow_private_network = true;
  api.max_age_seconds = 600;
  corsd::engine::RuleSpec& open = spec.rules.emplace_back();
  open.allowed_origins = {"*"};
  open.allowed_methods = {"*"};
  open.allowed_headers = {"*"};
  open.max_age_seconds = -1;
  corsd::engine::PolicyCompilation compiled = corsd::engine::CompilePolicy(spec, 1);
  if (compiled.policy == nullptr) abort();
  return compiled.policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* const policy =
      new std::shared_ptr<const corsd::engine::CompiledPolicy>(FixedPolicy());
  corsd::v1::CheckRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;

  corsd::CheckRequestView views(request);
  corsd::engine::Decision decision;
  corsd::engine::Decide(**policy, views.request(),
                        corsd::engine::DecideOptions{.explain = request.explain()}, &decision);
  corsd::v1::CheckResponse response;
  corsd::FillCheckResponse(decision, "fuzz", &response);

  corsd::fuzz::AbortUnlessDecisionIsSafe(decision, request.origin());
  if (response.verdict() != static_cast<corsd::v1::Verdict>(decision.verdict)) abort();
  const auto headers = decision.response_headers();
  if (response.response_headers_size() != static_cast<int>(headers.size())) abort();
  for (size_t i = 0; i < headers.size(); ++i) {
    const corsd::v1::Header& sent = response.response_headers(static_cast<int>(i));
    if (sent.name() != headers[i].name || sent.value() != headers[i].value) abort();
  }
  return 0;
}
