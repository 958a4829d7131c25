// RefusalAuditLimiter decides which refused admin calls get a durable audit
// row. Every refusal is logged and counted; the audit table, being durable
// (an fsync per row), only gets the first few per network per second and a
// few dozen per second in all, plus one summary row for each second in which
// refusals went unaudited. So a flood of bad tokens, from one address or a
// whole subnet, is neither a flood of disk writes nor silent in the trail.
//
//   RefusalAuditLimiter limiter;
//   RefusalAdmission a = limiter.Admit(PeerNetwork(context->peer()), absl::Now());
//   if (a.unaudited_before > 0) store->RecordAudit(summary of the last window);
//   if (a.audit) store->RecordAudit(...);
//
// Thread-safe. Memory is bounded: at most kMaxPeersPerWindow networks are
// tracked per one-second window; networks beyond that share the global
// budget only.
#ifndef CORSD_SERVICE_SERVER_REFUSAL_AUDIT_LIMITER_H_
#define CORSD_SERVICE_SERVER_REFUSAL_AUDIT_LIMITER_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace corsd::server {

struct RefusalAdmission {
  bool audit = false;  // write this refusal's audit row
  // Refusals of the previous window that got no row of their own (reported
  // once, by the first Admit of a later window).
  int64_t unaudited_before = 0;
};

class RefusalAuditLimiter {
 public:
  static constexpr int kPerPeerPerSecond = 5;
  static constexpr int kTotalPerSecond = 50;
  static constexpr size_t kMaxPeersPerWindow = 4096;

  // `peer` is a PeerNetwork().
  RefusalAdmission Admit(absl::string_view peer, absl::Time now);

 private:
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t unaudited_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_peer_ ABSL_GUARDED_BY(mu_);
};

// The network a gRPC peer is in, as one limiter key: an IPv4 /24 or an IPv6
// /64 ("ipv4:10.0.0.7:53122" -> "ipv4:10.0.0.0/24", "ipv6:[2001:db8::1]:80"
// -> "ipv6:2001:db8::/64"), since one party usually holds a whole such block
// and could otherwise spread its refusals over its addresses. Anything else
// (Unix sockets) is kept as it is.
std::string PeerNetwork(absl::string_view grpc_peer);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_REFUSAL_AUDIT_LIMITER_H_
