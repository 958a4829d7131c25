#include "service/engine/shadow_recorder.h"

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "service/engine/decision.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"

namespace corsd::engine {
namespace {

std::atomic<uint64_t> next_recorder_id{1};

// Only these request headers decide anything (cors_request.h).
constexpr absl::string_view kCorsRequestPrefix = "access-control-request-";

bool IsCorsRequestHeader(absl::string_view name) {
  return name.size() > kCorsRequestPrefix.size() &&
         EqualsLowercase(name.substr(0, kCorsRequestPrefix.size()), kCorsRequestPrefix);
}

// One recorded request: its text is bytes[begin, begin + size) of its batch,
// laid out as origin, method, path, then each copied header line as name
// and value; the lengths say where each ends.
struct Entry {
  const ShadowPolicy* shadow;
  uint32_t begin;
  uint32_t origin_size;
  uint32_t method_size;
  uint32_t path_size;
  uint32_t first_line;   // into Batch::line_sizes (name and value size per line)
  uint32_t line_count;   // header lines copied
  uint32_t other_lines;  // header lines not copied (they still count toward the line limit)
  Verdict active_verdict;
  Reason active_reason;
};

void Append(std::string* bytes, absl::string_view text) { bytes->append(text.data(), text.size()); }

std::vector<std::string> RequestedHeaderNames(const Request& request) {
  std::vector<std::string> names;
  for (const HeaderView& line : request.headers) {
    if (!EqualsLowercase(line.name, kRequestHeadersHeader)) continue;
    for (absl::string_view name : absl::StrSplit(line.value, ',')) {
      name = TrimOptionalWhitespace(name);
      if (name.empty()) continue;
      if (names.size() == ShadowTally::kMaxSampleHeaderNames) return names;
      names.push_back(absl::AsciiStrToLower(name));
    }
  }
  return names;
}

}  // namespace

struct ShadowRecorder::Batch {
  std::vector<Entry> entries;
  std::string bytes;
  std::vector<uint32_t> line_sizes;                       // name size, value size, per copied line
  std::vector<std::shared_ptr<const ShadowPolicy>> pins;  // keep every entry's shadow alive

  void Clear() {
    entries.clear();
    bytes.clear();
    line_sizes.clear();
    pins.clear();
  }
};

struct ShadowRecorder::Queue {
  absl::Mutex mu;
  Batch batch ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;    // its recorder is gone
  bool orphaned ABSL_GUARDED_BY(mu) = false;  // its thread is gone: drained once more, then freed
  // What the drain swaps in, cleared but with its memory kept, so the
  // thread refills buffers that are already allocated (and paged in).
  // Guarded by the recorder's drain_mu_.
  Batch spare;
};

ShadowRecorder::ShadowRecorder(Options options)
    : options_(options), id_(next_recorder_id.fetch_add(1)) {
  worker_ = std::thread([this] { Run(); });
}

ShadowRecorder::~ShadowRecorder() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  worker_.join();
  absl::MutexLock drain_lock(&drain_mu_);
  absl::MutexLock lock(&queues_mu_);
  for (const std::shared_ptr<Queue>& queue : queues_) {
    absl::MutexLock queue_lock(&queue->mu);
    queue->batch = Batch();  // the shadows it pinned go now
    queue->spare = Batch();
    queue->closed = true;
  }
}

namespace {

// A thread's queues, one per recorder it recorded for (usually one). When
// the thread exits, each is marked orphaned, so its recorder decides what
// is left and frees it: threads that come and go (gRPC's pools grow and
// shrink) do not leave queues behind.
template <typename Queue>
struct ThreadQueues {
  std::vector<std::pair<uint64_t, std::shared_ptr<Queue>>> list;
  ~ThreadQueues() {
    for (auto& [id, queue] : list) {
      absl::MutexLock lock(&queue->mu);
      queue->orphaned = true;
    }
  }
};

}  // namespace

ShadowRecorder::Queue* ShadowRecorder::ThreadQueue() {
  thread_local ThreadQueues<Queue> queues;
  for (const auto& [id, queue] : queues.list) {
    if (id == id_) return queue.get();
  }
  if (queues.list.size() >= 8) {
    // Forget queues of recorders that are gone (tests start many servers).
    std::erase_if(queues.list, [](const auto& entry) {
      absl::MutexLock lock(&entry.second->mu);
      return entry.second->closed;
    });
  }
  auto queue = std::make_shared<Queue>();
  {
    absl::MutexLock lock(&queues_mu_);
    queues_.push_back(queue);
  }
  queues.list.emplace_back(id_, queue);
  return queue.get();
}

size_t ShadowRecorder::thread_queues() const {
  absl::MutexLock lock(&queues_mu_);
  return queues_.size();
}

