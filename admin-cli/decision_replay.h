// Replaying a decision log (corsd serve --decision-log) against a candidate
// policy: every logged request of one tenant is decided again, locally with
// the engine, and counted as a shadow report counts (logged verdict, candidate
// verdict, candidate reason), with the newest requests whose verdict changes
// as samples.
//
//   DecisionReplay replay(candidate, "shop");
//   ReadLogLines(file, [&](absl::string_view line) { return replay.AddLine(line); }, progress);
//   v1::ShadowReport report = replay.Report();
//
// Memory stays flat whatever the log's size: lines are read in bounded
// chunks, only counts and 100 samples are kept. Not thread-safe.
#ifndef CORSD_ADMIN_CLI_DECISION_REPLAY_H_
#define CORSD_ADMIN_CLI_DECISION_REPLAY_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/decision.h"

namespace corsd::cli {

// Lines longer than this are not decision-log lines: skipped (and counted).
// corsd's longest line (an 8 KiB path and 64 header names, every byte
// escaped) is well under it.
inline constexpr size_t kMaxDecisionLogLineBytes = 256 << 10;

class DecisionReplay {
 public:
  // `tenant` "" = the only tenant in the logs (a second one is an error).
  DecisionReplay(std::shared_ptr<const engine::CompiledPolicy> candidate, std::string tenant)
      : candidate_(std::move(candidate)),
        tenant_(std::move(tenant)),
        tenant_named_(!tenant_.empty()) {}

  // One line of a log. FAILED_PRECONDITION when the logs hold several
  // tenants and none was named; lines that do not parse are skipped.
  absl::Status AddLine(absl::string_view line);
  v1::ShadowReport Report() const;

  const std::string& tenant() const { return tenant_; }
  int64_t replayed() const { return replayed_; }
  int64_t skipped() const { return skipped_; }  // unreadable lines
  int64_t other_tenants() const { return other_tenants_; }

 private:
  const std::shared_ptr<const engine::CompiledPolicy> candidate_;
  std::string tenant_;
  const bool tenant_named_;
  std::map<std::tuple<int, int, int>, int64_t> counts_;
  std::deque<v1::ShadowSample> samples_;  // newest first
  int64_t replayed_ = 0;
  int64_t skipped_ = 0;
  int64_t other_tenants_ = 0;
  engine::Decision decision_;
};

// Calls `line` for each line of `path` (without its newline), reading in
// bounded chunks; lines over kMaxDecisionLogLineBytes are passed as "" (so
// they are skipped as unreadable). `progress(bytes_read, file_size)` is
// called about once a second. Stops at the first error `line` returns.
absl::Status ReadLogLines(const std::string& path,
                          const std::function<absl::Status(absl::string_view)>& line,
                          const std::function<void(int64_t, int64_t)>& progress);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_DECISION_REPLAY_H_
