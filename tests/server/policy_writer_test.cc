// PolicyWriter over a real SQLite store in a temp dir, with the real
// PolicySync, TenantRegistry and WatchHub (no server, no gRPC). The store is
// wrapped to count the reads publication makes: a policy write hands its
// compiled policy and its PolicyVersion straight to publication, so it must
// read nothing back.
#include "service/server/policy_writer.h"

#include <atomic>

#include "gmock/gmock.h"
#include "service/convert/policy_convert.h"
#include "service/store/sql_policy_store.h"
#include "tests/server/in_process_publication.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_policies.h"

namespace corsd::server {
namespace {

using ::corsd::testing::PolicyAllowingOrigin;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The real store, counting the reads that publishing could make.
class CountingStore final : public corsd::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  absl::StatusOr<store::TenantState> LoadTenantState(absl::string_view tenant) override {
    ++reads;
    return ForwardingStore::LoadTenantState(tenant);
  }
  absl::StatusOr<store::PolicyRevisionRecord> GetPolicyRevision(absl::string_view tenant,
                                                                int64_t revision) override {
    ++reads;
    return ForwardingStore::GetPolicyRevision(tenant, revision);
  }
  absl::StatusOr<store::PolicyRevisionRecord> GetPolicy(absl::string_view tenant) override {
    ++reads;
    return ForwardingStore::GetPolicy(tenant);
  }

  std::atomic<int> reads{0};
};

class PolicyWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<store::SqlPolicyStore>> opened =
        store::OpenSqliteStore(dir_.File("corsd.db"), {});
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::make_unique<CountingStore>(std::move(*opened));
    published_ = std::make_unique<InProcessPublication>(store_.get());
    ASSERT_TRUE(sync().LoadAll().ok());
    writer_ = std::make_unique<PolicyWriter>(store_.get(), &sync(), &published_->metrics);
    watcher_ = *hub().Subscribe({}, 0, [] {});
    ASSERT_NE(watcher_, nullptr);
  }
  void TearDown() override { hub().Unsubscribe(watcher_); }

  PolicySync& sync() { return published_->sync; }
  WatchHub& hub() { return published_->hub; }
  engine::TenantRegistry& registry() { return published_->tenants; }

  std::vector<v1::PolicyEvent> Events() {
    std::vector<v1::PolicyEvent> events;
    while (std::optional<WatchEventPtr> event = watcher_->Pop())
      events.push_back(DecodeWatchEvent(*event));
    return events;
  }

  absl::StatusOr<v1::PolicyVersion> Put(const std::string& tenant, const v1::Policy& policy,
                                        std::optional<int64_t> expected = std::nullopt) {
    return writer_->PutPolicy(
        {.tenant = tenant, .policy = &policy, .expected_revision = expected, .comment = "why"},
        {"alice"});
  }

  const engine::TenantSnapshot* Serving(const std::string& host) {
    return registry().Read().FindByHost(host);
  }

  corsd::testing::TempDir dir_;
  std::unique_ptr<CountingStore> store_;
  std::unique_ptr<InProcessPublication> published_;
  std::unique_ptr<PolicyWriter> writer_;
  std::shared_ptr<WatchQueue> watcher_;
};

TEST_F(PolicyWriterTest, APolicyWriteIsPublishedAsCompiledWithoutReadingItBack) {
  ASSERT_TRUE(
      writer_->CreateTenant({.name = "shop", .hosts = {"Shop.Example.com"}}, {"alice"}).ok());
  ASSERT_NE(Serving("shop.example.com"), nullptr) << "a tenant write is served when it returns";
  EXPECT_TRUE(Events().empty()) << "a tenant without a policy has nothing to watch";

  store_->reads = 0;
  absl::StatusOr<v1::PolicyVersion> written =
      Put("shop", PolicyAllowingOrigin("https://a.example"));
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->revision(), 1);
  EXPECT_EQ(written->updated_by(), "alice");
  EXPECT_EQ(written->comment(), "why");
  EXPECT_EQ(written->policy().rules(0).allowed_origins(0), "https://a.example");
  EXPECT_EQ(store_->reads, 0) << "publication read the write back from the store";

  const engine::TenantSnapshot* shop = Serving("shop.example.com");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->policy->revision(), 1) << "served before PutPolicy returned";
  std::vector<v1::PolicyEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].version().revision(), 1);
  EXPECT_THAT(events[0].hosts(), ElementsAre("shop.example.com"));
  EXPECT_EQ(events[0].version().SerializeAsString(), written->SerializeAsString())
      << "watchers get exactly what the writer answered";

  // Following the feed afterwards finds the revision published: no second
  // event, no reload, no recompilation.
  const engine::CompiledPolicy* compiled = shop->policy.get();
  ASSERT_TRUE(sync().CatchUp().ok());
  EXPECT_TRUE(Events().empty()) << "the writer's revision was sent twice";
  EXPECT_EQ(store_->reads, 0);
  EXPECT_EQ(Serving("shop.example.com")->policy.get(), compiled);
}

