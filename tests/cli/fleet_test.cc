// corsctl originset, apply and export against a real corsd: the fleet in
// examples/fleet applied, exported and applied back with no changes; set
// changes reaching Check; prune, dry-run, every invalid document listed, and
// a concurrent change stopping apply with exit 4.
#include <filesystem>
#include <fstream>

#include "admin-cli/exit_codes.h"
#include "gmock/gmock.h"
#include "tests/cli/corsctl_fixture.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::corsd::cli;  // exit codes

const std::string kFleet = std::string(CORSD_SOURCE_DIR) + "/examples/fleet";

class FleetTest : public CorsctlTest {
 protected:
  v1::Verdict Decide(const std::string& tenant, const std::string& origin) {
    v1::CheckResponse response;
    grpc::Status status = Check(Request(tenant, origin, "GET"), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.verdict();
  }

  // A directory of documents under this test's temp dir.
  std::string WriteFleet(const std::string& name, const std::map<std::string, std::string>& files) {
    const std::string dir = dir_.File(name);
    std::filesystem::create_directories(dir);
    for (const auto& [file, text] : files) std::ofstream(dir + "/" + file) << text;
    return dir;
  }
};

TEST_F(FleetTest, ApplyExportApplyRoundTripsTheExampleFleet) {
  ProgramResult dry = Ctl({"apply", "-f", kFleet, "--dry-run"});
  ASSERT_EQ(dry.exit_code, kExitOk) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("+ origin set first-party (3 origins)"));
  EXPECT_THAT(dry.out, HasSubstr("8 changes; dry run: nothing was written"));
  EXPECT_THAT(dry.out, Not(HasSubstr("\033["))) << "piped: no color";
  EXPECT_EQ(Ctl({"tenant", "get", "checkout"}).exit_code, kExitNotFound);

  ProgramResult applied = Ctl({"apply", "-f", kFleet});
  ASSERT_EQ(applied.exit_code, kExitOk) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("applied 8 changes"));
  // Decided with the resolved policies: the sets' origins and the rest.
  EXPECT_EQ(Decide("catalog", "https://pr-7.preview.example.com"), v1::ALLOW);
  EXPECT_EQ(Decide("catalog", "https://partner.example.net"), v1::ALLOW);
  EXPECT_EQ(Decide("checkout", "https://app.example.com"), v1::ALLOW);
  EXPECT_EQ(Decide("checkout", "https://staging.example.com"), v1::DENY);

  EXPECT_THAT(Ctl({"apply", "-f", kFleet}).out, HasSubstr("no changes (8 documents"));
  const std::string exported = dir_.File("exported");
  ProgramResult exporting = Ctl({"export", exported});
  ASSERT_EQ(exporting.exit_code, kExitOk) << exporting.err;
  EXPECT_THAT(exporting.out, HasSubstr("exported 2 origin sets and 3 tenants (3 with a policy)"));
  EXPECT_TRUE(std::filesystem::exists(exported + "/originsets/staging.yaml"));
  EXPECT_THAT(ReadFileOrEmpty(exported + "/tenants/catalog.yaml"), HasSubstr("\"@first-party\""));
  ProgramResult again = Ctl({"apply", "-f", exported});
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_THAT(again.out, HasSubstr("no changes"));
}

