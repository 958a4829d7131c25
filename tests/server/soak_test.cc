// A one-minute soak of the whole system: three corsd replicas on one
// PostgreSQL database (each with --snapshot), two writers, one watching
// corsd::Client per replica and a checker per replica, while replicas are
// killed with SIGKILL and restarted on their ports and PostgreSQL is
// restarted once. Nothing may be lost or go backwards: at the end every
// acknowledged revision is what every replica serves and every watching
// client holds, no replica or watcher saw a tenant's revision decrease (per
// replica life), and every replica still running stops cleanly.
//
// The test owns its PostgreSQL server (it stops and starts it).
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "corsd/client.h"
#include "gmock/gmock.h"
#include "service/store/sql_policy_store.h"
#include "tests/server/owned_postgres.h"
#include "tests/support/corsd_process.h"
#include "tests/support/postgres_server.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

constexpr int kReplicas = 3;
constexpr int kTenants = 4;
constexpr absl::Duration kSoak = absl::Seconds(40);

std::string TenantName(int i) { return absl::StrCat("t", i); }

class SoakTest : public OwnedPostgresTest {
 protected:
  // Starts replica `i` (on its first ports again after the first start).
  void StartReplica(int i) {
    CorsdOptions options{.store_url = url_,
                         .dir = dir_.path(),
                         .extra_args = {"--snapshot", dir_.File(absl::StrCat("r", i, ".snapshot"))},
                         .name = absl::StrCat("replica", i, "-life", lives_[i]++)};
    if (!data_listen_[i].empty()) {
      options.data_listen = data_listen_[i];
      options.admin_listen = admin_listen_[i];
    }
    std::unique_ptr<CorsdProcess> started = CorsdProcess::Start(options);
    ASSERT_NE(started, nullptr);
    data_listen_[i] = started->data_address();
    admin_listen_[i] = started->admin_address();
    std::lock_guard lock(replicas_mu_);
    replicas_[i] = std::move(started);
    life_[i].fetch_add(1);
  }

  grpc::Status Put(int replica, const std::string& tenant, const std::string& origin,
                   int64_t* revision) {
    auto admin = v1::CorsAdmin::NewStub(
        grpc::CreateChannel(admin_listen_[replica], grpc::InsecureChannelCredentials()));
    v1::PolicyVersion written;
    grpc::Status status = PutOrigin(admin.get(), tenant, origin, &written);
    *revision = written.revision();
    return status;
  }

  // The revision a replica serves for `tenant`, through a stub that outlives
  // its restarts (same port); -1 when it does not answer.
  int64_t Served(v1::CorsDecision::Stub* stub, const std::string& tenant) {
    v1::CheckResponse response;
    return CheckOrigin(stub, tenant, "https://soak.example", &response, absl::Seconds(1)).ok()
               ? response.policy_revision()
               : -1;
  }

  std::mutex replicas_mu_;
  std::unique_ptr<CorsdProcess> replicas_[kReplicas];
  std::string data_listen_[kReplicas];
  std::string admin_listen_[kReplicas];
  int lives_[kReplicas] = {};
  std::atomic<int> life_[kReplicas] = {};
};

