#include "service/server/policy_resolver.h"

#include "absl/strings/str_cat.h"
#include "service/convert/policy_convert.h"
#include "service/server/grpc_status.h"
#include "service/store/record_limits.h"

namespace corsd::server {

const store::OriginSetRecord* OriginSetCache::Record(absl::string_view name) {
  if (overrides_ != nullptr) {
    if (auto it = overrides_->find(name); it != overrides_->end()) return &it->second;
  }
  auto [it, inserted] = read_.try_emplace(name);
  if (inserted) {
    absl::StatusOr<store::OriginSetRecord> read = store_->GetOriginSet(name);
    if (read.ok()) {
      it->second = *std::move(read);
    } else if (read.status().code() != absl::StatusCode::kNotFound && status_.ok()) {
      status_ = read.status();
    }
  }
  return it->second.has_value() ? &*it->second : nullptr;
}

const std::vector<std::string>* OriginSetCache::Find(absl::string_view name) {
  const store::OriginSetRecord* record = Record(name);
  return record != nullptr ? &record->origins : nullptr;
}

std::vector<store::OriginSetUse> OriginSetCache::Uses(const std::vector<std::string>& names) {
  std::vector<store::OriginSetUse> uses;
  uses.reserve(names.size());
  for (const std::string& name : names) {
    if (const store::OriginSetRecord* record = Record(name)) {
      uses.push_back({.name = name, .revision = record->revision});
    }
  }
  return uses;
}

void CheckStoredSize(size_t written_bytes, size_t resolved_bytes, absl::string_view field,
                     engine::PolicyDiagnostics* diagnostics) {
  const size_t bytes = written_bytes + resolved_bytes;
  if (bytes <= store::kMaxStoredPolicyBytes) return;
  diagnostics->AddViolation(
      std::string(field),
      absl::StrCat("is ", bytes,
                   " bytes serialized (as written plus resolved against its origin sets); at "
                   "most ",
                   store::kMaxStoredPolicyBytes,
                   " are stored: use wildcards or fewer, shorter origins"));
}

absl::StatusOr<ResolvedWrite> ResolveForWrite(const v1::Policy& policy, std::string serialized,
                                              OriginSetCache& sets) {
  ResolvedCompilation compiled =
      CompileWithOriginSets(policy, [&sets](absl::string_view name) { return sets.Find(name); });
  if (!sets.status().ok()) return sets.status();
  if (!compiled.compilation.diagnostics.ok()) {
    return InvalidPolicyStatus(compiled.compilation.diagnostics);
  }
  PolicyResolution& resolution = compiled.resolution;
  std::string resolved_bytes;
  if (resolution.resolved.has_value()) resolved_bytes = SerializePolicy(*resolution.resolved);
  return ResolvedWrite{
      .compilation = std::move(compiled.compilation),
      .resolved = std::move(resolution.resolved),
      .content = store::PolicyContent(std::move(serialized), std::move(resolved_bytes),
                                      sets.Uses(resolution.set_names))};
}

}  // namespace corsd::server
