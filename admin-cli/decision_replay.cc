#include "admin-cli/decision_replay.h"

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "service/convert/time_convert.h"

namespace corsd::cli {
namespace {

constexpr size_t kMaxSamples = 100;

std::string StringField(const nlohmann::json& line, const char* key) {
  auto it = line.find(key);
  return it != line.end() && it->is_string() ? it->get<std::string>() : "";
}

int VerdictNumber(const std::string& name) {
  v1::Verdict verdict;
  return v1::Verdict_Parse(name, &verdict) ? verdict : 0;
}

}  // namespace

absl::Status DecisionReplay::AddLine(absl::string_view text) {
  if (text.empty()) return absl::OkStatus();
  nlohmann::json line = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (!line.is_object()) {
    ++skipped_;
    return absl::OkStatus();
  }
  const std::string tenant = StringField(line, "tenant");
  const int logged = VerdictNumber(StringField(line, "verdict"));
  if (tenant.empty() || logged == 0) {
    ++skipped_;
    return absl::OkStatus();
  }
  if (tenant_.empty()) tenant_ = tenant;  // no --tenant: the first one logged
  if (tenant != tenant_) {
    if (!tenant_named_) {
      return absl::FailedPreconditionError(absl::StrCat("the logs hold more than one tenant (",
                                                        tenant_, " and ", tenant,
                                                        "); name the one to replay with --tenant"));
    }
    ++other_tenants_;
    return absl::OkStatus();
  }

  // The request as the gateway saw it, from what the log keeps.
  const std::string origin = StringField(line, "origin");
  const std::string method = StringField(line, "method");
  const std::string path = StringField(line, "path");
  std::vector<std::string> requested;
  if (auto it = line.find("requested_headers"); it != line.end() && it->is_array()) {
    for (const nlohmann::json& name : *it) {
      if (name.is_string()) requested.push_back(name.get<std::string>());
    }
  }
  const std::string requested_headers = absl::StrJoin(requested, ", ");
  std::vector<engine::HeaderView> headers;
  const bool has_requested_method = line.contains("requested_method");
  const std::string requested_method = StringField(line, "requested_method");
  if (has_requested_method) headers.push_back({"Access-Control-Request-Method", requested_method});
  if (!requested.empty()) headers.push_back({"Access-Control-Request-Headers", requested_headers});
  auto private_network = line.find("requested_private_network");
  if (private_network != line.end() && private_network->is_boolean() &&
      private_network->get<bool>()) {
    headers.push_back({"Access-Control-Request-Private-Network", "true"});
  }
  const engine::Request request{
      .origin = origin, .method = method, .path = path, .headers = headers};
  engine::Decide(*candidate_, request, {}, &decision_);
  ++replayed_;
  const int candidate = static_cast<int>(decision_.verdict);
  ++counts_[{logged, candidate, static_cast<int>(decision_.reason)}];
  if (logged == candidate) return absl::OkStatus();

  v1::ShadowSample sample;
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, StringField(line, "time"), &time, &error)) {
    ToTimestamp(time, sample.mutable_time());
  }
  sample.set_origin(origin);
  sample.set_method(method);
  sample.set_path(path);
  for (std::string& name : requested) sample.add_requested_headers(std::move(name));
  sample.set_active_verdict(static_cast<v1::Verdict>(logged));
  v1::Reason logged_reason;
  if (v1::Reason_Parse(StringField(line, "reason"), &logged_reason)) {
    sample.set_active_reason(logged_reason);
  }
  sample.set_shadow_verdict(static_cast<v1::Verdict>(candidate));
  sample.set_shadow_reason(static_cast<v1::Reason>(decision_.reason));
  samples_.push_front(std::move(sample));  // logs are in time order: newest last
  if (samples_.size() > kMaxSamples) samples_.pop_back();
  return absl::OkStatus();
}

v1::ShadowReport DecisionReplay::Report() const {
  v1::ShadowReport report;
  report.set_tenant(tenant_);
  for (const auto& [key, count] : counts_) {
    v1::ShadowCount* out = report.add_counts();
    out->set_active_verdict(static_cast<v1::Verdict>(std::get<0>(key)));
    out->set_shadow_verdict(static_cast<v1::Verdict>(std::get<1>(key)));
    out->set_shadow_reason(static_cast<v1::Reason>(std::get<2>(key)));
    out->set_count(count);
  }
  for (const v1::ShadowSample& sample : samples_) *report.add_samples() = sample;
  report.set_replica("replay");
  return report;
}

absl::Status ReadLogLines(const std::string& path,
                          const std::function<absl::Status(absl::string_view)>& line,
                          const std::function<void(int64_t, int64_t)>& progress) {
  FILE* file = fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path, "; give the --decision-log file corsd writes"));
  }
  fseek(file, 0, SEEK_END);
  const int64_t size = ftell(file);
  fseek(file, 0, SEEK_SET);
  std::vector<char> chunk(1 << 20);
  std::string pending;  // a line cut by the chunk boundary
  bool overlong = false;
  int64_t read = 0;
  absl::Time next_progress = absl::Now() + absl::Seconds(1);
  absl::Status status;
  while (status.ok()) {
    const size_t n = fread(chunk.data(), 1, chunk.size(), file);
    if (n == 0) break;
    read += static_cast<int64_t>(n);
    absl::string_view data(chunk.data(), n);
    while (status.ok() && !data.empty()) {
      const size_t end = data.find('\n');
      const absl::string_view part = data.substr(0, end);
      if (!overlong && pending.size() + part.size() <= kMaxDecisionLogLineBytes) {
        pending.append(part.data(), part.size());
      } else {
        overlong = true;
        pending.clear();
      }
      if (end == absl::string_view::npos) break;
      status = line(overlong ? absl::string_view("{}") : absl::string_view(pending));
      pending.clear();
      overlong = false;
      data.remove_prefix(end + 1);
    }
    if (progress && absl::Now() >= next_progress) {
      progress(read, size);
      next_progress = absl::Now() + absl::Seconds(1);
    }
  }
  if (status.ok() && !pending.empty() && !overlong) status = line(pending);
  fclose(file);
  if (progress) progress(read, size);
  return status;
}

}  // namespace corsd::cli
