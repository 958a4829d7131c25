#include "service/server/refusal_audit_limiter.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::server {

RefusalAdmission RefusalAuditLimiter::Admit(absl::string_view peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  RefusalAdmission admission;
  // A wall clock stepped back starts a new window too: otherwise the window
  // would stay full until the clock caught up again.
  if (now < window_start_ || now - window_start_ >= absl::Seconds(1)) {
    admission.unaudited_before = unaudited_;
    window_start_ = now;
    total_ = 0;
    unaudited_ = 0;
    per_peer_.clear();
  }
  auto admit = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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
  };
  admission.audit = admit();
  if (!admission.audit) ++unaudited_;
  return admission;
}

std::string PeerNetwork(absl::string_view grpc_peer) {
  // "ipv4:A.B.C.D:port", "ipv6:[addr]:port" (gRPC may percent-encode the
  // brackets); anything unparsable is its own key.
  const bool v4 = absl::StartsWith(grpc_peer, "ipv4:");
  const bool v6 = absl::StartsWith(grpc_peer, "ipv6:");
  if (!v4 && !v6) return std::string(grpc_peer);
  std::string host(grpc_peer.substr(5));
  if (v6) {
    for (auto [encoded, plain] : {std::pair{"%5B", "["}, std::pair{"%5D", "]"}}) {
      if (size_t at = host.find(encoded); at != std::string::npos) host.replace(at, 3, plain);
    }
    if (host.empty() || host.front() != '[') return std::string(grpc_peer);
    const size_t close = host.find(']');
    if (close == std::string::npos) return std::string(grpc_peer);
    host = host.substr(1, close - 1);
    if (size_t zone = host.find('%'); zone != std::string::npos) host.resize(zone);
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, host.c_str(), bytes) != 1) return std::string(grpc_peer);
    std::memset(bytes + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes, text, sizeof(text));
    return absl::StrCat("ipv6:", text, "/64");
  }
  if (size_t colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  unsigned char bytes[4];
  if (inet_pton(AF_INET, host.c_str(), bytes) != 1) return std::string(grpc_peer);
  return absl::StrCat("ipv4:", bytes[0], ".", bytes[1], ".", bytes[2], ".0/24");
}

}  // namespace corsd::server