TEST_F(PolicyWriterTest, AnInvalidPolicyListsEveryViolationAndStoresNothing) {
  ASSERT_TRUE(writer_->CreateTenant({.name = "shop"}, {"alice"}).ok());
  v1::Policy policy;
  v1::CorsRule* rule = policy.add_rules();
  rule->add_allowed_origins("https://*.com");
  rule->add_allowed_origins("ftp://files.example");
  absl::StatusOr<v1::PolicyVersion> written = Put("shop", policy);
  ASSERT_EQ(written.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(written.status().message()), HasSubstr("2 violations"));
  EXPECT_EQ(store_->GetPolicy("shop").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(registry().Read().FindByName("shop")->policy->revision(), 0);
}

TEST_F(PolicyWriterTest, AStaleExpectedRevisionIsAbortedAndPublishesNothing) {
  ASSERT_TRUE(writer_->CreateTenant({.name = "shop"}, {"alice"}).ok());
  ASSERT_TRUE(Put("shop", PolicyAllowingOrigin("https://a.example"), 0).ok());
  Events();
  absl::StatusOr<v1::PolicyVersion> stale =
      Put("shop", PolicyAllowingOrigin("https://b.example"), 0);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(registry().Read().FindByName("shop")->policy->revision(), 1);
}

TEST_F(PolicyWriterTest, ARollbackPublishesTheOldContentAsANewRevision) {
  ASSERT_TRUE(writer_->CreateTenant({.name = "shop"}, {"alice"}).ok());
  ASSERT_TRUE(Put("shop", PolicyAllowingOrigin("https://a.example")).ok());
  ASSERT_TRUE(Put("shop", PolicyAllowingOrigin("https://b.example")).ok());
  Events();
  store_->reads = 0;
  absl::StatusOr<v1::PolicyVersion> rolled =
      writer_->RollbackPolicy({.tenant = "shop", .to_revision = 1, .comment = "back"}, {"bob"});
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->revision(), 3);
  EXPECT_EQ(rolled->policy().rules(0).allowed_origins(0), "https://a.example");
  EXPECT_EQ(store_->reads, 1) << "the one read is the old revision itself";
  std::vector<v1::PolicyEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].version().revision(), 3);
  EXPECT_EQ(registry().Read().FindByName("shop")->policy->revision(), 3);

  EXPECT_EQ(writer_->RollbackPolicy({.tenant = "shop", .to_revision = 0}, {"bob"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PolicyWriterTest, ATenantUpdateSendsTheNewHostsWithoutRecompiling) {
  ASSERT_TRUE(writer_->CreateTenant({.name = "shop", .hosts = {"old.example"}}, {"alice"}).ok());
  ASSERT_TRUE(Put("shop", PolicyAllowingOrigin("https://a.example")).ok());
  Events();
  const engine::CompiledPolicy* compiled = Serving("old.example")->policy.get();

  ASSERT_TRUE(writer_->UpdateTenant({.name = "shop", .hosts = {"new.example"}}, {"alice"}).ok());
  std::vector<v1::PolicyEvent> events = Events();
  ASSERT_EQ(events.size(), 1u) << "a tenant update is an event";
  EXPECT_EQ(events[0].tenant(), "shop");
  EXPECT_EQ(events[0].version().revision(), 1) << "same revision, new hosts";
  EXPECT_THAT(events[0].hosts(), ElementsAre("new.example"));
  EXPECT_EQ(Serving("old.example"), nullptr);
  ASSERT_NE(Serving("new.example"), nullptr);
  EXPECT_EQ(Serving("new.example")->policy.get(), compiled) << "hosts changed, policy did not";

  // A late watcher's initial state has the new hosts too.
  std::shared_ptr<WatchQueue> late = *hub().Subscribe({}, 0, [] {});
  std::optional<WatchEventPtr> initial = late->Pop();
  ASSERT_TRUE(initial.has_value());
  EXPECT_THAT(DecodeWatchEvent(*initial).hosts(), ElementsAre("new.example"));
  hub().Unsubscribe(late);

  ASSERT_TRUE(writer_->DeleteTenant("shop", {"alice"}).ok());
  events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].deleted());
  EXPECT_EQ(Serving("new.example"), nullptr);
}

TEST_F(PolicyWriterTest, AnotherProcesssTenantUpdateReachesWatchersThroughTheFeed) {
  ASSERT_TRUE(writer_->CreateTenant({.name = "shop", .hosts = {"old.example"}}, {"alice"}).ok());
  ASSERT_TRUE(Put("shop", PolicyAllowingOrigin("https://a.example")).ok());
  Events();
  // Written straight to the store, as another corsd sharing it would.
  ASSERT_TRUE(store_->UpdateTenant({.name = "shop", .hosts = {"new.example"}}, {"other"}).ok());
  ASSERT_TRUE(sync().CatchUp().ok());
  std::vector<v1::PolicyEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].version().revision(), 1);
  EXPECT_THAT(events[0].hosts(), ElementsAre("new.example"));
  EXPECT_NE(Serving("new.example"), nullptr);
}

TEST_F(PolicyWriterTest, InputIsCheckedBeforeAnythingIsStored) {
  EXPECT_EQ(writer_->CreateTenant({.name = "Not A Name"}, {"alice"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      writer_->CreateTenant({.name = "shop", .description = std::string(1025, 'd')}, {"alice"})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(writer_->CreateTenant({.name = "shop"}, {"alice"}).ok());
  v1::Policy policy = PolicyAllowingOrigin("https://a.example");
  absl::StatusOr<v1::PolicyVersion> long_comment = writer_->PutPolicy(
      {.tenant = "shop", .policy = &policy, .comment = std::string(1025, 'c')}, {"alice"});
  EXPECT_EQ(long_comment.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetPolicy("shop").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace corsd::server
