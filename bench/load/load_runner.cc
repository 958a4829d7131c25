#include "bench/load/load_runner.h"

#include <sys/prctl.h>

#include <atomic>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace corsd::bench {
namespace {

// Open loop gives up issuing beyond this many calls in flight: the server is
// not keeping up, and more would only measure our own queue.
constexpr int64_t kMaxOutstanding = 50'000;

// Shared by every call of one run.
struct RunState {
  LatencyHistogram* histogram;
  absl::Mutex mu;
  std::map<int, uint64_t> status_counts ABSL_GUARDED_BY(mu);
  std::map<std::string, uint64_t> labels ABSL_GUARDED_BY(mu);
  std::atomic<int64_t> issued{0};
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> outstanding{0};

  void Record(absl::Time due, int status, const std::string& label) {
    histogram->Record(absl::Now() - due);
    {
      absl::MutexLock lock(&mu);
      ++status_counts[status];
      if (!label.empty()) ++labels[label];
    }
    completed.fetch_add(1, std::memory_order_relaxed);
  }
  // Last thing a completion does (after starting any successor), so the run
  // cannot end while a call is being started.
  void Finish() { outstanding.fetch_sub(1, std::memory_order_acq_rel); }
};

LoadResult Summarize(const std::string& name, RunState& state, absl::Duration elapsed) {
  LoadResult result;
  result.name = name;
  result.completed = static_cast<uint64_t>(state.completed.load());
  result.elapsed = elapsed;
  result.throughput = result.completed / absl::ToDoubleSeconds(elapsed);
  const LatencyHistogram& h = *state.histogram;
  result.p50 = h.Percentile(50);
  result.p90 = h.Percentile(90);
  result.p99 = h.Percentile(99);
  result.p999 = h.Percentile(99.9);
  result.max = h.Max();
  result.mean = h.Mean();
  absl::MutexLock lock(&state.mu);
  result.status_counts = state.status_counts;
  result.labels = state.labels;
  return result;
}

void WaitForOutstanding(RunState& state) {
  while (state.outstanding.load(std::memory_order_acquire) > 0) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace

void LoadResult::Merge(const LoadResult& other, const LatencyHistogram& merged) {
  completed += other.completed;
  elapsed += other.elapsed;
  throughput = completed / absl::ToDoubleSeconds(elapsed);
  for (const auto& [code, n] : other.status_counts) status_counts[code] += n;
  for (const auto& [label, n] : other.labels) labels[label] += n;
  overloaded = overloaded || other.overloaded;
  p50 = merged.Percentile(50);
  p90 = merged.Percentile(90);
  p99 = merged.Percentile(99);
  p999 = merged.Percentile(99.9);
  max = merged.Max();
  mean = merged.Mean();
}

LoadResult RunLoad(const std::string& name, const AsyncCall& call, const LoadOptions& options,
                   LatencyHistogram* histogram) {
  auto state = std::make_shared<RunState>();
  state->histogram = histogram;
  const absl::Time start = absl::Now();
  const absl::Time end = start + options.duration;
  const int64_t requests = options.requests;
  auto more = [requests, end, state]() {
    if (requests > 0) return state->issued.fetch_add(1) < requests;
    state->issued.fetch_add(1);
    return absl::Now() < end;
  };

  if (options.rps > 0) {
    // The default 50 us timer slack would make every sleep overshoot and
    // count as latency; ask the kernel for precise wake-ups instead.
    prctl(PR_SET_TIMERSLACK, 1UL);
    const absl::Duration interval = absl::Seconds(1) / options.rps;
    bool overloaded = false;
    for (int64_t i = 0;; ++i) {
      const absl::Time due = start + interval * i;
      if (options.requests > 0 ? i >= options.requests : due >= end) break;
      const absl::Time now = absl::Now();
      if (due > now) absl::SleepFor(due - now);
      if (state->outstanding.load() >= kMaxOutstanding) {
        overloaded = true;
        break;
      }
      state->issued.fetch_add(1);
      state->outstanding.fetch_add(1);
      call([state, due](int status, const std::string& label) {
        state->Record(due, status, label);
        state->Finish();
      });
    }
    WaitForOutstanding(*state);
    LoadResult result = Summarize(name, *state, absl::Now() - start);
    result.overloaded = overloaded;
    return result;
  }

  // Closed loop: each chain starts its next call from the previous one's
  // completion.
  auto chain = std::make_shared<std::function<void()>>();
  *chain = [state, call, more, chain_weak = std::weak_ptr<std::function<void()>>(chain)]() {
    if (!more()) return;
    state->outstanding.fetch_add(1);
    const absl::Time due = absl::Now();
    call([state, due, chain_weak](int status, const std::string& label) {
      state->Record(due, status, label);
      if (auto next = chain_weak.lock()) (*next)();
      state->Finish();
    });
  };
  for (int i = 0; i < options.concurrency; ++i) (*chain)();
  while (absl::Now() < end && (options.requests == 0 || state->issued.load() < options.requests)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  WaitForOutstanding(*state);
  const absl::Duration elapsed = absl::Now() - start;
  chain.reset();
  return Summarize(name, *state, elapsed);
}

}  // namespace corsd::bench
