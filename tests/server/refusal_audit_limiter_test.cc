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
  for (int i = 0; i < calls; ++i) admitted += limiter.Admit(peer, now).audit ? 1 : 0;
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
    admitted += Admitted(
        limiter, PeerNetwork(absl::StrCat("ipv4:", peer / 256 % 256, ".", peer % 256, ".7.1:4000")),
        1, kStart);
  }
  EXPECT_EQ(admitted, RefusalAuditLimiter::kTotalPerSecond);
}

// Fifty addresses of one subnet are one network: together they get one
// network's rows, and a peer elsewhere is still audited.
TEST(RefusalAuditLimiter, ASubnetCannotExhaustTheCeilingAlone) {
  RefusalAuditLimiter limiter;
  int admitted = 0;
  for (int host = 1; host <= 200; ++host) {
    admitted += Admitted(limiter, PeerNetwork(absl::StrCat("ipv4:203.0.113.", host, ":5000")), 1000,
                         kStart);
  }
  EXPECT_EQ(admitted, RefusalAuditLimiter::kPerPeerPerSecond);
  for (int host = 1; host <= 200; ++host) {
    admitted += Admitted(limiter, PeerNetwork(absl::StrCat("ipv6:[2001:db8:0:7::", host, "]:5000")),
                         1000, kStart);
  }
  EXPECT_EQ(admitted, 2 * RefusalAuditLimiter::kPerPeerPerSecond);
  EXPECT_EQ(Admitted(limiter, PeerNetwork("ipv4:198.51.100.9:4000"), 1, kStart), 1)
      << "another network is still audited";
}

// What got no row of its own is counted, and reported once, in the next
// second's first admission (so the trail shows the flood).
TEST(RefusalAuditLimiter, UnauditedRefusalsAreReportedOnce) {
  RefusalAuditLimiter limiter;
  const std::string peer = PeerNetwork("ipv4:10.0.0.1:1");
  EXPECT_EQ(Admitted(limiter, peer, 1000, kStart), RefusalAuditLimiter::kPerPeerPerSecond);
  const RefusalAdmission next = limiter.Admit(peer, kStart + absl::Seconds(1));
  EXPECT_TRUE(next.audit);
  EXPECT_EQ(next.unaudited_before, 1000 - RefusalAuditLimiter::kPerPeerPerSecond);
  EXPECT_EQ(limiter.Admit(peer, kStart + absl::Seconds(1)).unaudited_before, 0);
  EXPECT_EQ(limiter.Admit(peer, kStart + absl::Seconds(3)).unaudited_before, 0)
      << "a second without drops reports nothing";
}

TEST(PeerNetwork, GroupsAddressesByNetwork) {
  EXPECT_EQ(PeerNetwork("ipv4:127.0.0.1:53122"), "ipv4:127.0.0.0/24");
  EXPECT_EQ(PeerNetwork("ipv4:10.1.2.3:1"), PeerNetwork("ipv4:10.1.2.200:2"));
  EXPECT_NE(PeerNetwork("ipv4:10.1.2.3:1"), PeerNetwork("ipv4:10.1.3.3:1"));
  EXPECT_EQ(PeerNetwork("ipv6:[::1]:4000"), "ipv6:::/64");
  EXPECT_EQ(PeerNetwork("ipv6:%5B2001:db8:1:2:3:4:5:6%5D:4000"), "ipv6:2001:db8:1:2::/64");
  EXPECT_EQ(PeerNetwork("ipv6:[fe80::1%eth0]:4000"), "ipv6:fe80::/64");
  EXPECT_EQ(PeerNetwork("unix:/run/corsd.sock"), "unix:/run/corsd.sock");
  EXPECT_EQ(PeerNetwork("ipv4:not-an-address:1"), "ipv4:not-an-address:1");
  EXPECT_EQ(PeerNetwork("ipv6:[::1"), "ipv6:[::1");
}

}  // namespace
}  // namespace corsd::server
