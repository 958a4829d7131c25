// PolicySpec is a tenant's CORS policy as an operator wrote it: plain data,
// mirroring the corsd.v1.Policy proto field for field so the engine needs no
// protobuf. Nothing here is validated; CompilePolicy() does that.
//
//   PolicySpec spec;
//   RuleSpec& rule = spec.rules.emplace_back();
//   rule.allowed_origins = {"https://app.example.com"};
//   rule.allowed_methods = {"PUT"};
//   spec.tests.push_back({.name = "app-may-put", .origin = "https://app.example.com",
//                         .method = "PUT", .expect = Verdict::kAllow});
#ifndef CORSD_SERVICE_ENGINE_POLICY_SPEC_H_
#define CORSD_SERVICE_ENGINE_POLICY_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/engine/verdict.h"

namespace corsd::engine {

struct RuleSpec {
  std::string path_prefix;                   // "" = default rule
  std::vector<std::string> allowed_origins;  // see origin_pattern.h
  std::vector<std::string> allowed_methods;  // case-sensitive tokens; "*" = any
  std::vector<std::string> allowed_headers;  // case-insensitive; "*" = any but Authorization
  std::vector<std::string> exposed_headers;
  bool allow_credentials = false;
  int32_t max_age_seconds = 0;  // 0 = omit; -1 = send "0"
  bool allow_private_network = false;
  int32_t preflight_status = 0;  // 0 = 204
};

struct HeaderSpec {
  std::string name;
  std::string value;
};

// One request with the answer the policy's author expects (a PolicyTest):
// run by every write of the policy (see policy_tests.h).
struct PolicyTestSpec {
  std::string name;  // unique within the policy
  std::string origin;
  std::string method;
  std::string path;
  std::vector<HeaderSpec> headers;
  std::optional<Verdict> expect;  // nullopt: unset or unknown in the message
  // Each must be in the answer with exactly this value (names
  // case-insensitive).
  std::vector<HeaderSpec> expect_headers;
};

struct PolicySpec {
  std::vector<RuleSpec> rules;
  std::vector<PolicyTestSpec> tests;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_POLICY_SPEC_H_
