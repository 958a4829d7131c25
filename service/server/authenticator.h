// Authenticator turns the `authorization: Bearer <token>` metadata of an
// admin call into a Principal (role, tenant scope, label), and Authorize()
// decides whether that principal may do something to a tenant.
//
//   admin   everything, including creating and deleting tenants
//   editor  read and write one tenant's policy and hosts, nothing else
//   viewer  read only: every tenant, or one when the token is bound to it
//
// Lookups hash the secret (SHA-256) and consult the store; results are
// cached for a short time, and the cache is dropped whenever any process
// revokes a token (the change feed says so), so revocation takes effect
// promptly everywhere. Thread-safe.
#ifndef CORSD_SERVICE_SERVER_AUTHENTICATOR_H_
#define CORSD_SERVICE_SERVER_AUTHENTICATOR_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store/policy_store.h"

namespace corsd::server {

struct Principal {
  int64_t token_id = 0;
  store::Role role = store::Role::kViewer;
  std::string tenant;  // "" = every tenant
  std::string label;
};

// What an admin call needs, from least to most.
enum class Permission {
  kAnyToken,  // any valid token, whatever its role and tenant (the call scopes itself)
  kRead,      // read a tenant (or, with tenant "", anything global such as ValidatePolicy)
  kWrite,     // change a tenant's policy or hosts
  kAdmin,     // create/delete tenants, read across every tenant when scoped calls are not enough
};

// OK or PERMISSION_DENIED with a message that says which token is needed.
absl::Status Authorize(const Principal& principal, Permission permission, absl::string_view tenant);

class Authenticator {
 public:
  explicit Authenticator(store::PolicyStore* store) : store_(store) {}

  // `authorization` is the metadata value ("Bearer corsd_..."), or empty
  // when absent. UNAUTHENTICATED when missing, malformed, unknown or revoked.
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization);

  // Forget cached tokens (called when the change feed reports a revocation).
  void Invalidate();

 private:
  struct CacheEntry {
    absl::StatusOr<Principal> principal;
    absl::Time fetched;
  };
  // Writes last_used_at at most once per kMarkUsedEvery per token, outside
  // the lock (it is a durable write).
  bool ShouldMarkUsed(int64_t token_id, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkUsed(const Principal& principal, absl::Time now);

  store::PolicyStore* const store_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  // token id -> when last_used_at was last written
  absl::flat_hash_map<int64_t, absl::Time> last_marked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corsd::server

#endif  // CORSD_SERVICE_SERVER_AUTHENTICATOR_H_