TEST_F(FleetTest, OriginSetCommandsChangeEveryReferencingTenant) {
  ASSERT_EQ(Ctl({"apply", "-f", kFleet}).exit_code, kExitOk);
  const std::string file = WriteFile("first-party.yaml", R"(description: now with the new web app
origins: [https://app.example.com, https://admin.example.com, https://web.example.com]
)");
  EXPECT_EQ(
      Ctl({"originset", "apply", "first-party", "-f", file, "--expected-revision", "7"}).exit_code,
      kExitConflict);
  ProgramResult applied = Ctl({"originset", "apply", "first-party", "-f", file,
                               "--expected-revision", "1", "--comment", "web launch"});
  ASSERT_EQ(applied.exit_code, kExitOk) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("origin set first-party is at revision 2 (3 origins)"));
  for (const std::string tenant : {"catalog", "checkout", "search"}) {
    EXPECT_EQ(Decide(tenant, "https://web.example.com"), v1::ALLOW) << tenant;
    EXPECT_EQ(Decide(tenant, "https://m.example.com"), v1::DENY) << tenant;
  }
  ProgramResult history = Ctl({"policy", "history", "search"});
  EXPECT_THAT(history.out, HasSubstr("origin set first-party revision 2; web launch"));

  ProgramResult got = Ctl({"originset", "get", "first-party"});
  ASSERT_EQ(got.exit_code, kExitOk) << got.err;
  EXPECT_THAT(got.out, HasSubstr("kind: OriginSet"));
  EXPECT_THAT(got.out, HasSubstr("https://web.example.com"));
  ProgramResult list = Ctl({"originset", "list"});
  EXPECT_THAT(list.out, HasSubstr("first-party  2"));
  EXPECT_THAT(list.out, HasSubstr("staging      1"));

  ProgramResult referenced = Ctl({"originset", "delete", "staging"});
  EXPECT_NE(referenced.exit_code, kExitOk);
  EXPECT_THAT(referenced.err, HasSubstr("catalog, search"));
  // A file may also be a bare list; a set cannot reference another.
  const std::string nested = WriteFile("nested.yaml", "[\"@staging\"]\n");
  ProgramResult refused = Ctl({"originset", "apply", "mixed", "-f", nested});
  EXPECT_EQ(refused.exit_code, kExitInvalid);
  EXPECT_THAT(refused.err, HasSubstr("origins[0]"));
}

// A set change gives every referencing tenant a new revision before the
// same apply writes their tenants and policies: that is not a conflict.
TEST_F(FleetTest, ASetAndThePoliciesReferencingItChangeInOneApply) {
  ASSERT_EQ(Ctl({"apply", "-f", kFleet}).exit_code, kExitOk);
  const std::string repo = dir_.File("repo");
  std::filesystem::copy(kFleet, repo, std::filesystem::copy_options::recursive);
  std::ofstream(repo + "/originsets/first-party.yaml", std::ios::app)
      << "  - https://web.example.com\n";
  std::string search = ReadFileOrEmpty(repo + "/tenants/search.yaml");
  search.replace(search.find("description: search API"), 23, "description: search API v2");
  search.replace(search.find("[GET, POST]"), 11, "[GET, POST, PUT]");
  std::ofstream(repo + "/tenants/search.yaml", std::ios::trunc) << search;

  ProgramResult applied = Ctl({"apply", "-f", repo});
  ASSERT_EQ(applied.exit_code, kExitOk) << applied.out << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("applied 3 changes"));
  EXPECT_EQ(Decide("search", "https://web.example.com"), v1::ALLOW);
  EXPECT_THAT(Ctl({"apply", "-f", repo}).out, HasSubstr("no changes"));
  // A new description alone resolves nothing again: no new revisions.
  const std::string before = Ctl({"policy", "history", "catalog"}).out;
  std::string set = ReadFileOrEmpty(repo + "/originsets/first-party.yaml");
  set.replace(set.find("description: "), 13, "description: renamed ");
  std::ofstream(repo + "/originsets/first-party.yaml", std::ios::trunc) << set;
  ASSERT_EQ(Ctl({"apply", "-f", repo}).exit_code, kExitOk);
  EXPECT_EQ(Ctl({"policy", "history", "catalog"}).out, before);
}

