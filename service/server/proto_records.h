// Store records -> corsd.v1 messages, for admin responses and watch events.
#ifndef CORSD_SERVICE_SERVER_PROTO_RECORDS_H_
#define CORSD_SERVICE_SERVER_PROTO_RECORDS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "corsd/v1/corsd.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "service/convert/time_convert.h"
#include "service/store/store_types.h"

namespace corsd::server {

void ToTenantProto(const store::TenantRecord& record, v1::Tenant* out);
// Fails with DATA_LOSS if the stored policy bytes do not parse.
absl::Status ToPolicyVersionProto(const store::PolicyRevisionRecord& record,
                                  v1::PolicyVersion* out);
// The same from a record whose policy the caller holds parsed already (a
// write that just stored it), with its resolved form (null = none): the
// record's policy bytes are not read.
v1::PolicyVersion ToPolicyVersionProto(const store::PolicyRevisionRecord& record,
                                       const v1::Policy& policy, const v1::Policy* resolved);
// Fails with DATA_LOSS if the stored policy bytes do not parse.
absl::Status ToShadowPolicyProto(const store::ShadowPolicyRecord& record, v1::ShadowPolicy* out);
void ToOriginSetProto(const store::OriginSetRecord& record, v1::OriginSet* out);
void ToAuditEventProto(const store::AuditRecord& record, v1::AuditEvent* out);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_PROTO_RECORDS_H_
