// corsd-bench, corsd-bench-populate and corsd-bench-client against a real
// corsd on loopback, with short runs: the numbers are not judged (benchmarks
// are not tests), but what the tools count and report must be right.
#include <gtest/gtest.h>

#include <fstream>

#include "nlohmann/json.hpp"
#include "tests/support/corsd_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

std::string Tool(const std::string& name) { return BinaryDir() + "/" + name; }

nlohmann::json ReadJson(const std::string& path) {
  nlohmann::json json = nlohmann::json::parse(ReadFileOrEmpty(path), nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << path << ": " << ReadFileOrEmpty(path);
  return json;
}

class BenchToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgramResult populate =
        RunProgram({Tool("corsd-bench-populate"), "--db", dir_.File("corsd.db"), "--tenants", "3"});
    ASSERT_EQ(populate.exit_code, 0) << populate.err;
    EXPECT_NE(populate.out.find("populated 4 tenants"), std::string::npos) << populate.out;
    token_ = CreateToken(dir_.File("corsd.db"), "admin");
    corsd_ = CorsdProcess::Start({.db = dir_.File("corsd.db"), .dir = dir_.path()});
  }
  void TearDown() override { EXPECT_EQ(corsd_->Stop(), 0); }

  ProgramResult Bench(std::vector<std::string> args) {
    args.insert(args.begin(), {Tool("corsd-bench"), "--target", corsd_->data_address()});
    return RunProgram(args, "", {}, absl::Seconds(60));
  }
  ProgramResult BenchClient(std::vector<std::string> args) {
    args.insert(args.begin(), {Tool("corsd-bench-client"), "--data", corsd_->data_address(),
                               "--admin", corsd_->admin_address()});
    return RunProgram(args, "", {{"CORSD_TOKEN", token_}}, absl::Seconds(60));
  }

  TempDir dir_;
  std::string token_;
  std::unique_ptr<CorsdProcess> corsd_;
};

