// corsd backup / restore against a real corsd on a real SQLite file: a backup
// taken while writes are being acknowledged holds every write acknowledged
// before it began; restore refuses while a corsd serves the database, and a
// corsd started on the restored file serves that state.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "tests/support/corsd_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_policies.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;

ProgramResult Corsd(std::vector<std::string> args) {
  args.insert(args.begin(), BinaryDir() + "/corsd");
  return RunProgram(args);
}

TEST(Backup, TakenUnderWriteLoadHoldsEveryWriteAcknowledgedBeforeIt) {
  TempDir dir;
  const std::string db = dir.File("corsd.db");
  const std::string token = CreateToken(db, "admin");
  auto corsd = CorsdProcess::Start({.db = db, .dir = dir.path(), .name = "original"});
  ASSERT_NE(corsd, nullptr);
  for (const char* tenant : {"a", "b"}) ASSERT_TRUE(corsd->CreateTenant(token, tenant).ok());

  // Two writers keep PutPolicy busy through the whole backup.
  std::mutex mu;
  std::map<std::string, int64_t> acknowledged;  // tenant -> newest acknowledged revision
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::vector<std::thread> writers;
  for (const char* tenant : {"a", "b"}) {
    writers.emplace_back([&, tenant = std::string(tenant)] {
      auto admin = corsd->AdminStub();
      for (int i = 0; !stop.load(); ++i) {
        grpc::ClientContext context;
        Authorize(&context, token, absl::Seconds(5));
        v1::PutPolicyRequest put;
        put.set_tenant(tenant);
        *put.mutable_policy() = PolicyFromJson(NumberedOriginPolicyJson(i));
        v1::PolicyVersion version;
        ASSERT_TRUE(admin->PutPolicy(&context, put, &version).ok());
        std::lock_guard<std::mutex> lock(mu);
        acknowledged[tenant] = version.revision();
        ++writes;
      }
    });
  }
  while (writes.load() < 20) absl::SleepFor(absl::Milliseconds(5));

  std::map<std::string, int64_t> before_backup;
  {
    std::lock_guard<std::mutex> lock(mu);
    before_backup = acknowledged;
  }
  const int writes_before = writes.load();
  const std::string backup = dir.File("backup.db");
  ProgramResult backed_up = Corsd({"backup", "--db", db, "--to", backup});
  const int writes_during = writes.load() - writes_before;
  stop = true;
  for (std::thread& t : writers) t.join();
  ASSERT_EQ(backed_up.exit_code, 0) << backed_up.err;
  EXPECT_GT(writes_during, 0) << "the writers must keep writing while the backup runs";
  EXPECT_THAT(backed_up.out, HasSubstr("integrity_check ok"));
  EXPECT_THAT(backed_up.out, HasSubstr("2 tenants"));

  // A running corsd holds the database: restore refuses and changes nothing.
  ProgramResult refused = Corsd({"restore", "--from", backup, "--db", db});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("a running corsd holds"));
  EXPECT_THAT(refused.err, HasSubstr("stop every corsd serving it first"));
  ASSERT_EQ(corsd->Stop(), 0);

  // Restored over the original (now stopped) database, and served.
  ProgramResult restored = Corsd({"restore", "--from", backup, "--db", db});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto again = CorsdProcess::Start({.db = db, .dir = dir.path(), .name = "restored"});
  ASSERT_NE(again, nullptr);
  auto admin = again->AdminStub();
  for (const auto& [tenant, revision] : before_backup) {
    std::set<int64_t> held;
    v1::ListPolicyRevisionsRequest list;
    list.set_tenant(tenant);
    list.set_page_size(100);
    do {
      grpc::ClientContext context;
      Authorize(&context, token);
      v1::ListPolicyRevisionsResponse page;
      ASSERT_TRUE(admin->ListPolicyRevisions(&context, list, &page).ok());
      for (const v1::PolicyVersion& v : page.revisions()) held.insert(v.revision());
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    for (int64_t r = 1; r <= revision; ++r) {
      EXPECT_TRUE(held.count(r)) << "tenant " << tenant << " lost acknowledged revision " << r;
    }
  }
  EXPECT_EQ(again->Stop(), 0);
  RecordProperty("writes_during_backup", writes_during);
}

TEST(Backup, RefusesWhatIsNotACorsdDatabase) {
  TempDir dir;
  const std::string not_a_db = dir.File("notes.txt");
  ASSERT_EQ(RunProgram({"/bin/sh", "-c", "echo hello > " + not_a_db}).exit_code, 0);
  ProgramResult restored = Corsd({"restore", "--from", not_a_db, "--db", dir.File("corsd.db")});
  EXPECT_EQ(restored.exit_code, 1);
  EXPECT_THAT(restored.err, HasSubstr("not a readable SQLite database"));
  ProgramResult missing =
      Corsd({"backup", "--db", dir.File("missing.db"), "--to", dir.File("b.db")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no database at"));
  ProgramResult usage = Corsd({"backup", "--db", dir.File("x.db")});
  EXPECT_NE(usage.exit_code, 0);
  EXPECT_THAT(usage.err, HasSubstr("--to is required"));
}

}  // namespace
}  // namespace corsd::testing
