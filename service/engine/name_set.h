// NameSet holds the method or header names of one rule. Rules list a
// handful, and for a handful, comparing lengths and a few bytes is several
// times cheaper than hashing the lookup key, so small sets are searched
// linearly; past kLinearLimit names it switches to a hash set. Immutable
// after the rule is compiled; contains() never allocates.
//
//   NameSet methods;
//   methods.Insert("PUT");      // true
//   methods.Insert("PUT");      // false: already there
//   methods.contains("PUT");    // true
#ifndef CORSD_SERVICE_ENGINE_NAME_SET_H_
#define CORSD_SERVICE_ENGINE_NAME_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace corsd::engine {

class NameSet {
 public:
  static constexpr size_t kLinearLimit = 16;

  // Returns false when `name` was already present.
  bool Insert(absl::string_view name);
  bool contains(absl::string_view name) const;
  size_t size() const { return large_ == nullptr ? small_.size() : large_->size(); }

 private:
  std::vector<std::string> small_;
  // Used once small_ would exceed the limit; a pointer, because almost every
  // set is small and an empty hash set still takes 40 bytes in every rule.
  std::unique_ptr<absl::flat_hash_set<std::string>> large_;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_NAME_SET_H_
