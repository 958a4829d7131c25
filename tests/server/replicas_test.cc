// Three corsd replicas on one PostgreSQL database: a write through one is
// served by the others within a second and reaches watchers anywhere; when
// the database goes away, every replica keeps answering Check from memory,
// reports the store down (admin health, metrics) and refuses writes with
// UNAVAILABLE; when it comes back, they reconnect by themselves.
//
// The test owns its PostgreSQL server (it stops and starts it).
#include <thread>

#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "tests/server/owned_postgres.h"
#include "tests/server/watcher.h"
#include "tests/support/corsd_process.h"
#include "tests/support/postgres_server.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

class ReplicasTest : public OwnedPostgresTest {
 protected:
  void SetUp() override {
    OwnedPostgresTest::SetUp();
    if (HasFatalFailure()) return;
    // Start all three at once: they race to migrate (tokens above already
    // did, so this also checks a re-run is a no-op under concurrency).
    std::vector<std::thread> starting;
    replicas_.resize(3);
    for (int i = 0; i < 3; ++i) {
      starting.emplace_back([this, i] {
        replicas_[i] = CorsdProcess::Start(
            {.store_url = url_, .dir = dir_.path(), .name = "replica" + std::to_string(i)});
      });
    }
    for (auto& t : starting) t.join();
    for (auto& r : replicas_) ASSERT_NE(r, nullptr);
  }

  void TearDown() override {
    for (auto& r : replicas_) {
      if (r != nullptr) {
        EXPECT_EQ(r->Stop(), 0) << r->log();
      }
    }
  }

  grpc::Status Put(CorsdProcess* replica, const std::string& origin, v1::PolicyVersion* out) {
    return PutOrigin(replica->AdminStub().get(), "shop", origin, out);
  }

  // Checks `origin` on `replica`. `must_succeed` is false while waiting for
  // a tenant to propagate (until then the replica answers NOT_FOUND).
  v1::CheckResponse Check(CorsdProcess* replica, const std::string& origin,
                          bool must_succeed = true) {
    v1::CheckResponse response;
    grpc::Status status = CheckOrigin(replica->DecisionStub().get(), "shop", origin, &response);
    if (must_succeed) {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return response;
  }

  absl::Duration TimeUntilServed(CorsdProcess* replica, const std::string& origin) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < absl::Seconds(5)) {
      if (Check(replica, origin, /*must_succeed=*/false).verdict() == v1::ALLOW) {
        return absl::Now() - start;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return absl::InfiniteDuration();
  }

  HealthCheckResponse::ServingStatus AdminHealth(CorsdProcess* replica) {
    return Health(replica, replica->admin_port(), "corsd.v1.CorsAdmin");
  }

  bool WaitForAdminHealth(HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 200; ++i) {
      bool all = true;
      for (auto& r : replicas_) all = all && AdminHealth(r.get()) == want;
      if (all) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  std::vector<std::unique_ptr<CorsdProcess>> replicas_;
};

TEST_F(ReplicasTest, WritesPropagateAndOutagesAreSurvived) {
  ASSERT_TRUE(replicas_[0]->CreateTenant(token_, "shop").ok());
  auto watch_stub = replicas_[2]->AdminStub();
  auto watcher =
      std::make_unique<Watcher>(watch_stub.get(), token_, std::vector<std::string>{"shop"});

  // A write through replica 0 is served by 1 and 2 within a second.
  v1::PolicyVersion first;
  ASSERT_TRUE(Put(replicas_[0].get(), "https://one.example", &first).ok());
  for (int i = 1; i < 3; ++i) {
    absl::Duration took = TimeUntilServed(replicas_[i].get(), "https://one.example");
    EXPECT_LT(took, absl::Seconds(1)) << "replica " << i;
    RecordProperty("propagation_ms_replica" + std::to_string(i), absl::ToInt64Milliseconds(took));
  }
  // And reaches a watcher on replica 2, in order, with a write through 1.
  v1::PolicyVersion second;
  ASSERT_TRUE(Put(replicas_[1].get(), "https://two.example", &second).ok());
  std::vector<v1::PolicyEvent> events = watcher->WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].version().revision(), 1);
  EXPECT_EQ(events[1].version().revision(), 2);
  EXPECT_EQ(TimeUntilServed(replicas_[0].get(), "https://two.example") < absl::Seconds(1), true);

  // The database goes away.
  ASSERT_TRUE(postgres_->StopServer());
  ASSERT_TRUE(WaitForAdminHealth(HealthCheckResponse::NOT_SERVING))
      << "admin health must report the store down";
  for (auto& r : replicas_) {
    v1::CheckResponse answer = Check(r.get(), "https://two.example");
    EXPECT_EQ(answer.verdict(), v1::ALLOW) << "Check keeps answering from memory";
    EXPECT_EQ(answer.policy_revision(), 2);
    // Data port health is unaffected.
    grpc::ClientContext context;
    HealthCheckRequest request;
    request.set_service("corsd.v1.CorsDecision");
    HealthCheckResponse response;
    ASSERT_TRUE(r->HealthStub(r->data_port())->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
    std::string metrics = HttpGet(r->metrics_port(), "/metrics");
    EXPECT_THAT(metrics, HasSubstr("corsd_store_up 0\n"));
  }
  v1::PolicyVersion refused;
  grpc::Status write = Put(replicas_[0].get(), "https://three.example", &refused);
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNAVAILABLE) << write.error_message();

  // It comes back: replicas reconnect by themselves and writes resume.
  ASSERT_TRUE(postgres_->StartServer()) << postgres_->ServerLog();
  ASSERT_TRUE(WaitForAdminHealth(HealthCheckResponse::SERVING));
  v1::PolicyVersion third;
  grpc::Status resumed = grpc::Status(grpc::StatusCode::UNKNOWN, "");
  for (int i = 0; i < 50 && !resumed.ok(); ++i) {
    resumed = Put(replicas_[0].get(), "https://three.example", &third);
    if (!resumed.ok()) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(resumed.ok()) << resumed.error_message();
  EXPECT_EQ(third.revision(), 3);
  for (int i = 1; i < 3; ++i) {
    EXPECT_LT(TimeUntilServed(replicas_[i].get(), "https://three.example"), absl::Seconds(1))
        << "replica " << i;
  }
  for (auto& r : replicas_) {
    EXPECT_THAT(HttpGet(r->metrics_port(), "/metrics"), HasSubstr("corsd_store_up 1\n"));
  }
  watcher.reset();
}

}  // namespace
}  // namespace corsd::testing
