#include "service/convert/policy_convert.h"

#include "absl/status/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace corsd {

engine::PolicySpec ToPolicySpec(const v1::Policy& policy) {
  engine::PolicySpec spec;
  spec.rules.reserve(policy.rules_size());
  for (const v1::CorsRule& rule : policy.rules()) {
    engine::RuleSpec& out = spec.rules.emplace_back();
    out.path_prefix = rule.path_prefix();
    out.allowed_origins.assign(rule.allowed_origins().begin(), rule.allowed_origins().end());
    out.allowed_methods.assign(rule.allowed_methods().begin(), rule.allowed_methods().end());
    out.allowed_headers.assign(rule.allowed_headers().begin(), rule.allowed_headers().end());
    out.exposed_headers.assign(rule.exposed_headers().begin(), rule.exposed_headers().end());
    out.allow_credentials = rule.allow_credentials();
    out.max_age_seconds = rule.max_age_seconds();
    out.allow_private_network = rule.allow_private_network();
    out.preflight_status = rule.preflight_status();
  }
  return spec;
}

v1::Policy ToPolicyProto(const engine::PolicySpec& spec) {
  v1::Policy policy;
  for (const engine::RuleSpec& rule : spec.rules) {
    v1::CorsRule* out = policy.add_rules();
    out->set_path_prefix(rule.path_prefix);
    for (const std::string& o : rule.allowed_origins) out->add_allowed_origins(o);
    for (const std::string& m : rule.allowed_methods) out->add_allowed_methods(m);
    for (const std::string& h : rule.allowed_headers) out->add_allowed_headers(h);
    for (const std::string& h : rule.exposed_headers) out->add_exposed_headers(h);
    out->set_allow_credentials(rule.allow_credentials);
    out->set_max_age_seconds(rule.max_age_seconds);
    out->set_allow_private_network(rule.allow_private_network);
    out->set_preflight_status(rule.preflight_status);
  }
  return policy;
}

void AppendFieldViolations(const std::vector<engine::FieldViolation>& violations,
                           google::protobuf::RepeatedPtrField<v1::FieldViolation>* out) {
  out->Reserve(out->size() + static_cast<int>(violations.size()));
  for (const engine::FieldViolation& v : violations) {
    v1::FieldViolation* added = out->Add();
    added->set_field(v.field);
    added->set_description(v.description);
  }
}

std::string SerializePolicy(const v1::Policy& policy) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    policy.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::StatusOr<v1::Policy> ParseStoredPolicy(const std::string& bytes) {
  v1::Policy policy;
  if (!policy.ParseFromString(bytes)) {
    return absl::DataLossError("stored policy is not a valid corsd.v1.Policy");
  }
  return policy;
}

}  // namespace corsd
