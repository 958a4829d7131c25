// Which refused admin calls get an audit row: a few per peer per second, a
// few dozen in all, with memory bounded however many peers there are.
#include "service/server/refusal_audit_limiter.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd::server {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

int Admitted(RefusalAuditLimiter& limiter, absl::string_view peer, int calls, absl::Time now) {
  int admitted = 0;
  for (int i = 0; i < calls; ++i) admitted += limiter.Admit(peer, now) ? 1 : 0;
  return admitted;
}

TEST(RefusalAuditLimiter, OnePeerGetsAFewRowsPerSecond) {
  RefusalAuditLimiter limiter;
  EXPECT_EQ(Admitted(limiter, "ipv4:10.0.0.1", 1000, kStart),
            RefusalAuditLimiter::kPerPeerPerSecond);
  EXPECT_EQ(Admitted(limiter, "ipv4:10.0.0.1", 1000, kStart + absl::Milliseconds(999)), 0);
  EXPECT_EQ(Admitted(limiter, "ipv4:10.0.0.1", 1000, kStart + absl::Seconds(1)),
            RefusalAuditLimiter::kPerPeerPerSecond)
      << "a new second, a new allowance";
}

TEST(RefusalAuditLimiter, AClockSteppedBackStartsANewWindow) {
  RefusalAuditLimiter limiter;
  EXPECT_EQ(Admitted(limiter, "ipv4:10.0.0.1", 1000, kStart),
            RefusalAuditLimiter::kPerPeerPerSecond);
  EXPECT_EQ(Admitted(limiter, "ipv4:10.0.0.1", 1000, kStart - absl::Minutes(10)),
            RefusalAuditLimiter::kPerPeerPerSecond)
      << "an NTP step back must not freeze auditing for ten minutes";
}

TEST(RefusalAuditLimiter, ANoisyPeerDoesNotCrowdOutAnother) {
  RefusalAuditLimiter limiter;
  Admitted(limiter, "ipv4:10.0.0.1", 1000, kStart);
  EXPECT_EQ(Admitted(limiter, "ipv4:10.0.0.2", 1, kStart), 1);
}

TEST(RefusalAuditLimiter, ManyPeersShareOneCeiling) {
  RefusalAuditLimiter limiter;
  int admitted = 0;
  for (int peer = 0; peer < 100'000; ++peer) {
    admitted +=
        Admitted(limiter, absl::StrCat("ipv4:10.0.", peer / 256, ".", peer % 256), 1, kStart);
  }
  EXPECT_EQ(admitted, RefusalAuditLimiter::kTotalPerSecond);
}

TEST(PeerAddress, DropsTheSourcePort) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:53122"), "ipv4:127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:4000"), "ipv6:[::1]");
  EXPECT_EQ(PeerAddress("ipv6:%5B::1%5D:4000"), "ipv6:%5B::1%5D");
  EXPECT_EQ(PeerAddress("unix:/run/corsd.sock"), "unix:/run/corsd.sock");
  EXPECT_EQ(PeerAddress("ipv6:[::1]"), "ipv6:[::1]");
}

}  // namespace
}  // namespace corsd::server
