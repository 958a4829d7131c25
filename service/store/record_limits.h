// Limits on what the admin API stores, in one place so that handlers,
// validation messages, docs and tests agree. (Limits on policies, tenant
// names and hosts are the engine's: service/engine/limits.h.)
#ifndef CORSD_SERVICE_STORE_RECORD_LIMITS_H_
#define CORSD_SERVICE_STORE_RECORD_LIMITS_H_

#include <cstddef>

namespace corsd::store {

// A tenant's description and a policy revision's comment.
inline constexpr size_t kMaxDescriptionBytes = 1024;
inline constexpr size_t kMaxCommentBytes = 1024;
// A stored policy (its deterministic serialization). Every reply that carries
// a policy must fit the admin port's 16 MiB message limit: a PutPolicy or
// GetPolicy answer, a watch event (plus up to 256 hosts), and a page of
// revisions, which holds at most kMaxRevisionPageBytes of policies or a
// single revision. 8 MiB holds 100,000 origins of 80 bytes.
inline constexpr size_t kMaxStoredPolicyBytes = 8 << 20;
inline constexpr size_t kMaxRevisionPageBytes = 8 << 20;
// A tenant's current policy and its shadow together: a watch event carries
// both, and must fit the 16 MiB message limit with its hosts.
inline constexpr size_t kMaxPolicyAndShadowBytes = 15 << 20;
// Every text field of an audit row is cut to this many bytes (at a UTF-8
// boundary, with a note of the original size) before it is stored: audit rows
// record refused calls too, whose fields an unauthenticated caller chooses.
// Four such fields keep a row under 5 KiB, so a page of kMaxPageSize rows
// stays far below the admin port's message limit.
inline constexpr size_t kMaxAuditFieldBytes = 1024;

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_RECORD_LIMITS_H_
