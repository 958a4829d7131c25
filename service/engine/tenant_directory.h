// TenantDirectory is one immutable snapshot of every tenant a process serves:
// name -> compiled policy, and request host -> tenant. TenantRegistry holds
// the current directory in a SnapshotCell so Check can read it without locks
// while policy writes, watch events or a resync publish new ones.
//
// Both maps are PersistentMaps: a new directory shares every node with the
// one before except the paths to the entries that changed, so publishing a
// change to one tenant costs O(log32 N + hosts) whatever the number N of
// tenants (a few microseconds at 100,000), and an old directory a reader
// still holds keeps only what differs from the current one.
//
//   TenantRegistry registry;
//   registry.Apply({TenantUpdate::Upsert(std::make_shared<const TenantSnapshot>(
//       TenantSnapshot{"shop", {"shop.example.com"}, compiled_policy}))});
//   const TenantDirectory& now = registry.Read();
//   const TenantSnapshot* t = now.FindByHost("SHOP.example.com:443");  // "shop"
#ifndef CORSD_SERVICE_ENGINE_TENANT_DIRECTORY_H_
#define CORSD_SERVICE_ENGINE_TENANT_DIRECTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/common/persistent_map.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/shadow_policy.h"
#include "service/engine/snapshot_cell.h"

namespace corsd::engine {

struct TenantSnapshot {
  std::string name;
  std::vector<std::string> hosts;                // lowercase, as stored
  std::shared_ptr<const CompiledPolicy> policy;  // never null; revision 0 = no policy
  // Which life of the name this is, as the source of policies numbers it (0:
  // unknown): a tenant deleted and re-created under the same name has another
  // one, so nothing of the old one (hosts, compiled policy) is reused for it.
  int64_t incarnation = 0;
  // The tenant's shadow policy (shadow_policy.h); null when it has none.
  std::shared_ptr<const ShadowPolicy> shadow;
};

class TenantDirectory {
 public:
  const TenantSnapshot* FindByName(absl::string_view name) const;
  // Host header / :authority, any case, with or without ":port". An exact
  // "host:port" entry wins over the host alone.
  const TenantSnapshot* FindByHost(absl::string_view host) const;

  size_t size() const { return tenants_.size(); }
  // Every tenant, keyed by name, in no particular order. Copying it is O(1)
  // and keeps this version of every tenant alive. Keys view the snapshot's
  // own name (and, in the host map, its own hosts).
  using TenantMap = PersistentMap<std::shared_ptr<const TenantSnapshot>,
                                  absl::Hash<absl::string_view>, absl::string_view>;
  const TenantMap& tenants() const { return tenants_; }

 private:
  friend class TenantRegistry;
  TenantMap tenants_;
  TenantMap by_host_;
};

// One change to the directory.
struct TenantUpdate {
  static TenantUpdate Upsert(std::shared_ptr<const TenantSnapshot> tenant) {
    return TenantUpdate{tenant->name, std::move(tenant)};
  }
  static TenantUpdate Remove(std::string name) { return TenantUpdate{std::move(name), nullptr}; }

  std::string name;
  std::shared_ptr<const TenantSnapshot> tenant;  // null = remove
};

// Owns the current TenantDirectory. Writers are serialized internally; each
// Apply/Replace publishes exactly one new directory, so a batch of updates
// becomes visible to readers all at once.
class TenantRegistry {
 public:
  TenantRegistry();

  // Hot path; see SnapshotCell::Read for how long the reference is valid.
  const TenantDirectory& Read() const { return cell_.Read(); }

  // Read().FindByName(name) / FindByHost(host), remembering the last answer
  // per thread until a new directory is published: a gateway thread usually
  // asks for the same tenant again and again, and this skips the hash (an
  // out-of-line call into Abseil). Same lifetime rules as Read().
  const TenantSnapshot* FindByName(absl::string_view name) const;
  const TenantSnapshot* FindByHost(absl::string_view host) const;
  std::shared_ptr<const TenantDirectory> Load() const { return cell_.Load(); }

  void Apply(const std::vector<TenantUpdate>& updates);
  // Publishes a directory made of exactly `tenants` (start-up, full resync).
  void Replace(const std::vector<std::shared_ptr<const TenantSnapshot>>& tenants);

 private:
  absl::Mutex write_mu_;
  SnapshotCell<TenantDirectory> cell_;
};

}  // namespace corsd::engine

#endif  // CORSD_SERVICE_ENGINE_TENANT_DIRECTORY_H_
