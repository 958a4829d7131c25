#include "service/convert/shadow_convert.h"

#include <algorithm>
#include <string>

#include "absl/hash/hash.h"
#include "service/convert/origin_set_resolution.h"
#include "service/convert/policy_convert.h"
#include "service/convert/time_convert.h"
#include "service/engine/policy_compiler.h"

namespace corsd {

std::shared_ptr<const engine::ShadowPolicy> ToShadowPolicy(
    const v1::ShadowPolicy& shadow, const std::shared_ptr<const engine::ShadowPolicy>& serving,
    std::string* error) {
  const int64_t updated_at_us = absl::ToUnixMicros(FromTimestamp(shadow.updated_at()));
  const v1::Policy& deciding = DecidingPolicy(shadow);
  const size_t fingerprint = absl::Hash<std::string>{}(SerializePolicy(deciding));
  const bool same_shadow = serving != nullptr && serving->updated_at_us == updated_at_us;
  if (same_shadow && serving->content_fingerprint == fingerprint) return serving;
  engine::PolicyCompilation compiled = engine::CompilePolicy(
      ToPolicySpec(deciding, PolicyParts::kRulesOnly), 0, engine::PolicySource::kStored);
  if (compiled.policy == nullptr) {
    if (error != nullptr) *error = compiled.diagnostics.Summary(3);
    return nullptr;
  }
  // The same shadow resolved again keeps counting where it was.
  return std::make_shared<const engine::ShadowPolicy>(engine::ShadowPolicy{
      .policy = std::move(compiled.policy),
      .updated_at_us = updated_at_us,
      .content_fingerprint = fingerprint,
      .tally = same_shadow ? serving->tally : std::make_shared<engine::ShadowTally>()});
}

void AppendShadowCounts(const std::vector<engine::ShadowCountRow>& rows,
                        google::protobuf::RepeatedPtrField<v1::ShadowCount>* out) {
  for (const engine::ShadowCountRow& row : rows) {
    v1::ShadowCount* count = out->Add();
    count->set_active_verdict(static_cast<v1::Verdict>(row.active));
    count->set_shadow_verdict(static_cast<v1::Verdict>(row.shadow));
    count->set_shadow_reason(static_cast<v1::Reason>(row.shadow_reason));
    count->set_count(row.count);
  }
}

void AppendShadowSamples(const std::vector<engine::ShadowSampleRecord>& samples,
                         google::protobuf::RepeatedPtrField<v1::ShadowSample>* out) {
  for (const engine::ShadowSampleRecord& sample : samples) {
    v1::ShadowSample* proto = out->Add();
    ToTimestamp(sample.time, proto->mutable_time());
    proto->set_origin(sample.origin);
    proto->set_method(sample.method);
    proto->set_path(sample.path);
    for (const std::string& name : sample.requested_headers) proto->add_requested_headers(name);
    proto->set_active_verdict(static_cast<v1::Verdict>(sample.active_verdict));
    proto->set_active_reason(static_cast<v1::Reason>(sample.active_reason));
    proto->set_shadow_verdict(static_cast<v1::Verdict>(sample.shadow_verdict));
    proto->set_shadow_reason(static_cast<v1::Reason>(sample.shadow_reason));
  }
}

void AddToTally(const google::protobuf::RepeatedPtrField<v1::ShadowCount>& counts,
                const google::protobuf::RepeatedPtrField<v1::ShadowSample>& samples,
                absl::Time earliest, absl::Time latest, engine::ShadowTally* tally) {
  for (const v1::ShadowCount& count : counts) {
    // ShadowTally::Count skips values it does not know.
    tally->Count(static_cast<engine::Verdict>(count.active_verdict()),
                 static_cast<engine::Verdict>(count.shadow_verdict()),
                 static_cast<engine::Reason>(count.shadow_reason()), count.count());
  }
  for (const v1::ShadowSample& sample : samples) {
    engine::ShadowSampleRecord record{
        .time = std::clamp(FromTimestamp(sample.time()), earliest, latest),
        .origin = sample.origin(),
        .method = sample.method(),
        .path = sample.path(),
        .active_verdict = static_cast<engine::Verdict>(sample.active_verdict()),
        .active_reason = static_cast<engine::Reason>(sample.active_reason()),
        .shadow_verdict = static_cast<engine::Verdict>(sample.shadow_verdict()),
        .shadow_reason = static_cast<engine::Reason>(sample.shadow_reason())};
    const int names = std::min(sample.requested_headers_size(),
                               static_cast<int>(engine::ShadowTally::kMaxSampleHeaderNames));
    record.requested_headers.assign(sample.requested_headers().begin(),
                                    sample.requested_headers().begin() + names);
    tally->AddSample(std::move(record));
  }
}

}  // namespace corsd
