#include "service/engine/name_set.h"

namespace corsd::engine {

bool NameSet::Insert(absl::string_view name) {
  if (contains(name)) return false;
  if (large_ != nullptr) {
    large_->emplace(name);
    return true;
  }
  small_.emplace_back(name);
  if (small_.size() > kLinearLimit) {
    large_ = std::make_unique<absl::flat_hash_set<std::string>>(small_.begin(), small_.end());
    small_ = {};
  }
  return true;
}

bool NameSet::contains(absl::string_view name) const {
  if (large_ != nullptr) return large_->contains(name);
  if (name.empty()) return false;
  for (const std::string& candidate : small_) {
    // Length, first and last byte reject almost every candidate before a
    // full comparison is needed.
    if (candidate.size() == name.size() && candidate.front() == name.front() &&
        candidate.back() == name.back() && absl::string_view(candidate) == name) {
      return true;
    }
  }
  return false;
}

}  // namespace corsd::engine
