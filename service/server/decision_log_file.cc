#include "service/server/decision_log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"
#include "service/ops/log.h"

namespace corsd::server {
namespace {

constexpr absl::Duration kWriteInterval = absl::Milliseconds(200);

// `value` cut to `limit` bytes: long enough for the engine's own limits (a
// path the engine accepts is logged whole, so replay selects the same rule).
void AppendString(absl::string_view key, absl::string_view value, std::string* out,
                  size_t limit = engine::kMaxOriginBytes) {
  absl::StrAppend(out, ",\"", key, "\":\"");
  ops::AppendJsonEscaped(value.substr(0, limit), out);
  out->push_back('"');
}

int OpenForAppend(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

}  // namespace

std::string DecisionLogLine(absl::string_view tenant, const engine::Request& request,
                            const engine::Decision& decision, absl::Time time) {
  const engine::CorsRequestHeaders cors = engine::ScanCorsRequestHeaders(request.headers);
  std::string line = "{\"time\":\"";
  absl::StrAppend(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()), "\"");
  AppendString("tenant", tenant, &line);
  absl::StrAppend(&line, ",\"revision\":", decision.policy_revision);
  AppendString("origin", request.origin, &line);
  AppendString("method", request.method, &line);
  AppendString("path", request.path.substr(0, engine::FindQueryOrFragment(request.path)), &line,
               engine::kMaxPathBytes);
  AppendString("kind", engine::RequestKindName(decision.kind), &line);
  if (cors.request_method_lines > 0) AppendString("requested_method", cors.request_method, &line);
  line += ",\"requested_headers\":[";
  size_t names = 0;
  for (const engine::HeaderView& header : request.headers) {
    if (!engine::EqualsLowercase(header.name, engine::kRequestHeadersHeader)) continue;
    for (absl::string_view name : absl::StrSplit(header.value, ',')) {
      name = engine::TrimOptionalWhitespace(name);
      if (name.empty() || names == engine::kMaxRequestedHeaderNames) continue;
      line += names++ == 0 ? "\"" : ",\"";
      ops::AppendJsonEscaped(absl::AsciiStrToLower(name.substr(0, 256)), &line);
      line += '"';
    }
  }
  absl::StrAppend(
      &line, "],\"requested_private_network\":", cors.requests_private_network ? "true" : "false");
  AppendString("verdict", engine::VerdictName(decision.verdict), &line);
  AppendString("reason", engine::ReasonName(decision.reason), &line);
  line += "}\n";
  return line;
}

absl::StatusOr<std::unique_ptr<DecisionLogFile>> DecisionLogFile::Open(std::string path,
                                                                       int64_t max_bytes) {
  if (max_bytes < 4096) {
    return absl::InvalidArgumentError("--decision-log-max-bytes must be at least 4096");
  }
  const int fd = OpenForAppend(path);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open --decision-log ", path, ": ",
                                                   strerror(errno),
                                                   "; check the directory exists and is "
                                                   "writable by corsd"));
  }
  const off_t size = lseek(fd, 0, SEEK_END);
  return std::unique_ptr<DecisionLogFile>(
      new DecisionLogFile(std::move(path), max_bytes, fd, size < 0 ? 0 : size));
}

DecisionLogFile::DecisionLogFile(std::string path, int64_t max_bytes, int fd, int64_t size)
    : path_(std::move(path)), max_bytes_(max_bytes), fd_(fd), size_(size) {
  writer_ = std::thread([this] { Run(); });
}

DecisionLogFile::~DecisionLogFile() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  Flush();
  absl::MutexLock lock(&write_mu_);
  if (fd_ >= 0) close(fd_);
}

void DecisionLogFile::Append(absl::string_view line) {
  absl::MutexLock lock(&mu_);
  if (buffer_.size() + line.size() > kMaxBufferedBytes) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  buffer_.append(line.data(), line.size());
}

void DecisionLogFile::Flush() {
  absl::MutexLock write_lock(&write_mu_);
  std::string bytes;
  {
    absl::MutexLock lock(&mu_);
    bytes.swap(buffer_);
  }
  if (!bytes.empty()) Write(bytes);
}

void DecisionLogFile::Write(const std::string& bytes) {
  absl::string_view left = bytes;
  while (!left.empty()) {
    // As many whole lines as fit in the file; at least one into an empty one.
    size_t take = 0;
    while (take < left.size()) {
      const size_t end = left.find('\n', take);
      const size_t next = end == absl::string_view::npos ? left.size() : end + 1;
      if (size_ + static_cast<int64_t>(next) > max_bytes_ && (take > 0 || size_ > 0)) break;
      take = next;
    }
    if (take == 0) {
      Rotate();
      continue;
    }
    WriteAll(left.substr(0, take));
    left.remove_prefix(take);
  }
}

void DecisionLogFile::Rotate() {
  if (fd_ >= 0) close(fd_);
  const std::string older = path_ + ".1";
  if (rename(path_.c_str(), older.c_str()) != 0) {
    // The file must not grow past its bound: start it again instead.
    ops::LogWarning("decision_log_rotate_failed")
        .Field("error", strerror(errno))
        .Field("action", "truncating the decision log");
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  } else {
    fd_ = OpenForAppend(path_);
  }
  size_ = 0;
}

void DecisionLogFile::WriteAll(absl::string_view bytes) {
  if (fd_ < 0) fd_ = OpenForAppend(path_);
  size_t written = 0;
  while (fd_ >= 0 && written < bytes.size()) {
    const ssize_t n = write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  if (written < bytes.size()) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    ops::LogWarning("decision_log_write_failed").Field("error", strerror(errno));
  }
  // Counted as written even when cut short: the next rotation comes no later.
  size_ += static_cast<int64_t>(bytes.size());
}

void DecisionLogFile::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), kWriteInterval);
      if (stopping_) return;
    }
    Flush();
  }
}

}  // namespace corsd::server
