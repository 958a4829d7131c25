#include "service/engine/tenant_directory.h"

#include <array>

#include "absl/strings/ascii.h"

namespace corsd::engine {
namespace {

constexpr size_t kMaxHostBytes = 300;

void IndexHosts(const std::shared_ptr<const TenantSnapshot>& tenant,
                absl::flat_hash_map<std::string, std::shared_ptr<const TenantSnapshot>>* by_host) {
  for (const std::string& host : tenant->hosts) (*by_host)[host] = tenant;
}

void UnindexHosts(const TenantSnapshot& tenant,
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

TenantRegistry::TenantRegistry() : cell_(std::make_shared<const TenantDirectory>()) {}

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
