#include "service/convert/policy_convert.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/engine/limits.h"

namespace corsd {

namespace {

// Copies at most `limit` + 1 entries: enough for validation to see that the
// list is over its limit, without copying millions of entries to say so.
template <typename Repeated>
std::vector<std::string> CopyAtMost(const Repeated& from, size_t limit) {
  const size_t n = std::min(static_cast<size_t>(from.size()), limit + 1);
  return std::vector<std::string>(from.begin(), from.begin() + static_cast<int>(n));
}

template <typename Repeated>
std::vector<engine::HeaderSpec> CopyHeadersAtMost(const Repeated& from, size_t limit) {
  const size_t n = std::min(static_cast<size_t>(from.size()), limit + 1);
  std::vector<engine::HeaderSpec> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const v1::Header& header = from[static_cast<int>(i)];
    out.push_back({header.name(), header.value()});
  }
  return out;
}

std::optional<engine::Verdict> ToExpectedVerdict(v1::Verdict verdict) {
  switch (verdict) {
    case v1::ALLOW:
    case v1::DENY:
    case v1::NOT_CORS:
      return static_cast<engine::Verdict>(verdict);
    default:
      return std::nullopt;  // unset, or a number this build does not know
  }
}

void AppendTests(const v1::Policy& policy, engine::PolicySpec* spec) {
  const size_t n = std::min(static_cast<size_t>(policy.tests_size()), engine::kMaxPolicyTests + 1);
  spec->tests.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const v1::PolicyTest& test = policy.tests(static_cast<int>(i));
    engine::PolicyTestSpec& out = spec->tests.emplace_back();
    out.name = test.name();
    out.origin = test.request().origin();
    out.method = test.request().method();
    out.path = test.request().path();
    out.headers = CopyHeadersAtMost(test.request().headers(), engine::kMaxRequestHeaderLines);
    out.expect = ToExpectedVerdict(test.expect());
    out.expect_headers =
        CopyHeadersAtMost(test.expect_headers(), engine::kMaxPolicyTestExpectedHeaders);
  }
}

}  // namespace

engine::PolicySpec ToPolicySpec(const v1::Policy& policy, PolicyParts parts) {
  engine::PolicySpec spec;
  const size_t rules = std::min(static_cast<size_t>(policy.rules_size()), engine::kMaxRules + 1);
  spec.rules.reserve(rules);
  for (size_t i = 0; i < rules; ++i) {
    const v1::CorsRule& rule = policy.rules(static_cast<int>(i));
    engine::RuleSpec& out = spec.rules.emplace_back();
    out.path_prefix = rule.path_prefix();
    out.allowed_origins = CopyAtMost(rule.allowed_origins(), engine::kMaxOriginsPerPolicy);
    out.allowed_methods = CopyAtMost(rule.allowed_methods(), engine::kMaxMethodsPerRule);
    out.allowed_headers = CopyAtMost(rule.allowed_headers(), engine::kMaxHeaderNamesPerRule);
    out.exposed_headers = CopyAtMost(rule.exposed_headers(), engine::kMaxHeaderNamesPerRule);
    out.allow_credentials = rule.allow_credentials();
    out.max_age_seconds = rule.max_age_seconds();
    out.allow_private_network = rule.allow_private_network();
    out.preflight_status = rule.preflight_status();
  }
  if (parts == PolicyParts::kAll) AppendTests(policy, &spec);
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
  for (const engine::PolicyTestSpec& test : spec.tests) {
    v1::PolicyTest* out = policy.add_tests();
    out->set_name(test.name);
    out->mutable_request()->set_origin(test.origin);
    out->mutable_request()->set_method(test.method);
    out->mutable_request()->set_path(test.path);
    for (const engine::HeaderSpec& h : test.headers) {
      v1::Header* header = out->mutable_request()->add_headers();
      header->set_name(h.name);
      header->set_value(h.value);
    }
    if (test.expect.has_value()) out->set_expect(static_cast<v1::Verdict>(*test.expect));
    for (const engine::HeaderSpec& h : test.expect_headers) {
      v1::Header* header = out->add_expect_headers();
      header->set_name(h.name);
      header->set_value(h.value);
    }
  }
  return policy;
}

namespace {

void AppendFieldViolations(const std::vector<engine::FieldViolation>& listed, size_t count,
                           absl::string_view kind,
                           google::protobuf::RepeatedPtrField<v1::FieldViolation>* out) {
  out->Reserve(out->size() + static_cast<int>(listed.size()) + 1);
  for (const engine::FieldViolation& v : listed) {
    v1::FieldViolation* added = out->Add();
    added->set_field(v.field);
    added->set_description(v.description);
  }
  if (count > listed.size()) {
    v1::FieldViolation* more = out->Add();
    more->set_field(engine::kLeftOutField);
    more->set_description(engine::LeftOutDescription(count - listed.size(), kind));
  }
}

}  // namespace

void AppendDiagnostics(const engine::PolicyDiagnostics& diagnostics,
                       v1::ValidatePolicyResponse* response) {
  AppendFieldViolations(diagnostics.violations, diagnostics.violation_count, "violations",
                        response->mutable_violations());
  AppendFieldViolations(diagnostics.warnings, diagnostics.warning_count, "warnings",
                        response->mutable_warnings());
}

std::string SerializePolicy(const v1::Policy& policy) {
  // Fields this build does not know (a newer client's, or a caller's
  // padding) are not part of the policy: they are neither stored nor sent on.
  v1::Policy known = policy;
  known.DiscardUnknownFields();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    known.SerializeToCodedStream(&coded);
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
