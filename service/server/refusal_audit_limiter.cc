#include "service/server/refusal_audit_limiter.h"

#include "absl/strings/match.h"

namespace corsd::server {

bool RefusalAuditLimiter::Admit(absl::string_view peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  // A wall clock stepped back starts a new window too: otherwise the window
  // would stay full until the clock caught up again.
  if (now < window_start_ || now - window_start_ >= absl::Seconds(1)) {
    window_start_ = now;
    total_ = 0;
    per_peer_.clear();
  }
  if (total_ >= kTotalPerSecond) return false;
  auto it = per_peer_.find(peer);
  if (it == per_peer_.end()) {
    if (per_peer_.size() >= kMaxPeersPerWindow) return false;
    it = per_peer_.emplace(std::string(peer), 0).first;
  }
  if (it->second >= kPerPeerPerSecond) return false;
  ++it->second;
  ++total_;
  return true;
}

absl::string_view PeerAddress(absl::string_view grpc_peer) {
  // Unix sockets and unknown forms have no port to drop.
  if (!absl::StartsWith(grpc_peer, "ipv4:") && !absl::StartsWith(grpc_peer, "ipv6:")) {
    return grpc_peer;
  }
  const size_t colon = grpc_peer.rfind(':');
  const size_t bracket = grpc_peer.rfind(']');
  if (colon <= 4 || (bracket != absl::string_view::npos && colon < bracket)) return grpc_peer;
  return grpc_peer.substr(0, colon);
}

}  // namespace corsd::server