TEST_F(BenchToolsTest, ClosedLoopCountsEveryCallAndVerdictOfTheMixedScenario) {
  ProgramResult run =
      Bench({"--tenant", "bench", "--scenario", "mixed", "--requests", "1000", "--concurrency", "8",
             "--warmup", "0s", "--json", dir_.File("out.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json out = ReadJson(dir_.File("out.json"));
  const nlohmann::json& check = out["check"];
  EXPECT_EQ(check["calls"], 1000);
  EXPECT_EQ(check["status_counts"]["0"], 1000);
  // The mix is 40% allowed actual + 20% allowed preflight, cycled exactly.
  EXPECT_EQ(check["labels"]["ALLOW"], 600);
  EXPECT_EQ(check["labels"]["DENY"], 400);
  EXPECT_GT(check["throughput"].get<double>(), 0);
  EXPECT_LE(check["p50_us"].get<double>(), check["p99_us"].get<double>());
  EXPECT_LE(check["p99_us"].get<double>(), check["max_us"].get<double>());
}

TEST_F(BenchToolsTest, EachBuiltInScenarioGetsTheVerdictItNames) {
  const std::pair<const char*, const char*> expected[] = {{"actual-allowed", "ALLOW"},
                                                          {"actual-denied", "DENY"},
                                                          {"preflight-allowed", "ALLOW"},
                                                          {"preflight-denied", "DENY"},
                                                          {"unknown-origin", "DENY"}};
  for (const auto& [scenario, verdict] : expected) {
    ProgramResult run = Bench({"--tenant", "bench", "--scenario", scenario, "--requests", "50",
                               "--warmup", "0s", "--json", dir_.File("s.json")});
    ASSERT_EQ(run.exit_code, 0) << scenario << ": " << run.err;
    EXPECT_EQ(ReadJson(dir_.File("s.json"))["check"]["labels"][verdict], 50) << scenario;
  }
  ProgramResult many = Bench({"--scenario", "many-tenants", "--tenants", "3", "--requests", "100",
                              "--warmup", "0s", "--json", dir_.File("m.json")});
  ASSERT_EQ(many.exit_code, 0) << many.err;
  EXPECT_EQ(ReadJson(dir_.File("m.json"))["check"]["labels"]["ALLOW"], 100);
}

TEST_F(BenchToolsTest, ScenarioFileWeightsTheMix) {
  std::ofstream(dir_.File("mix.json")) << R"([
    {"weight": 3, "request": {"tenant": "bench", "origin": "https://app.example.com", "method": "GET"}},
    {"weight": 1, "request": {"tenant": "bench", "origin": "https://evil.example", "method": "GET"}}
  ])";
  ProgramResult run = Bench({"--scenario-file", dir_.File("mix.json"), "--requests", "400",
                             "--warmup", "0s", "--json", dir_.File("f.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json labels = ReadJson(dir_.File("f.json"))["check"]["labels"];
  EXPECT_EQ(labels["ALLOW"], 300);
  EXPECT_EQ(labels["DENY"], 100);

  for (const char* bad :
       {R"([])", R"({"tenant": "bench"})", R"([{"weight": 0, "request": {}}])",
        R"([{"weight": "3", "request": {}}])", R"([{"request": {"nope": 1}}])", "not json"}) {
    std::ofstream(dir_.File("bad.json")) << bad;
    ProgramResult rejected = Bench({"--scenario-file", dir_.File("bad.json"), "--requests", "1"});
    EXPECT_EQ(rejected.exit_code, 2) << bad << "\n" << rejected.err;
    EXPECT_NE(rejected.err.find("bad.json"), std::string::npos) << rejected.err;
  }
}

TEST_F(BenchToolsTest, CompareAlternatesCheckAndHealthAndPrintsTheRatio) {
  ProgramResult run = Bench({"--tenant", "bench", "--compare", "--requests", "400", "--rounds", "2",
                             "--warmup", "0s", "--json", dir_.File("c.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("ratio: "), std::string::npos) << run.out;
  nlohmann::json out = ReadJson(dir_.File("c.json"));
  EXPECT_EQ(out["check"]["calls"], 400);
  EXPECT_EQ(out["health"]["calls"], 400);
  EXPECT_EQ(out["health"]["status_counts"]["0"], 400);
  const double ratio = out["ratio"];
  EXPECT_NEAR(ratio,
              out["check"]["throughput"].get<double>() / out["health"]["throughput"].get<double>(),
              1e-9);
}

TEST_F(BenchToolsTest, OpenLoopIssuesAtTheRequestedRate) {
  ProgramResult run = Bench({"--tenant", "bench", "--rps", "400", "--requests", "200", "--warmup",
                             "0s", "--json", dir_.File("o.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json check = ReadJson(dir_.File("o.json"))["check"];
  EXPECT_EQ(check["calls"], 200);
  EXPECT_FALSE(check["overloaded"].get<bool>());
  // 200 calls at 400/s are due over 0.5 s; the run cannot be much shorter.
  EXPECT_GE(check["seconds"].get<double>(), 0.45);
}

TEST_F(BenchToolsTest, MistakesGetAClearMessageAndExitCode) {
  ProgramResult scenario = Bench({"--scenario", "nope", "--requests", "1"});
  EXPECT_EQ(scenario.exit_code, 2);
  EXPECT_NE(scenario.err.find("unknown scenario"), std::string::npos) << scenario.err;

  ProgramResult tenant = Bench({"--tenant", "missing", "--requests", "1", "--warmup", "0s"});
  EXPECT_EQ(tenant.exit_code, 1);
  EXPECT_NE(tenant.err.find("corsd-bench-populate"), std::string::npos) << tenant.err;

  ProgramResult unreachable =
      RunProgram({Tool("corsd-bench"), "--target", "127.0.0.1:1", "--requests", "1"});
  EXPECT_EQ(unreachable.exit_code, 6);
  EXPECT_NE(unreachable.err.find("cannot connect"), std::string::npos) << unreachable.err;

  ProgramResult help = RunProgram({Tool("corsd-bench"), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--compare"), std::string::npos);
}

TEST_F(BenchToolsTest, ClientBenchMeasuresLocalRemotePropagationAndWrites) {
  ProgramResult local = BenchClient(
      {"--json", dir_.File("l.json"), "local-vs-remote", "--duration", "400ms", "--rounds", "1"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  nlohmann::json l = ReadJson(dir_.File("l.json"));
  for (const char* kind : {"actual", "preflight"}) {
    EXPECT_GT(l[kind]["local_decisions"].get<uint64_t>(), 0u) << kind;
    EXPECT_GT(l[kind]["remote"]["count"].get<uint64_t>(), 0u) << kind;
  }
  EXPECT_GT(l["ratio"].get<double>(), 1.0);  // a round trip is never faster than in-process

  ProgramResult propagation =
      BenchClient({"--json", dir_.File("p.json"), "propagation", "--updates", "5"});
  ASSERT_EQ(propagation.exit_code, 0) << propagation.err;
  EXPECT_EQ(ReadJson(dir_.File("p.json"))["propagation"]["count"], 5);

  ProgramResult put = BenchClient({"--json", dir_.File("w.json"), "put-throughput", "--duration",
                                   "300ms", "--fsync-probe", dir_.path()});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  nlohmann::json w = ReadJson(dir_.File("w.json"));
  EXPECT_GT(w["latency"]["count"].get<uint64_t>(), 0u);
  EXPECT_GT(w["fsync"]["count"].get<uint64_t>(), 0u);
}

TEST_F(BenchToolsTest, ClientBenchWithoutATokenSaysSo) {
  ProgramResult run =
      RunProgram({Tool("corsd-bench-client"), "--data", corsd_->data_address(), "--admin",
                  corsd_->admin_address(), "propagation", "--updates", "1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_FALSE(run.err.empty());
}

}  // namespace
}  // namespace corsd::testing
