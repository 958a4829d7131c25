// Fail static, as an operator meets it: corsd replicas on PostgreSQL, each
// with --snapshot. PostgreSQL stops; a replica restarted now serves Check
// from its snapshot (data port SERVING, admin NOT_SERVING, writes refused
// with UNAVAILABLE, corsd_serving_from_snapshot 1); one whose snapshot is
// damaged says so and serves nothing, without exiting. PostgreSQL comes
// back; a change another replica makes then reaches the restarted ones and
// their watchers through the change feed.
//
// The test owns its PostgreSQL server (it stops and starts it).
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "service/snapshot/snapshot_file.h"
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

class FailStaticTest : public OwnedPostgresTest {
 protected:
  std::unique_ptr<CorsdProcess> StartReplica(const std::string& name) {
    return CorsdProcess::Start({.store_url = url_,
                                .dir = dir_.path(),
                                .extra_args = {"--snapshot", SnapshotPath(name)},
                                .name = name});
  }
  std::string SnapshotPath(const std::string& name) { return dir_.File(name + ".snapshot"); }

  grpc::Status Put(CorsdProcess* replica, const std::string& origin) {
    return PutOrigin(replica->AdminStub().get(), "shop", origin);
  }

  // Check on `replica`; the status code, and the verdict when OK.
  std::pair<grpc::StatusCode, v1::Verdict> Check(CorsdProcess* replica, const std::string& origin) {
    v1::CheckResponse response;
    grpc::Status status = CheckOrigin(replica->DecisionStub().get(), "shop", origin, &response);
    return {status.error_code(), response.verdict()};
  }