void ShadowRecorder::Record(const std::shared_ptr<const ShadowPolicy>& shadow,
                            const Request& request, Verdict active_verdict, Reason active_reason) {
  const absl::string_view path = request.path.substr(0, FindQueryOrFragment(request.path));
  // Hostile line counts are decided malformed whatever the policy; only the
  // count matters then, not the lines.
  const bool copy_lines = request.headers.size() <= kMaxRequestHeaderLines;
  size_t size = request.origin.size() + request.method.size() + path.size();
  if (copy_lines) {
    for (const HeaderView& line : request.headers) {
      if (IsCorsRequestHeader(line.name)) size += line.name.size() + line.value.size();
    }
  }
  Queue* queue = ThreadQueue();
  absl::MutexLock lock(&queue->mu);
  Batch& batch = queue->batch;
  if (batch.entries.size() >= options_.max_queued ||
      batch.bytes.size() + size > options_.max_queued_bytes) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (batch.pins.empty() || batch.pins.back().get() != shadow.get()) batch.pins.push_back(shadow);
  Entry entry{.shadow = shadow.get(),
              .begin = static_cast<uint32_t>(batch.bytes.size()),
              .origin_size = static_cast<uint32_t>(request.origin.size()),
              .method_size = static_cast<uint32_t>(request.method.size()),
              .path_size = static_cast<uint32_t>(path.size()),
              .first_line = static_cast<uint32_t>(batch.line_sizes.size() / 2),
              .line_count = 0,
              .other_lines = 0,
              .active_verdict = active_verdict,
              .active_reason = active_reason};
  Append(&batch.bytes, request.origin);
  Append(&batch.bytes, request.method);
  Append(&batch.bytes, path);
  if (copy_lines) {
    for (const HeaderView& line : request.headers) {
      if (!IsCorsRequestHeader(line.name)) {
        ++entry.other_lines;
        continue;
      }
      Append(&batch.bytes, line.name);
      Append(&batch.bytes, line.value);
      batch.line_sizes.push_back(static_cast<uint32_t>(line.name.size()));
      batch.line_sizes.push_back(static_cast<uint32_t>(line.value.size()));
      ++entry.line_count;
    }
  } else {
    // One over the limit decides the same as any number over it.
    entry.other_lines = static_cast<uint32_t>(kMaxRequestHeaderLines + 1);
  }
  batch.entries.push_back(entry);
}

void ShadowRecorder::Decide(const Batch& batch) {
  Decision decision;
  std::vector<HeaderView> lines;
  const absl::Time now = absl::Now();
  for (const Entry& entry : batch.entries) {
    absl::string_view text(batch.bytes.data() + entry.begin, batch.bytes.size() - entry.begin);
    auto take = [&text](size_t n) {
      absl::string_view part = text.substr(0, n);
      text.remove_prefix(n);
      return part;
    };
    Request request;
    request.origin = take(entry.origin_size);
    request.method = take(entry.method_size);
    request.path = take(entry.path_size);
    lines.clear();
    for (uint32_t i = 0; i < entry.line_count; ++i) {
      const size_t at = 2 * (entry.first_line + i);
      const absl::string_view name = take(batch.line_sizes[at]);
      lines.push_back({name, take(batch.line_sizes[at + 1])});
    }
    // The other lines decide nothing but count toward the line limit.
    lines.resize(lines.size() + entry.other_lines);
    request.headers = lines;
    engine::Decide(*entry.shadow->policy, request, DecideOptions{}, &decision);
    entry.shadow->tally->Count(entry.active_verdict, decision.verdict, decision.reason);
    if (decision.verdict != entry.active_verdict) {
      entry.shadow->tally->AddSample({.time = now,
                                      .origin = std::string(request.origin),
                                      .method = std::string(request.method),
                                      .path = std::string(request.path),
                                      .requested_headers = RequestedHeaderNames(request),
                                      .active_verdict = entry.active_verdict,
                                      .active_reason = entry.active_reason,
                                      .shadow_verdict = decision.verdict,
                                      .shadow_reason = decision.reason});
    }
  }
  decided_.fetch_add(static_cast<int64_t>(batch.entries.size()), std::memory_order_relaxed);
}

void ShadowRecorder::Drain() {
  absl::MutexLock drain_lock(&drain_mu_);
  std::vector<std::shared_ptr<Queue>> queues;
  {
    absl::MutexLock lock(&queues_mu_);
    queues = queues_;
  }
  bool orphans = false;
  for (const std::shared_ptr<Queue>& queue : queues) {
    {
      absl::MutexLock lock(&queue->mu);
      orphans |= queue->orphaned;
      if (queue->batch.entries.empty()) continue;
      std::swap(queue->spare, queue->batch);
    }
    Decide(queue->spare);
    queue->spare.Clear();
  }
  if (!orphans) return;
  // Their threads are gone, so nothing was added since they were drained.
  absl::MutexLock lock(&queues_mu_);
  std::erase_if(queues_, [](const std::shared_ptr<Queue>& queue) {
    absl::MutexLock queue_lock(&queue->mu);
    return queue->orphaned && queue->batch.entries.empty();
  });
}

void ShadowRecorder::Flush() { Drain(); }

void ShadowRecorder::Run() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval);
      if (stopping_) return;
    }
    Drain();
  }
}

}  // namespace corsd::engine
