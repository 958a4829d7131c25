// ForwardingStore (test form) passes every PolicyStore call to a real store.
// Tests derive from it to observe or disturb one method (count reads, inject
// a transient error) while everything else is the real SQLite or PostgreSQL
// store. Thread-safety is the wrapped store's.
#ifndef CORSD_TESTS_SUPPORT_FORWARDING_STORE_H_
#define CORSD_TESTS_SUPPORT_FORWARDING_STORE_H_

#include <memory>
#include <string>

#include "service/store/forwarding_store.h"

namespace corsd::testing {

class ForwardingStore : public store::ForwardingStore {
 public:
  explicit ForwardingStore(std::unique_ptr<store::PolicyStore> real) : real_(std::move(real)) {}
  std::string Describe() const override { return real_->Describe(); }

 protected:
  absl::StatusOr<store::PolicyStore*> Target() override { return real_.get(); }

 private:
  std::unique_ptr<store::PolicyStore> real_;
};

}  // namespace corsd::testing

#endif  // CORSD_TESTS_SUPPORT_FORWARDING_STORE_H_
