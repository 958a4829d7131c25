// Several corsd processes sharing one store: one SQLite file (e.g. during a
// rolling restart), or, in the PostgreSQL pass, one database (replicas). A
// write through one is served, and watched, on the other.
#include "gmock/gmock.h"
#include "tests/server/watcher.h"
#include "tests/support/server_fixture.h"

namespace corsd::testing {
namespace {

class TwoProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<TestStore>(dir_);
    token_ = store_->CreateToken("admin");
    a_ = CorsdProcess::Start(store_->Options(dir_.path(), {}, "a"));
    b_ = CorsdProcess::Start(store_->Options(dir_.path(), {}, "b"));
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }
  void TearDown() override {
    if (a_) {
      EXPECT_EQ(a_->Stop(), 0);
    }
    if (b_) {
      EXPECT_EQ(b_->Stop(), 0);
    }
  }

  // Polls `server` until Check for `origin` is allowed; returns how long it took.
  absl::Duration TimeUntilAllowed(CorsdProcess* server, const std::string& origin) {
    auto decision = server->DecisionStub();
    const absl::Time start = absl::Now();
    while (absl::Now() - start < absl::Seconds(5)) {
      grpc::ClientContext context;
      v1::CheckRequest request;
      request.set_tenant("shop");
      request.set_origin(origin);
      request.set_method("GET");
      v1::CheckResponse response;
      if (decision->Check(&context, request, &response).ok() && response.verdict() == v1::ALLOW) {
        return absl::Now() - start;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return absl::InfiniteDuration();
  }

  grpc::Status Put(CorsdProcess* server, const std::string& origin) {
    grpc::ClientContext context;
    Authorize(&context, token_);
    v1::PutPolicyRequest put;
    put.set_tenant("shop");
    put.mutable_policy()->add_rules()->add_allowed_origins(origin);
    v1::PolicyVersion version;
    return server->AdminStub()->PutPolicy(&context, put, &version);
  }

  TempDir dir_;
  std::unique_ptr<TestStore> store_;
  std::string token_;
  std::unique_ptr<CorsdProcess> a_;
  std::unique_ptr<CorsdProcess> b_;
};

TEST_F(TwoProcessesTest, WriteThroughOneIsServedByTheOtherWithinASecond) {
  ASSERT_TRUE(a_->CreateTenant(token_, "shop").ok());
  ASSERT_TRUE(Put(a_.get(), "https://one.example").ok());
  absl::Duration first = TimeUntilAllowed(b_.get(), "https://one.example");
  EXPECT_LT(first, absl::Seconds(1));
  // And the other way round.
  ASSERT_TRUE(Put(b_.get(), "https://two.example").ok());
  absl::Duration second = TimeUntilAllowed(a_.get(), "https://two.example");
  EXPECT_LT(second, absl::Seconds(1));
  RecordProperty("propagation_ms_a_to_b", absl::ToInt64Milliseconds(first));
  RecordProperty("propagation_ms_b_to_a", absl::ToInt64Milliseconds(second));
}

TEST_F(TwoProcessesTest, WatchOnOneSeesWritesThroughTheOther) {
  ASSERT_TRUE(a_->CreateTenant(token_, "shop").ok());
  auto b_admin = b_->AdminStub();
  auto watcher = std::make_unique<Watcher>(b_admin.get(), token_, std::vector<std::string>{"shop"});
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Put(a_.get(), "https://r" + std::to_string(i) + ".example").ok());
  }
  std::vector<v1::PolicyEvent> events = watcher->WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(events[i].version().revision(), i + 1);
  watcher.reset();
}

TEST_F(TwoProcessesTest, ConcurrentWritersOnBothProcessesLoseNothing) {
  ASSERT_TRUE(a_->CreateTenant(token_, "shop").ok());
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      CorsdProcess* server = t % 2 == 0 ? a_.get() : b_.get();
      auto admin = server->AdminStub();
      for (int i = 0; i < 4;) {
        ConditionalPut put = PutPolicyIfUnchanged(admin.get(), token_, "shop", "https://x.example");
        if (put.status.ok()) {
          EXPECT_EQ(put.written_revision, put.read_revision + 1);
          successes.fetch_add(1);
          ++i;
        } else {
          EXPECT_THAT(put.status.error_code(),
                      ::testing::AnyOf(grpc::StatusCode::ABORTED, grpc::StatusCode::UNAVAILABLE))
              << put.status.error_message();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  grpc::ClientContext context;
  Authorize(&context, token_);
  v1::GetTenantRequest get;
  get.set_name("shop");
  v1::Tenant tenant;
  ASSERT_TRUE(a_->AdminStub()->GetTenant(&context, get, &tenant).ok());
  EXPECT_EQ(tenant.policy_revision(), successes.load());
  EXPECT_EQ(successes.load(), 32);
}

}  // namespace
}  // namespace corsd::testing
