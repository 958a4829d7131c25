// Shadow counts and samples between the engine (ShadowTally) and corsd.v1
// (ShadowReport, ReportShadowCountsRequest). The server's report and the
// client's ReportShadowCounts both go through here.
#ifndef CORSD_SERVICE_CONVERT_SHADOW_CONVERT_H_
#define CORSD_SERVICE_CONVERT_SHADOW_CONVERT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "corsd/v1/corsd.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "service/engine/shadow_policy.h"

namespace corsd {

void AppendShadowCounts(const std::vector<engine::ShadowCountRow>& rows,
                        google::protobuf::RepeatedPtrField<v1::ShadowCount>* out);
void AppendShadowSamples(const std::vector<engine::ShadowSampleRecord>& samples,
                         google::protobuf::RepeatedPtrField<v1::ShadowSample>* out);

// `shadow` as the decision path holds it, deciding with its resolved policy
// when it has one. `serving` (may be null) is returned as is when it is the
// same shadow (same updated_at) with the same content, so its tally keeps
// counting across host changes, new active revisions and reloads; the same
// shadow resolved again (an origin-set change) is compiled again and keeps
// the tally; any other shadow is compiled with a new tally.
// Null, with the reason in `*error` when given, when this build cannot
// compile it.
std::shared_ptr<const engine::ShadowPolicy> ToShadowPolicy(
    const v1::ShadowPolicy& shadow, const std::shared_ptr<const engine::ShadowPolicy>& serving,
    std::string* error = nullptr);

// Adds counts and samples someone else made (a client's report) to `tally`.
// Enum values this build does not know and out-of-range counts are skipped;
// sample times are clamped to [earliest, latest] (a sample claiming to come
// from the future would otherwise stay among the newest for good); sample
// fields are cut as the tally cuts its own.
void AddToTally(const google::protobuf::RepeatedPtrField<v1::ShadowCount>& counts,
                const google::protobuf::RepeatedPtrField<v1::ShadowSample>& samples,
                absl::Time earliest, absl::Time latest, engine::ShadowTally* tally);

}  // namespace corsd

#endif  // CORSD_SERVICE_CONVERT_SHADOW_CONVERT_H_
