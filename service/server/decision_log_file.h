// DecisionLogFile is `corsd serve --decision-log FILE`: sampled decisions as
// JSON lines, the input of `corsctl policy replay`. One line per decision:
//
//   {"time":"2026-12-02T22:30:01.123456Z","tenant":"shop","revision":7,
//    "origin":"https://app.example.com","method":"OPTIONS","path":"/items",
//    "kind":"PREFLIGHT","requested_method":"PUT","requested_headers":["content-type"],
//    "requested_private_network":false,"verdict":"ALLOW","reason":"ALLOWED"}
//
// No query, no header values but the requested method and header names.
// Decisions are buffered in memory (at most kMaxBufferedBytes; more is
// dropped and counted) and written by a background thread; when FILE would
// grow past max_bytes it is renamed to FILE.1 (replacing an older one) and a
// new FILE is started, so the log never takes more than twice max_bytes.
//
//   ASSIGN_OR_RETURN(auto log, DecisionLogFile::Open("/var/log/corsd/decisions.jsonl", 64 << 20));
//   log->Append(DecisionLogLine(tenant, request, decision, absl::Now()));
//
// Thread-safe: Append from any thread; it never waits for the disk.
#ifndef CORSD_SERVICE_SERVER_DECISION_LOG_FILE_H_
#define CORSD_SERVICE_SERVER_DECISION_LOG_FILE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/engine/cors_request.h"
#include "service/engine/decision.h"

namespace corsd::server {

class DecisionLogFile {
 public:
  static constexpr size_t kMaxBufferedBytes = 8 << 20;

  static absl::StatusOr<std::unique_ptr<DecisionLogFile>> Open(std::string path, int64_t max_bytes);
  // Writes what is buffered.
  ~DecisionLogFile();

  void Append(absl::string_view line);
  // Writes what is buffered now (tests, shutdown).
  void Flush();
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  DecisionLogFile(std::string path, int64_t max_bytes, int fd, int64_t size);
  void Run();
  // Writes `bytes`, rotating first when they would take the file past
  // max_bytes_. Writer only (write_mu_).
  void Write(const std::string& bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void Rotate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void WriteAll(absl::string_view bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::string path_;
  const int64_t max_bytes_;

  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> dropped_{0};

  absl::Mutex write_mu_;
  int fd_ ABSL_GUARDED_BY(write_mu_);
  int64_t size_ ABSL_GUARDED_BY(write_mu_);
  std::thread writer_;
};

// One line of the log (with its newline) for `decision` of `request` by
// `tenant`'s policy.
std::string DecisionLogLine(absl::string_view tenant, const engine::Request& request,
                            const engine::Decision& decision, absl::Time time);

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_DECISION_LOG_FILE_H_
