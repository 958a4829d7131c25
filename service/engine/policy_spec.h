// PolicySpec is a tenant's CORS policy as an operator wrote it: plain data,
// mirroring the corsd.v1.Policy proto field for field so the engine needs no
// protobuf. Nothing here is validated; CompilePolicy() does that.
//
//   PolicySpec spec;
//   RuleSpec& rule = spec.rules.emplace_back();
//   rule.allowed_origins = {"https://app.example.com"};
//   rule.allowed_methods = {"PUT"};
#ifndef CORSD_SERVICE_ENGINE_POLICY_SPEC_H_
#define CORSD_SERVICE_ENGINE_POLICY_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

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

struct PolicySpec {
  std::vector<RuleSpec> rules;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_POLICY_SPEC_H_