  bool WaitUntilAllowed(CorsdProcess* replica, const std::string& origin) {
    for (int i = 0; i < 300; ++i) {
      if (Check(replica, origin).second == v1::ALLOW) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  // Waits until the snapshot file holds `revision` of shop.
  bool WaitForSnapshot(const std::string& path, int64_t revision) {
    for (int i = 0; i < 300; ++i) {
      absl::StatusOr<v1::Snapshot> snapshot = snapshot::ReadSnapshotFile(path);
      if (snapshot.ok()) {
        for (const v1::PolicyEvent& event : snapshot->policies()) {
          if (event.tenant() == "shop" && event.version().revision() == revision) return true;
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }
};

TEST_F(FailStaticTest, ARestartDuringAStoreOutageServesTheSnapshotAndCatchesUp) {
  auto a = StartReplica("a");
  auto b = StartReplica("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->CreateTenant(token_, "shop").ok());
  ASSERT_TRUE(Put(a.get(), "https://one.example").ok());
  ASSERT_TRUE(WaitForSnapshot(SnapshotPath("a"), 1));
  // A damaged snapshot for a third replica: cut in the middle.
  std::filesystem::copy_file(SnapshotPath("a"), SnapshotPath("c"));
  std::filesystem::resize_file(SnapshotPath("c"),
                               std::filesystem::file_size(SnapshotPath("c")) - 3);

  ASSERT_TRUE(postgres_->StopServer());
  a->Kill();
  a = StartReplica("a");  // starts although PostgreSQL is down
  ASSERT_NE(a, nullptr);
  auto c = StartReplica("c");
  ASSERT_NE(c, nullptr);

  // a decides from its snapshot; its data port says SERVING, its admin port
  // NOT_SERVING, and writes are refused with UNAVAILABLE.
  EXPECT_EQ(Check(a.get(), "https://one.example"), std::make_pair(grpc::StatusCode::OK, v1::ALLOW));
  EXPECT_EQ(Check(a.get(), "https://evil.example").second, v1::DENY);
  EXPECT_EQ(Health(a.get(), a->data_port(), "corsd.v1.CorsDecision"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(a.get(), a->admin_port(), "corsd.v1.CorsAdmin"),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Put(a.get(), "https://two.example").error_code(), grpc::StatusCode::UNAVAILABLE);
  const std::string metrics = HttpGet(a->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("corsd_serving_from_snapshot 1"));
  EXPECT_THAT(metrics, HasSubstr("corsd_snapshot_age_seconds"));
  EXPECT_THAT(a->log(), HasSubstr("\"serving_from_snapshot\""));

  // c's snapshot is refused, with the reason; it serves nothing, not even
  // part of the file, and is still up.
  EXPECT_THAT(c->log(), HasSubstr("truncated"));
  EXPECT_NE(Check(c.get(), "https://one.example").first, grpc::StatusCode::OK);
  EXPECT_EQ(Health(c.get(), c->data_port(), "corsd.v1.CorsDecision"),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(c->running());

  // PostgreSQL returns; b (which never stopped) writes revision 2.
  ASSERT_TRUE(postgres_->StartServer()) << postgres_->ServerLog();
  grpc::Status put;
  for (int i = 0; i < 200; ++i) {
    put = Put(b.get(), "https://two.example");
    if (put.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(put.ok()) << put.error_message();
  EXPECT_TRUE(WaitUntilAllowed(a.get(), "https://two.example")) << a->log();
  EXPECT_TRUE(WaitUntilAllowed(c.get(), "https://two.example")) << c->log();
  EXPECT_EQ(Health(a.get(), a->admin_port(), "corsd.v1.CorsAdmin"), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(c.get(), c->data_port(), "corsd.v1.CorsDecision"), HealthCheckResponse::SERVING);
  const std::string after = HttpGet(a->metrics_port(), "/metrics");
  EXPECT_THAT(after, HasSubstr("corsd_serving_from_snapshot 0"));
  EXPECT_THAT(after, HasSubstr("corsd_feed_reloads_total 0")) << "caught up through the feed";
  // Its watchers see the change, and its snapshot holds it.
  Watcher watcher(a->AdminStub().get(), token_, {"shop"});
  std::vector<v1::PolicyEvent> events = watcher.WaitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].version().revision(), 2);
  EXPECT_TRUE(WaitForSnapshot(SnapshotPath("a"), 2));

  for (auto* replica : {a.get(), b.get(), c.get()}) EXPECT_EQ(replica->Stop(), 0) << replica->log();
}

// Without a snapshot, a replica started during the outage does not exit:
// it reports NOT_SERVING, logs why, and serves once the store answers.
TEST_F(FailStaticTest, WithoutASnapshotARestartWaitsForTheStore) {
  ASSERT_TRUE(postgres_->StopServer());
  auto lone = CorsdProcess::Start({.store_url = url_, .dir = dir_.path(), .name = "lone"});
  ASSERT_NE(lone, nullptr);
  EXPECT_EQ(Health(lone.get(), lone->data_port(), "corsd.v1.CorsDecision"),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_THAT(lone->log(), HasSubstr("store_unreachable_at_start"));
  EXPECT_EQ(Check(lone.get(), "https://one.example").first, grpc::StatusCode::UNAVAILABLE)
      << "no policies is not the same as no tenant";
  ASSERT_TRUE(postgres_->StartServer()) << postgres_->ServerLog();
  for (int i = 0; i < 300 && Health(lone.get(), lone->data_port(), "corsd.v1.CorsDecision") !=
                                 HealthCheckResponse::SERVING;
       ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(Health(lone.get(), lone->data_port(), "corsd.v1.CorsDecision"),
            HealthCheckResponse::SERVING);
  ASSERT_TRUE(lone->CreateTenant(token_, "shop").ok());
  ASSERT_TRUE(Put(lone.get(), "https://one.example").ok());
  EXPECT_EQ(Check(lone.get(), "https://one.example").second, v1::ALLOW);
  EXPECT_EQ(lone->Stop(), 0) << lone->log();
}

// Waiting is for a store that does not answer. One that answers "no" (here:
// the database does not exist) will not change its mind: corsd exits at
// start and says why.
TEST_F(FailStaticTest, AStoreThatRefusesIsNotWaitedFor) {
  const std::string missing = url_.substr(0, url_.rfind('/')) + "/no_such_database";
  ProgramResult serve = RunProgram({BinaryDir() + "/corsd", "serve", "--store", missing, "--listen",
                                    "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"});
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_THAT(serve.err, HasSubstr("refused the connection"));
  EXPECT_THAT(serve.err, HasSubstr("does not exist"));
}

}  // namespace
}  // namespace corsd::testing
