// RefusalAuditLimiter decides which refused admin calls get a durable audit
// row. Every refusal is logged and counted; the audit table, being durable
// (an fsync per row), only gets the first few per peer per second, and a few
// dozen per second in all, so a flood of bad tokens from one address or many
// is neither a flood of disk writes nor able to crowd out another peer's
// rows.
//
//   RefusalAuditLimiter limiter;
//   if (limiter.Admit(PeerAddress(context->peer()), absl::Now())) store->RecordAudit(...);
//
// Thread-safe. Memory is bounded: at most kMaxPeersPerWindow peers are
// tracked per one-second window; peers beyond that share the global budget
// only.
#ifndef CORSD_SERVICE_SERVER_REFUSAL_AUDIT_LIMITER_H_
#define CORSD_SERVICE_SERVER_REFUSAL_AUDIT_LIMITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace corsd::server {

class RefusalAuditLimiter {
 public:
  static constexpr int kPerPeerPerSecond = 5;
  static constexpr int kTotalPerSecond = 50;
  static constexpr size_t kMaxPeersPerWindow = 4096;

  // True when the refusal from `peer` at `now` should be audited.
  bool Admit(absl::string_view peer, absl::Time now);

 private:
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_peer_ ABSL_GUARDED_BY(mu_);
};

// "ipv4:10.0.0.7:53122" -> "ipv4:10.0.0.7", "ipv6:[::1]:4000" -> "ipv6:[::1]":
// a peer is an address, whatever source port each connection uses.
absl::string_view PeerAddress(absl::string_view grpc_peer);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_REFUSAL_AUDIT_LIMITER_H_
