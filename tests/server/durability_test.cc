// Every acknowledged write survives a crash: kill -9 corsd while writes are
// being acknowledged, restart it on the same file, and find each
// acknowledged revision intact, the history without gaps and the database
// passing PRAGMA integrity_check.
#include <signal.h>

#include <atomic>
#include <map>

#include "gmock/gmock.h"
#include "service/store/sqlite_database.h"
#include "tests/support/server_fixture.h"
#include "tests/support/test_policies.h"

namespace corsd::testing {
namespace {

TEST(Durability, AcknowledgedWritesSurviveKillNine) {
  TempDir dir;
  const std::string db = dir.File("corsd.db");
  const std::string token = CreateToken(db, "admin");
  auto corsd = CorsdProcess::Start({.db = db, .dir = dir.path(), .name = "first"});
  ASSERT_NE(corsd, nullptr);
  ASSERT_TRUE(corsd->CreateTenant(token, "shop").ok());

  std::mutex mu;
  std::map<int64_t, std::string> acknowledged;  // revision -> origin written
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto admin = corsd->AdminStub();
    for (int i = 0; !stop.load(); ++i) {
      grpc::ClientContext context;
      Authorize(&context, token, absl::Seconds(2));
      v1::PutPolicyRequest put;
      put.set_tenant("shop");
      *put.mutable_policy() = PolicyFromJson(NumberedOriginPolicyJson(i));
      v1::PolicyVersion version;
      if (!admin->PutPolicy(&context, put, &version).ok()) return;  // the server is gone
      std::lock_guard<std::mutex> lock(mu);
      acknowledged[version.revision()] = "https://w" + std::to_string(i) + ".example";
    }
  });
  // Let a few dozen writes be acknowledged, then pull the plug mid-stream.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (acknowledged.size() >= 40) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  corsd->Kill();
  stop = true;
  writer.join();
  ASSERT_GE(acknowledged.size(), 40u);

  auto restarted = CorsdProcess::Start({.db = db, .dir = dir.path(), .name = "second"});
  ASSERT_NE(restarted, nullptr);
  grpc::ClientContext context;
  Authorize(&context, token);
  v1::ListPolicyRevisionsRequest list;
  list.set_tenant("shop");
  list.set_page_size(1000);
  v1::ListPolicyRevisionsResponse history;
  ASSERT_TRUE(restarted->AdminStub()->ListPolicyRevisions(&context, list, &history).ok());
  std::map<int64_t, std::string> stored;
  for (const auto& version : history.revisions()) {
    stored[version.revision()] = version.policy().rules(0).allowed_origins(0);
  }
  for (const auto& [revision, origin] : acknowledged) {
    ASSERT_TRUE(stored.contains(revision)) << "acknowledged revision " << revision << " lost";
    EXPECT_EQ(stored[revision], origin);
  }
  int64_t expected = 1;
  for (const auto& [revision, origin] : stored) EXPECT_EQ(revision, expected++) << "gap";

  // The restarted server serves the newest durable revision.
  v1::CheckRequest check;
  check.set_tenant("shop");
  check.set_origin(stored.rbegin()->second);
  check.set_method("GET");
  v1::CheckResponse response;
  grpc::ClientContext check_context;
  ASSERT_TRUE(restarted->DecisionStub()->Check(&check_context, check, &response).ok());
  EXPECT_EQ(response.verdict(), v1::ALLOW);
  EXPECT_EQ(response.policy_revision(), stored.rbegin()->first);
  EXPECT_EQ(restarted->Stop(), 0);

  auto connection = store::SqliteDatabase::Open(db);
  ASSERT_TRUE(connection.ok());
  store::SqliteStatement integrity = (*connection)->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(integrity.Step().value_or(false));
  EXPECT_EQ(integrity.Text(0), "ok");
}

}  // namespace
}  // namespace corsd::testing