TEST_F(SoakTest, KillsAndAStoreRestartLoseNothingAndNothingGoesBackwards) {
  for (int i = 0; i < kReplicas; ++i) StartReplica(i);
  for (int t = 0; t < kTenants; ++t) {
    ASSERT_TRUE(replicas_[0]->CreateTenant(token_, TenantName(t)).ok());
  }

  // One watching client per replica.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kReplicas; ++i) {
    ClientOptions options;
    options.target = data_listen_[i];
    options.admin_target = admin_listen_[i];
    options.admin_token = token_;
    options.local_evaluation = true;
    options.reconnect_backoff_max = absl::Milliseconds(500);
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    clients.push_back(*std::move(client));
  }

  std::mutex acked_mu;
  std::map<std::string, int64_t> acked;  // tenant -> newest acknowledged revision
  std::atomic<bool> done{false};
  std::atomic<int> writes{0};
  std::atomic<int> refused{0};
  std::atomic<int> backwards{0};
  std::atomic<int> checks{0};
  std::vector<std::string> backwards_seen;
  std::mutex backwards_mu;
  auto went_backwards = [&](const std::string& what) {
    ++backwards;
    std::lock_guard lock(backwards_mu);
    if (backwards_seen.size() < 10) backwards_seen.push_back(what);
  };

  std::vector<std::thread> threads;
  // An assertion that ends the test early still stops and joins them (a
  // joinable std::thread would abort the whole binary instead of failing).
  absl::Cleanup stop_threads = [&] {
    done = true;
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  };
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 random(w);
      for (int n = 0; !done; ++n) {
        const std::string tenant = TenantName(random() % kTenants);
        int64_t revision = 0;
        grpc::Status status = Put(random() % kReplicas, tenant,
                                  absl::StrCat("https://w", w, "-", n, ".example"), &revision);
        if (!status.ok()) {
          ++refused;
          absl::SleepFor(absl::Milliseconds(20));
          continue;
        }
        ++writes;
        std::lock_guard lock(acked_mu);
        acked[tenant] = std::max(acked[tenant], revision);
      }
    });
  }
  // Per replica: what it serves never goes back within one life.
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::CorsDecision::NewStub(
          grpc::CreateChannel(data_listen_[i], grpc::InsecureChannelCredentials()));
      std::map<std::string, int64_t> last;
      int life = life_[i].load();
      while (!done) {
        if (life_[i].load() != life) {
          life = life_[i].load();
          last.clear();  // a new process: it may start from its snapshot
        }
        for (int t = 0; t < kTenants; ++t) {
          const int64_t served = Served(stub.get(), TenantName(t));
          if (served < 0 || life_[i].load() != life) continue;
          ++checks;
          int64_t& before = last[TenantName(t)];
          if (served < before) {
            went_backwards(
                absl::StrCat("replica ", i, " ", TenantName(t), ": ", before, " -> ", served));
          }
          before = std::max(before, served);
        }
        absl::SleepFor(absl::Milliseconds(5));
      }
    });
  }
  // Per watching client: what it holds never goes back.
  threads.emplace_back([&] {
    std::vector<std::map<std::string, int64_t>> last(kReplicas);
    while (!done) {
      for (int i = 0; i < kReplicas; ++i) {
        for (const auto& [tenant, revision] : clients[i]->local_status().revisions) {
          if (revision < last[i][tenant]) {
            went_backwards(
                absl::StrCat("client ", i, " ", tenant, ": ", last[i][tenant], " -> ", revision));
          }
          last[i][tenant] = std::max(last[i][tenant], revision);
        }
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });

  // The chaos: a SIGKILL and restart every few seconds, PostgreSQL
  // restarted once in the middle.
  int kills = 0;
  int store_restarts = 0;
  std::mt19937 random(7);
  const absl::Time end = absl::Now() + kSoak;
  bool store_restarted = false;
  while (absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(2500));
    if (!store_restarted && absl::Now() > end - kSoak / 2) {
      ASSERT_TRUE(postgres_->StopServer());
      absl::SleepFor(absl::Seconds(2));
      ASSERT_TRUE(postgres_->StartServer()) << postgres_->ServerLog();
      store_restarted = true;
      ++store_restarts;
      continue;
    }
    const int victim = random() % kReplicas;
    {
      std::lock_guard lock(replicas_mu_);
      replicas_[victim]->Kill();
    }
    ++kills;
    StartReplica(victim);
  }
  done = true;
  for (std::thread& t : threads) t.join();

  // Everything acknowledged is served by every replica and held by every
  // watching client.
  // A write can commit and lose its answer (its replica killed in between):
  // what must be served is the store's current revision, which is at least
  // every acknowledged one.
  std::map<std::string, int64_t> want;
  {
    absl::StatusOr<std::unique_ptr<store::SqlPolicyStore>> direct =
        store::OpenPostgresStore(url_, {});
    ASSERT_TRUE(direct.ok()) << direct.status();
    std::lock_guard lock(acked_mu);
    ASSERT_EQ(acked.size(), static_cast<size_t>(kTenants)) << "every tenant was written";
    for (const auto& [tenant, revision] : acked) {
      absl::StatusOr<store::PolicyRevisionRecord> current = (*direct)->GetPolicy(tenant);
      ASSERT_TRUE(current.ok()) << current.status();
      EXPECT_GE(current->revision, revision) << tenant << ": an acknowledged write was lost";
      want[tenant] = current->revision;
    }
  }
  int revisions_checked = 0;
  for (int i = 0; i < kReplicas; ++i) {
    auto stub = v1::CorsDecision::NewStub(
        grpc::CreateChannel(data_listen_[i], grpc::InsecureChannelCredentials()));
    for (const auto& [tenant, revision] : want) {
      int64_t served = -1;
      for (int attempt = 0; attempt < 200 && served != revision; ++attempt) {
        served = Served(stub.get(), tenant);
        if (served != revision) absl::SleepFor(absl::Milliseconds(50));
      }
      EXPECT_EQ(served, revision) << "replica " << i << " " << tenant;
      int64_t held = 0;
      for (int attempt = 0; attempt < 200 && held != revision; ++attempt) {
        auto revisions = clients[i]->local_status().revisions;
        held = revisions.count(tenant) ? revisions[tenant] : 0;
        if (held != revision) absl::SleepFor(absl::Milliseconds(50));
      }
      EXPECT_EQ(held, revision) << "client of replica " << i << " " << tenant;
      revisions_checked += 2;
    }
  }
  EXPECT_EQ(backwards.load(), 0) << ::testing::PrintToString(backwards_seen);
  EXPECT_GT(writes.load(), 100);
  EXPECT_GE(kills, 5);
  EXPECT_EQ(store_restarts, 1);
  clients.clear();
  for (auto& replica : replicas_) {
    EXPECT_TRUE(replica->running()) << replica->log();
    EXPECT_EQ(replica->Stop(), 0) << replica->log();
  }
  const std::string figures =
      absl::StrCat("writes acknowledged ", writes.load(), ", writes refused ", refused.load(),
                   ", replica kills ", kills, ", PostgreSQL restarts ", store_restarts, ", checks ",
                   checks.load(), ", final revisions checked ", revisions_checked);
  RecordProperty("soak", figures);
  std::cout << "soak: " << figures << "\n";
}

}  // namespace
}  // namespace corsd::testing