TEST_F(FleetTest, PruneDeletesWhatNoDocumentNamesAndDryRunWritesNothing) {
  ASSERT_EQ(Ctl({"apply", "-f", kFleet}).exit_code, kExitOk);
  const std::string small =
      WriteFleet("small", {{"sets.yaml", ReadFileOrEmpty(kFleet + "/originsets/first-party.yaml")},
                           {"search.yaml", R"(kind: Tenant
name: search
hosts: [search.api.example.com]
description: search API
---
kind: Policy
tenant: search
rules:
  - allowedOrigins: ["@first-party"]
    allowedMethods: [GET, POST]
)"}});
  ProgramResult dry = Ctl({"apply", "-f", small, "--prune", "--dry-run"});
  ASSERT_EQ(dry.exit_code, kExitOk) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("- tenant catalog (with its policy history)"));
  EXPECT_THAT(dry.out, HasSubstr("- origin set staging"));
  EXPECT_EQ(Ctl({"tenant", "get", "catalog"}).exit_code, kExitOk) << "dry run kept it";

  ProgramResult pruned = Ctl({"apply", "-f", small, "--prune"});
  ASSERT_EQ(pruned.exit_code, kExitOk) << pruned.err;
  EXPECT_EQ(Ctl({"tenant", "get", "catalog"}).exit_code, kExitNotFound);
  EXPECT_EQ(Ctl({"tenant", "get", "checkout"}).exit_code, kExitNotFound);
  EXPECT_EQ(Ctl({"originset", "get", "staging"}).exit_code, kExitNotFound);
  EXPECT_EQ(Decide("search", "https://staging.example.com"), v1::DENY);
  EXPECT_THAT(Ctl({"apply", "-f", small, "--prune"}).out, HasSubstr("no changes"));
}

TEST_F(FleetTest, InvalidDocumentsAreAllListedAndNothingIsApplied) {
  const std::string bad = WriteFleet("bad", {{"a.yaml", R"(kind: OriginSet
name: first-party
origins: [https://ok.example, https://UPPER.example]
---
kind: Tenant
name: Bad_Name
---
kind: Widget
name: x
)"},
                                             {"b.json", R"({"kind":"Policy","tenant":"shop",
"rules":[{"allowedOrigins":["@nowhere"]}]})"},
                                             {"c.yaml", R"(kind: Tenant
name: shop
)"}});
  ProgramResult refused = Ctl({"apply", "-f", bad});
  EXPECT_EQ(refused.exit_code, kExitInvalid);
  EXPECT_THAT(refused.err, HasSubstr("a.yaml#1: origins[1]: "));
  EXPECT_THAT(refused.err, HasSubstr("a.yaml#2: name: tenant name"));
  EXPECT_THAT(refused.err, HasSubstr("a.yaml#3: kind: \"Widget\" is unknown"));
  EXPECT_THAT(refused.err, HasSubstr("b.json#1: rules[0].allowed_origins[0]: origin set "
                                     "\"nowhere\" does not exist"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was applied"));
  EXPECT_EQ(Ctl({"tenant", "get", "shop"}).exit_code, kExitNotFound);
  EXPECT_EQ(Ctl({"originset", "get", "first-party"}).exit_code, kExitNotFound);
}

TEST_F(FleetTest, AConcurrentChangeStopsApplyWithExit4) {
  ASSERT_EQ(Ctl({"apply", "-f", kFleet}).exit_code, kExitOk);
  const std::string changed = WriteFleet("changed", {{"catalog.yaml", R"(kind: Policy
tenant: catalog
rules:
  - allowedOrigins: ["@first-party"]
    allowedMethods: [GET]
)"},
                                                     {"search.yaml", R"(kind: Policy
tenant: search
rules:
  - allowedOrigins: ["@first-party"]
    allowedMethods: [GET]
)"}});
  std::vector<std::string> argv = {BinaryDir() + "/corsctl",
                                   "--server",
                                   corsd_->admin_address(),
                                   "apply",
                                   "-f",
                                   changed,
                                   "--confirm"};
  // Between the diff and the writes, someone else changes search's policy.
  ProgramResult raced =
      RunConversation(argv,
                      {.prompt = "type yes to go on",
                       .answer =
                           [&] {
                             EXPECT_TRUE(PutPolicy("search", R"({"rules":[{"allowedOrigins":
                                  ["https://other.example"]}]})")
                                             .ok());
                             return std::string("yes\n");
                           }},
                      {{"CORSD_TOKEN", admin_token_}});
  EXPECT_EQ(raced.exit_code, kExitConflict) << raced.out << raced.err;
  EXPECT_THAT(raced.err, HasSubstr("apply stopped at the policy of search"));
  EXPECT_THAT(raced.err, HasSubstr("written: policy of catalog"));
  EXPECT_THAT(raced.err, HasSubstr("not written: policy of search"));
  EXPECT_EQ(Decide("search", "https://other.example"), v1::ALLOW) << "their change stands";
  EXPECT_EQ(Decide("catalog", "https://partner.example.net"), v1::DENY) << "ours was written";
}

}  // namespace
}  // namespace corsd::testing
