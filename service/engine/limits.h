// Limits on what corsd accepts, in one place so that docs, validation messages
// and tests agree.
//
// Request-side limits bound attacker-controlled input on the Check path: a
// request beyond any of them is answered DENY with reason MALFORMED_REQUEST,
// never with unbounded work or memory. Policy-side limits bound what an
// operator can store; a policy beyond them is rejected with a violation that
// names the limit.
#ifndef CORSD_SERVICE_ENGINE_LIMITS_H_
#define CORSD_SERVICE_ENGINE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace corsd::engine {

// --- Check requests -------------------------------------------------------
// A serialized origin is scheme + host (<= 253 bytes) + port; 1 KiB is
// generous for any real browser and small enough to hash cheaply.
inline constexpr size_t kMaxOriginBytes = 1024;
inline constexpr size_t kMaxMethodBytes = 64;
inline constexpr size_t kMaxPathBytes = 8 * 1024;
// Header lines the caller may pass; only the Access-Control-Request-* ones
// are read, but every entry is looked at once.
inline constexpr size_t kMaxRequestHeaderLines = 1024;
// Access-Control-Request-Headers: names and bytes over all lines combined.
inline constexpr size_t kMaxRequestedHeaderNames = 64;
inline constexpr size_t kMaxRequestedHeaderBytes = 8 * 1024;

// A Host header / :authority naming the tenant: a host name (<= 253 bytes)
// with a port, and room to spare.
inline constexpr size_t kMaxRequestHostBytes = 300;

// --- Tenants --------------------------------------------------------------
// Tenant names: 1-63 bytes of [a-z0-9-] (a DNS label's length).
inline constexpr size_t kMaxTenantNameBytes = 63;
inline constexpr size_t kMaxHostsPerTenant = 256;

// --- Policies -------------------------------------------------------------
inline constexpr size_t kMaxRules = 256;
inline constexpr size_t kMaxOriginsPerPolicy = 100'000;
// A shared origin set (`@NAME` in allowed_origins).
inline constexpr size_t kMaxOriginsPerSet = 100'000;
inline constexpr size_t kMaxOriginPatternBytes = kMaxOriginBytes;
inline constexpr size_t kMaxPathPrefixBytes = 1024;
inline constexpr size_t kMaxMethodsPerRule = 64;
inline constexpr size_t kMaxHeaderNamesPerRule = 256;
inline constexpr size_t kMaxHeaderNameBytes = 256;
inline constexpr int32_t kMaxMaxAgeSeconds = 86'400;
// A policy's own tests (policy_tests.h).
inline constexpr size_t kMaxPolicyTests = 1000;
inline constexpr size_t kMaxPolicyTestNameBytes = 128;
// More expected headers than one answer can carry can never all be present.
inline constexpr size_t kMaxPolicyTestExpectedHeaders = 16;
// The explain trace quoted in a failing test's violation.
inline constexpr size_t kMaxPolicyTestTraceBytes = 1024;
// Diagnostics kept per validation: every violation is counted, the first
// kMaxReportedViolations are listed (and as many warnings), so a policy with
// millions of bad entries costs kilobytes to report, not gigabytes.
inline constexpr size_t kMaxReportedViolations = 1000;
inline constexpr size_t kMaxReportedWarnings = 1000;
// Chromium caps preflight caching at two hours; longer values are legal but
// only Firefox honours them.
inline constexpr int32_t kChromiumMaxAgeCapSeconds = 7'200;

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_LIMITS_H_
