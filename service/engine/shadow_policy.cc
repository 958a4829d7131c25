#include "service/engine/shadow_policy.h"

#include <algorithm>
#include <utility>

#include "service/common/utf8.h"

namespace corsd::engine {
namespace {

size_t Index(Verdict active, Verdict shadow, Reason reason) {
  return (static_cast<size_t>(active) * 4 + static_cast<size_t>(shadow)) * 8 +
         static_cast<size_t>(reason);
}

bool InRange(Verdict verdict) {
  return static_cast<int>(verdict) >= 1 && static_cast<int>(verdict) <= 3;
}
bool InRange(Reason reason) {
  return static_cast<int>(reason) >= 1 && static_cast<int>(reason) <= 7;
}

// Cut at a character boundary, and malformed UTF-8 replaced: a sample goes
// into a protobuf string (which must be UTF-8) and onto operators' screens.
void Cut(std::string* text) {
  if (text->size() > ShadowTally::kMaxSampleFieldBytes) {
    text->resize(Utf8PrefixBytes(*text, ShadowTally::kMaxSampleFieldBytes));
  }
  if (!IsValidUtf8(*text)) *text = ReplaceMalformedUtf8(*text, '?');
}

// Every key with a non-zero `read(index)`, in a fixed order.
template <typename Read>
std::vector<ShadowCountRow> CollectCounts(Read read) {
  std::vector<ShadowCountRow> rows;
  for (int active = 1; active <= 3; ++active) {
    for (int shadow = 1; shadow <= 3; ++shadow) {
      for (int reason = 1; reason <= 7; ++reason) {
        const ShadowCountRow key{.active = static_cast<Verdict>(active),
                                 .shadow = static_cast<Verdict>(shadow),
                                 .shadow_reason = static_cast<Reason>(reason)};
        const int64_t n = read(Index(key.active, key.shadow, key.shadow_reason));
        if (n == 0) continue;
        ShadowCountRow& row = rows.emplace_back(key);
        row.count = n;
      }
    }
  }
  return rows;
}

}  // namespace

void ShadowTally::Count(Verdict active, Verdict shadow, Reason shadow_reason, int64_t n) {
  // Counts from a client are input: values this build does not know are
  // not counted.
  if (!InRange(active) || !InRange(shadow) || !InRange(shadow_reason) || n <= 0 ||
      n > kMaxCountPerCall) {
    return;
  }
  counts_[Index(active, shadow, shadow_reason)].fetch_add(n, std::memory_order_relaxed);
}

void ShadowTally::AddSample(ShadowSampleRecord sample) {
  if (!InRange(sample.active_verdict) || !InRange(sample.shadow_verdict) ||
      !InRange(sample.active_reason) || !InRange(sample.shadow_reason)) {
    return;  // from a client: values this build does not know
  }
  Cut(&sample.origin);
  Cut(&sample.method);
  Cut(&sample.path);
  if (sample.requested_headers.size() > kMaxSampleHeaderNames) {
    sample.requested_headers.resize(kMaxSampleHeaderNames);
  }
  for (std::string& name : sample.requested_headers) Cut(&name);
  absl::MutexLock lock(&mu_);
  // Usually the newest; samples from a client's report may be older.
  auto at = std::find_if(samples_.begin(), samples_.end(),
                         [&](const ShadowSampleRecord& s) { return s.time <= sample.time; });
  if (at == samples_.end() && samples_.size() >= kMaxSamples) return;  // older than all kept
  const size_t position = static_cast<size_t>(at - samples_.begin());
  samples_.insert(at, std::move(sample));
  if (position <= unsent_samples_) ++unsent_samples_;
  if (samples_.size() > kMaxSamples) samples_.pop_back();
  unsent_samples_ = std::min(unsent_samples_, samples_.size());
}

std::vector<ShadowCountRow> ShadowTally::Counts() const {
  return CollectCounts([&](size_t i) { return counts_[i].load(std::memory_order_relaxed); });
}

std::vector<ShadowCountRow> ShadowTally::TakeCounts() {
  return CollectCounts([&](size_t i) { return counts_[i].exchange(0, std::memory_order_relaxed); });
}

std::vector<ShadowSampleRecord> ShadowTally::Samples() const {
  absl::MutexLock lock(&mu_);
  return {samples_.begin(), samples_.end()};
}

std::vector<ShadowSampleRecord> ShadowTally::TakeNewSamples() {
  absl::MutexLock lock(&mu_);
  std::vector<ShadowSampleRecord> fresh(samples_.begin(),
                                        samples_.begin() + static_cast<long>(unsent_samples_));
  unsent_samples_ = 0;
  return fresh;
}

}  // namespace corsd::engine
