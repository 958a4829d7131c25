// A tenant's shadow policy as the decision path holds it: the compiled
// candidate, which shadow it is, and the tally of what it decided.
//
// While a tenant has a shadow, every decision for it is also made with the
// shadow (see shadow_recorder.h, which does that off the caller's path) and
// counted here by (active verdict, shadow verdict, shadow reason),
// agreements included; the newest disagreements are kept as samples. The
// tally belongs to the shadow, not to a TenantSnapshot: a host change or a
// new active revision keeps counting into the same tally, a new shadow
// starts a new one.
//
//   auto shadow = std::make_shared<const ShadowPolicy>(ShadowPolicy{
//       .policy = compiled, .updated_at_us = 1700000000000000,
//       .tally = std::make_shared<ShadowTally>()});
//   shadow->tally->Count(Verdict::kAllow, Verdict::kDeny, Reason::kOriginNotAllowed);
//   for (const ShadowCountRow& row : shadow->tally->Counts()) ...
//
// Thread-safe: counting is lock-free; samples take a mutex.
#ifndef CORSD_SERVICE_ENGINE_SHADOW_POLICY_H_
#define CORSD_SERVICE_ENGINE_SHADOW_POLICY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/verdict.h"

namespace corsd::engine {

struct ShadowCountRow {
  Verdict active = Verdict::kDeny;
  Verdict shadow = Verdict::kDeny;
  Reason shadow_reason = Reason::kMalformedRequest;
  int64_t count = 0;

  bool operator==(const ShadowCountRow&) const = default;
};

// One request on which the active policy and the shadow disagreed. No header
// values and no query: only what says which request it was.
struct ShadowSampleRecord {
  absl::Time time;
  std::string origin;
  std::string method;
  std::string path;
  std::vector<std::string> requested_headers;  // names from Access-Control-Request-Headers
  Verdict active_verdict = Verdict::kDeny;
  Reason active_reason = Reason::kMalformedRequest;
  Verdict shadow_verdict = Verdict::kDeny;
  Reason shadow_reason = Reason::kMalformedRequest;
};

class ShadowTally {
 public:
  static constexpr size_t kMaxSamples = 100;
  // Each text field of a sample is cut to this many bytes, and its
  // requested header names to kMaxSampleHeaderNames.
  static constexpr size_t kMaxSampleFieldBytes = 1024;
  static constexpr size_t kMaxSampleHeaderNames = 64;
  // One Count call adds at most this much (a client's report is input): the
  // counters cannot overflow in any plausible lifetime of a shadow.
  static constexpr int64_t kMaxCountPerCall = int64_t{1} << 40;

  ShadowTally() = default;
  ShadowTally(const ShadowTally&) = delete;
  ShadowTally& operator=(const ShadowTally&) = delete;

  // Values out of range (unknown enums, n <= 0 or over kMaxCountPerCall) are
  // not counted.
  void Count(Verdict active, Verdict shadow, Reason shadow_reason, int64_t n = 1);
  // Keeps the kMaxSamples newest by time; fields are cut to their limits
  // (at a UTF-8 boundary, malformed UTF-8 replaced); samples with unknown
  // enum values are dropped.
  void AddSample(ShadowSampleRecord sample);

  // Every non-zero count, in a fixed order (by active, shadow, reason).
  std::vector<ShadowCountRow> Counts() const;
  // The same, setting each count back to zero: what was counted since the
  // last call (a client reporting deltas).
  std::vector<ShadowCountRow> TakeCounts();
  // Newest first.
  std::vector<ShadowSampleRecord> Samples() const;
  // Samples added since the last call, newest first; the tally keeps them.
  std::vector<ShadowSampleRecord> TakeNewSamples();

 private:
  // Indexed by the enums' values (Verdict 1..3, Reason 1..7); 0 unused.
  static constexpr size_t kVerdicts = 4;
  static constexpr size_t kReasons = 8;
  std::array<std::atomic<int64_t>, kVerdicts * kVerdicts * kReasons> counts_{};

  mutable absl::Mutex mu_;
  std::deque<ShadowSampleRecord> samples_ ABSL_GUARDED_BY(mu_);  // newest first
  size_t unsent_samples_ ABSL_GUARDED_BY(mu_) = 0;               // the newest this many are new
};

struct ShadowPolicy {
  std::shared_ptr<const CompiledPolicy> policy;  // never null
  // When the shadow was set (microseconds since the Unix epoch): which shadow
  // this is, and when its counts started.
  int64_t updated_at_us = 0;
  // Tells the same shadow resolved again (an origin-set change: same
  // updated_at, new origins) from the one compiled: the caller's hash of
  // what was compiled.
  size_t content_fingerprint = 0;
  std::shared_ptr<ShadowTally> tally;  // never null
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_SHADOW_POLICY_H_
