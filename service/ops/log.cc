#include "service/ops/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "service/common/utf8.h"

namespace corsd::ops {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetMinLogLevel(LogLevel level) { min_level.store(static_cast<int>(level)); }

bool ParseLogLevel(absl::string_view name, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (name == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void AppendJsonEscaped(absl::string_view value, std::string* out) {
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(out, absl::StrFormat("\\u%04x", c));
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (size_t n = Utf8SequenceLength(value, i); n > 0) {
      out->append(value.data() + i, n);
      i += n - 1;
    } else {
      absl::StrAppend(out, absl::StrFormat("\\u%04x", c));
    }
  }
}

LogLine::LogLine(LogLevel level, absl::string_view event)
    : enabled_(static_cast<int>(level) >= min_level.load(std::memory_order_relaxed)) {
  if (!enabled_) return;
  absl::StrAppend(&line_, "{\"ts\":\"",
                  absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                  "\",\"level\":\"", LevelName(level), "\",\"event\":\"");
  AppendJsonEscaped(event, &line_);
  line_.push_back('"');
}

LogLine::~LogLine() {
  if (!enabled_) return;
  line_.append("}\n");
  // One write(2) per line: lines from different threads never interleave.
  const char* data = line_.data();
  size_t left = line_.size();
  while (left > 0) {
    ssize_t n = write(STDERR_FILENO, data, left);
    if (n <= 0) break;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

LogLine& LogLine::Field(absl::string_view key, absl::string_view value) {
  if (!enabled_) return *this;
  line_.append(",\"");
  AppendJsonEscaped(key, &line_);
  line_.append("\":\"");
  if (value.size() <= kMaxLogValueBytes) {
    AppendJsonEscaped(value, &line_);
  } else {
    // Cut at a character boundary; the escaper would turn a split sequence
    // into escapes anyway, but whole characters read better.
    AppendJsonEscaped(value.substr(0, Utf8PrefixBytes(value, kMaxLogValueBytes)), &line_);
    absl::StrAppend(&line_, "...(", value.size(), " bytes, cut)");
  }
  line_.push_back('"');
  return *this;
}

LogLine& LogLine::Field(absl::string_view key, int64_t value) {
  if (enabled_) absl::StrAppend(&line_, ",\"", key, "\":", value);
  return *this;
}

LogLine& LogLine::Field(absl::string_view key, uint64_t value) {
  if (enabled_) absl::StrAppend(&line_, ",\"", key, "\":", value);
  return *this;
}

LogLine& LogLine::Field(absl::string_view key, double value) {
  if (enabled_) absl::StrAppend(&line_, ",\"", key, "\":", absl::StrFormat("%.6g", value));
  return *this;
}

LogLine& LogLine::Field(absl::string_view key, bool value) {
  if (enabled_) absl::StrAppend(&line_, ",\"", key, "\":", value ? "true" : "false");
  return *this;
}

LogLine& LogLine::Field(absl::string_view key, absl::Duration value) {
  if (enabled_) {
    absl::StrAppend(&line_, ",\"", key,
                    "_ms\":", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(value)));
  }
  return *this;
}

}  // namespace corsd::ops
