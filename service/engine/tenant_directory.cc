#include "service/engine/tenant_directory.h"

#include <array>
#include <cstring>

#include "absl/strings/ascii.h"

namespace corsd::engine {
namespace {

constexpr size_t kMaxHostBytes = 300;

using HostMapBuilder = TenantDirectory::TenantMap::Builder;

void IndexHosts(const std::shared_ptr<const TenantSnapshot>& tenant, HostMapBuilder* by_host) {
  for (const std::string& host : tenant->hosts) by_host->Set(host, tenant);
}

void UnindexHosts(const TenantSnapshot& tenant, HostMapBuilder* by_host) {
  for (const std::string& host : tenant.hosts) {
    const std::shared_ptr<const TenantSnapshot>* owner = by_host->Find(host);
    // Another tenant may have taken the host over in the same batch.
    if (owner != nullptr && (*owner)->name == tenant.name) by_host->Erase(host);
  }
}

}  // namespace

const TenantSnapshot* TenantDirectory::FindByName(absl::string_view name) const {
  const std::shared_ptr<const TenantSnapshot>* tenant = tenants_.Find(name);
  return tenant == nullptr ? nullptr : tenant->get();
}

const TenantSnapshot* TenantDirectory::FindByHost(absl::string_view host) const {
  if (host.empty() || host.size() > kMaxHostBytes) return nullptr;
  // Host names are case-insensitive; stored hosts are lowercase.
  std::array<char, kMaxHostBytes> lowercase;
  for (size_t i = 0; i < host.size(); ++i) {
    lowercase[i] = absl::ascii_tolower(static_cast<unsigned char>(host[i]));
  }
  absl::string_view key(lowercase.data(), host.size());
  if (const auto* tenant = by_host_.Find(key)) return tenant->get();
  // Retry without the port ("shop.example.com:8443" -> "shop.example.com"),
  // taking care not to cut inside a bracketed IPv6 address.
  size_t colon = key.rfind(':');
  if (colon == absl::string_view::npos || key.find(']', colon) != absl::string_view::npos) {
    return nullptr;
  }
  const auto* tenant = by_host_.Find(key.substr(0, colon));
  return tenant == nullptr ? nullptr : tenant->get();
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
  // The new directory shares the current one's nodes; a batch copies only
  // the paths it changes, each shared node once.
  std::shared_ptr<const TenantDirectory> current = cell_.Load();
  TenantDirectory::TenantMap::Builder by_name(current->tenants_);
  TenantDirectory::TenantMap::Builder by_host(current->by_host_);
  for (const TenantUpdate& update : updates) {
    if (const auto* old = by_name.Find(update.name)) {
      const std::shared_ptr<const TenantSnapshot> replaced = *old;
      UnindexHosts(*replaced, &by_host);
      if (update.tenant == nullptr) by_name.Erase(update.name);
    }
    if (update.tenant != nullptr) {
      by_name.Set(update.tenant->name, update.tenant);  // the key views the value's name
      IndexHosts(update.tenant, &by_host);
    }
  }
  auto next = std::make_shared<TenantDirectory>();
  next->tenants_ = std::move(by_name).Build();
  next->by_host_ = std::move(by_host).Build();
  cell_.Publish(std::move(next));
}

void TenantRegistry::Replace(const std::vector<std::shared_ptr<const TenantSnapshot>>& tenants) {
  TenantDirectory::TenantMap::Builder by_name;
  TenantDirectory::TenantMap::Builder by_host;
  for (const auto& tenant : tenants) {
    by_name.Set(tenant->name, tenant);
    IndexHosts(tenant, &by_host);
  }
  auto next = std::make_shared<TenantDirectory>();
  next->tenants_ = std::move(by_name).Build();
  next->by_host_ = std::move(by_host).Build();
  absl::MutexLock lock(&write_mu_);
  cell_.Publish(std::move(next));
}

}  // namespace corsd::engine
