#include "service/engine/tenant_directory.h"

#include <array>
#include <cstring>

#include "absl/strings/ascii.h"

namespace corsd::engine {
namespace {

constexpr size_t kMaxHostBytes = 300;

void IndexHosts(const std::shared_ptr<const TenantSnapshot>& tenant,
                absl::flat_hash_map<std::string, std::shared_ptr<const TenantSnapshot>>* by_host) {
  for (const std::string& host : tenant->hosts) (*by_host)[host] = tenant;
}

void UnindexHosts(
    const TenantSnapshot& tenant,
    absl::flat_hash_map<std::string, std::shared_ptr<const TenantSnapshot>>* by_host) {
  for (const std::string& host : tenant.hosts) {
    auto it = by_host->find(host);
    // Another tenant may have taken the host over in the same batch.
    if (it != by_host->end() && it->second->name == tenant.name) by_host->erase(it);
  }
}

}  // namespace

const TenantSnapshot* TenantDirectory::FindByName(absl::string_view name) const {
  auto it = tenants_.find(name);
  return it == tenants_.end() ? nullptr : it->second.get();
}

const TenantSnapshot* TenantDirectory::FindByHost(absl::string_view host) const {
  if (host.empty() || host.size() > kMaxHostBytes) return nullptr;
  // Host names are case-insensitive; stored hosts are lowercase.
  std::array<char, kMaxHostBytes> lowercase;
  for (size_t i = 0; i < host.size(); ++i) {
    lowercase[i] = absl::ascii_tolower(static_cast<unsigned char>(host[i]));
  }
  absl::string_view key(lowercase.data(), host.size());
  if (auto it = by_host_.find(key); it != by_host_.end()) return it->second.get();
  // Retry without the port ("shop.example.com:8443" -> "shop.example.com"),
  // taking care not to cut inside a bracketed IPv6 address.
  size_t colon = key.rfind(':');
  if (colon == absl::string_view::npos || key.find(']', colon) != absl::string_view::npos) {
    return nullptr;
  }
  auto it = by_host_.find(key.substr(0, colon));
  return it == by_host_.end() ? nullptr : it->second.get();
}

namespace {

// The last lookup this thread made through a TenantRegistry. Trivially
// constructible, so reading it costs a plain thread-local access.
struct LookupMemo {
  static constexpr size_t kMaxKeyBytes = 128;
  uint64_t cell_id = 0;  // 0: empty (cell ids start at 1)
  uint64_t version = 0;
  bool by_host = false;
  size_t key_size = 0;
  char key[kMaxKeyBytes];
  const TenantSnapshot* tenant = nullptr;

  bool Matches(uint64_t id, uint64_t v, bool host, absl::string_view k) const {
    return cell_id == id && version == v && by_host == host && key_size == k.size() &&
           std::memcmp(key, k.data(), k.size()) == 0;
  }
};
thread_local LookupMemo lookup_memo;

// Valid because the memo names the exact (cell, version) the caller's own
// Read() returned: the thread's snapshot cache holds that directory for as
// long as the version stays the same, and a new version misses the memo.
template <typename Find>
const TenantSnapshot* Memoized(uint64_t cell_id, uint64_t version, bool by_host,
                               absl::string_view key, Find find) {
  LookupMemo& memo = lookup_memo;
  if (memo.Matches(cell_id, version, by_host, key)) return memo.tenant;
  const TenantSnapshot* tenant = find();
  if (key.size() <= LookupMemo::kMaxKeyBytes) {
    memo.cell_id = cell_id;
    memo.version = version;
    memo.by_host = by_host;
    memo.key_size = key.size();
    std::memcpy(memo.key, key.data(), key.size());
    memo.tenant = tenant;
  }
  return tenant;
}

}  // namespace

TenantRegistry::TenantRegistry() : cell_(std::make_shared<const TenantDirectory>()) {}

const TenantSnapshot* TenantRegistry::FindByName(absl::string_view name) const {
  uint64_t version;
  const TenantDirectory& directory = cell_.Read(&version);
  return Memoized(cell_.id(), version, /*by_host=*/false, name,
                  [&] { return directory.FindByName(name); });
}

const TenantSnapshot* TenantRegistry::FindByHost(absl::string_view host) const {
  uint64_t version;
  const TenantDirectory& directory = cell_.Read(&version);
  return Memoized(cell_.id(), version, /*by_host=*/true, host,
                  [&] { return directory.FindByHost(host); });
}

void TenantRegistry::Apply(const std::vector<TenantUpdate>& updates) {
  if (updates.empty()) return;
  absl::MutexLock lock(&write_mu_);
  auto next = std::make_shared<TenantDirectory>(*cell_.Load());
  for (const TenantUpdate& update : updates) {
    if (auto it = next->tenants_.find(update.name); it != next->tenants_.end()) {
      UnindexHosts(*it->second, &next->by_host_);
      next->tenants_.erase(it);
    }
    if (update.tenant != nullptr) {
      next->tenants_[update.name] = update.tenant;
      IndexHosts(update.tenant, &next->by_host_);
    }
  }
  cell_.Publish(std::move(next));
}

void TenantRegistry::Replace(const std::vector<std::shared_ptr<const TenantSnapshot>>& tenants) {
  absl::MutexLock lock(&write_mu_);
  auto next = std::make_shared<TenantDirectory>();
  next->tenants_.reserve(tenants.size());
  for (const auto& tenant : tenants) {
    next->tenants_[tenant->name] = tenant;
    IndexHosts(tenant, &next->by_host_);
  }
  cell_.Publish(std::move(next));
}

}  // namespace corsd::engine
