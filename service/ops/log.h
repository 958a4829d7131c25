// Structured logs: one JSON object per line on stderr, one line per event.
//
//   LogInfo("policy_written").Field("tenant", "shop").Field("revision", 4).Field("actor", label);
//   // {"ts":"2026-11-26T06:00:00.123Z","level":"info","event":"policy_written",
//   //  "tenant":"shop","revision":4,"actor":"ci"}
//
// The line is written when the temporary LogLine goes away (end of the
// statement), atomically with respect to other lines. Values are escaped, so
// untrusted input can never break a line or forge a field; never pass secrets
// (tokens are logged by label only).
//
// String values longer than kMaxLogValueBytes are cut (at a UTF-8 boundary,
// with the original size noted), so no caller-chosen field can make a line
// big: a refused call with a 15 MB tenant name logs about a kilobyte.
//
// The minimum level is process-wide, set once at start-up by main().
#ifndef CORSD_SERVICE_OPS_LOG_H_
#define CORSD_SERVICE_OPS_LOG_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace corsd::ops {

inline constexpr size_t kMaxLogValueBytes = 1024;

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetMinLogLevel(LogLevel level);
bool ParseLogLevel(absl::string_view name, LogLevel* level);

class LogLine {
 public:
  LogLine(LogLevel level, absl::string_view event);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& Field(absl::string_view key, absl::string_view value);
  LogLine& Field(absl::string_view key, const char* value) {
    return Field(key, absl::string_view(value));
  }
  LogLine& Field(absl::string_view key, const std::string& value) {
    return Field(key, absl::string_view(value));
  }
  LogLine& Field(absl::string_view key, int64_t value);
  LogLine& Field(absl::string_view key, int value) { return Field(key, int64_t{value}); }
  LogLine& Field(absl::string_view key, uint64_t value);
  LogLine& Field(absl::string_view key, double value);
  LogLine& Field(absl::string_view key, bool value);
  LogLine& Field(absl::string_view key, absl::Duration value);  // as milliseconds

 private:
  bool enabled_;
  std::string line_;
};

inline LogLine LogDebug(absl::string_view event) { return LogLine(LogLevel::kDebug, event); }
inline LogLine LogInfo(absl::string_view event) { return LogLine(LogLevel::kInfo, event); }
inline LogLine LogWarning(absl::string_view event) { return LogLine(LogLevel::kWarning, event); }
inline LogLine LogError(absl::string_view event) { return LogLine(LogLevel::kError, event); }

// JSON string escaping (without the quotes); bytes that are not valid UTF-8
// come out as \u00XX so the line stays valid JSON.
void AppendJsonEscaped(absl::string_view value, std::string* out);

}  // namespace corsd::ops

#endif  // CORSD_SERVICE_OPS_LOG_H_
