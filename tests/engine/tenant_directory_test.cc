#include "service/engine/tenant_directory.h"

#include <memory>

#include "gtest/gtest.h"

namespace corsd::engine {
namespace {

std::shared_ptr<const TenantSnapshot> Tenant(std::string name, std::vector<std::string> hosts,
                                             int64_t revision = 0) {
  return std::make_shared<const TenantSnapshot>(
      TenantSnapshot{std::move(name), std::move(hosts), CompiledPolicy::Empty(revision)});
}

TEST(TenantDirectory, FindsByNameAndHost) {
  TenantRegistry registry;
  registry.Replace({Tenant("shop", {"shop.example.com", "shop.example.com:8443"}),
                    Tenant("blog", {"blog.example.com", "[::1]"})});
  const TenantDirectory& d = registry.Read();
  EXPECT_EQ(d.size(), 2u);
  ASSERT_NE(d.FindByName("shop"), nullptr);
  EXPECT_EQ(d.FindByName("nope"), nullptr);
  EXPECT_EQ(d.FindByHost("shop.example.com")->name, "shop");
  EXPECT_EQ(d.FindByHost("SHOP.Example.COM")->name, "shop") << "hosts are case-insensitive";
  EXPECT_EQ(d.FindByHost("shop.example.com:9999")->name, "shop") << "port falls back to host";
  EXPECT_EQ(d.FindByHost("shop.example.com:8443")->name, "shop");
  EXPECT_EQ(d.FindByHost("[::1]")->name, "blog");
  EXPECT_EQ(d.FindByHost("[::1]:80")->name, "blog");
  EXPECT_EQ(d.FindByHost("evil.shop.example.com"), nullptr);
  EXPECT_EQ(d.FindByHost(""), nullptr);
  EXPECT_EQ(d.FindByHost(std::string(400, 'a')), nullptr);
}

TEST(TenantDirectory, ApplyUpdatesAndRemovesAtomically) {
  TenantRegistry registry;
  registry.Replace({Tenant("shop", {"shop.example.com"}), Tenant("blog", {"blog.example.com"})});
  std::shared_ptr<const TenantDirectory> before = registry.Load();

  // The host moves from blog to shop and blog goes away in one publication.
  registry.Apply({TenantUpdate::Upsert(Tenant("shop", {"shop.example.com", "blog.example.com"}, 4)),
                  TenantUpdate::Remove("blog")});
  const TenantDirectory& after = registry.Read();
  EXPECT_EQ(after.size(), 1u);
  EXPECT_EQ(after.FindByHost("blog.example.com")->name, "shop");
  EXPECT_EQ(after.FindByName("shop")->policy->revision(), 4);
  EXPECT_EQ(after.FindByName("blog"), nullptr);

  // The old snapshot is untouched.
  EXPECT_EQ(before->size(), 2u);
  EXPECT_EQ(before->FindByHost("blog.example.com")->name, "blog");
}

TEST(TenantDirectory, RemovingATenantDropsItsHosts) {
  TenantRegistry registry;
  registry.Apply({TenantUpdate::Upsert(Tenant("shop", {"shop.example.com"}))});
  registry.Apply({TenantUpdate::Remove("shop")});
  EXPECT_EQ(registry.Read().FindByHost("shop.example.com"), nullptr);
  EXPECT_EQ(registry.Read().size(), 0u);
}

}  // namespace
}  // namespace corsd::engine
