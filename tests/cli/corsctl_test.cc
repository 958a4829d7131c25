// The real corsctl binary against a real corsd: output, exit codes, policy
// files in JSON and YAML, stdin, round trips, conflicts, auth and outages.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "admin-cli/exit_codes.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "tests/cli/corsctl_fixture.h"
#include "tests/support/pki.h"
#include "tests/support/temp_dir.h"

namespace corsd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kYamlPolicy[] = R"(# a comment
rules:
  - pathPrefix: ""
    allowedOrigins:
      - https://app.example.com
      - null            # the opaque origin, as a string
    allowedMethods: [PUT, DELETE]
    allowedHeaders: [content-type]
    maxAgeSeconds: 600
  - pathPrefix: /public
    allowedOrigins: ["*"]
)";

TEST_F(CorsctlTest, TenantCommandsAndExitCodes) {
  ProgramResult created =
      Ctl({"tenant", "create", "shop", "--host", "Shop.Example.com", "--description", "the shop"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("hosts:       shop.example.com"));
  EXPECT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 4) << "already exists = conflict";
  EXPECT_EQ(Ctl({"tenant", "get", "nope"}).exit_code, 3);
  EXPECT_EQ(Ctl({"tenant", "create", "Bad_Name"}).exit_code, 1);

  // Update keeps what is not given.
  ProgramResult updated = Ctl({"tenant", "update", "shop", "--description", "new text"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_THAT(updated.out, HasSubstr("shop.example.com"));
  EXPECT_THAT(updated.out, HasSubstr("new text"));
  updated = Ctl({"tenant", "update", "shop", "--host", "a.example", "--host", "b.example"});
  EXPECT_THAT(updated.out, HasSubstr("a.example, b.example"));

  ProgramResult list = Ctl({"tenant", "list"});
  EXPECT_THAT(list.out, HasSubstr("NAME"));
  EXPECT_THAT(list.out, HasSubstr("shop  0         a.example,b.example  new text"));
  ProgramResult json = Ctl({"tenant", "list", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0);
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["tenants"][0]["name"], "shop");

  EXPECT_EQ(Ctl({"tenant", "delete", "shop"}).exit_code, 0);
  EXPECT_EQ(Ctl({"tenant", "delete", "shop"}).exit_code, 3);
}

// A policy with its own tests, both passing.
constexpr char kTestedYaml[] = R"(rules:
  - allowedOrigins: [https://app.example.com]
    allowedMethods: [PUT]
tests:
  - name: app-may-put
    request:
      origin: https://app.example.com
      method: OPTIONS
      headers: [{name: Access-Control-Request-Method, value: PUT}]
    expect: ALLOW
    expectHeaders: [{name: Access-Control-Allow-Origin, value: https://app.example.com}]
  - name: evil-denied
    request: {origin: https://evil.example, method: GET}
    expect: DENY
)";

TEST_F(CorsctlTest, ApplyYamlThenRoundTripChangesNothing) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  std::string yaml = WriteFile("policy.yaml", kYamlPolicy);
  ProgramResult applied = Ctl({"policy", "apply", "shop", "-f", yaml, "--comment", "first"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("+ rule \"\" (default)"));
  EXPECT_THAT(applied.out, HasSubstr("+ allowed_origins: null"));
  EXPECT_THAT(applied.out, HasSubstr("~ max_age_seconds: 0 -> 600"));
  EXPECT_THAT(applied.out, HasSubstr("applied revision 1 to tenant shop"));
  // Output is not a terminal: no color codes.
  EXPECT_THAT(applied.out, Not(HasSubstr("\033[")));

  ProgramResult got = Ctl({"policy", "get", "shop", "-o", "json"});
  ASSERT_EQ(got.exit_code, 0);
  std::string json = WriteFile("p.json", got.out);
  ProgramResult again = Ctl({"policy", "apply", "shop", "-f", json});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("unchanged (revision 1); nothing applied"));
  ProgramResult history = Ctl({"policy", "history", "shop"});
  EXPECT_THAT(history.out, HasSubstr("1         "));
  EXPECT_THAT(history.out, Not(HasSubstr("\n2 ")));
}

TEST_F(CorsctlTest, ApplyFromStdinShowsADiff) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  ProgramResult applied =
      Ctl({"policy", "apply", "shop", "-f", "-"},
          R"({"rules":[{"allowedOrigins":["https://app.example.com","https://new.example"],
                    "allowedMethods":["PUT"],"maxAgeSeconds":60}]})");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("~ rule \"\" (default)"));
  EXPECT_THAT(applied.out, HasSubstr("    + allowed_origins: https://new.example"));
  EXPECT_THAT(applied.out, HasSubstr("    - allowed_origins: https://*.partner.example"));
  EXPECT_THAT(applied.out, HasSubstr("    - allowed_methods: DELETE"));
  EXPECT_THAT(applied.out, HasSubstr("    ~ max_age_seconds: 600 -> 60"));
  EXPECT_THAT(applied.out, HasSubstr("    ~ allow_credentials: true -> false"));
  EXPECT_THAT(applied.out, HasSubstr("applied revision 2"));
}

TEST_F(CorsctlTest, DryRunAndDiffStoreNothing) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  std::string yaml = WriteFile("policy.yaml", kYamlPolicy);
  ProgramResult dry = Ctl({"policy", "apply", "shop", "-f", yaml, "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("dry run: nothing applied"));
  ProgramResult diff = Ctl({"policy", "diff", "shop", "-f", yaml});
  EXPECT_EQ(diff.exit_code, 0);
  EXPECT_THAT(diff.out, HasSubstr("changes against revision 0"));
  EXPECT_EQ(Ctl({"policy", "get", "shop"}).exit_code, 3) << "still no policy";
}

TEST_F(CorsctlTest, InvalidFileListsEveryViolation) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  std::string bad = WriteFile("bad.json", R"({"rules":[{
      "allowedOrigins":["https://*.com","HTTPS://A.COM","*"],
      "allowCredentials":true,"allowedMethods":["TRACE"],"preflightStatus":302}]})");
  ProgramResult applied = Ctl({"policy", "apply", "shop", "-f", bad});
  EXPECT_EQ(applied.exit_code, 1);
  EXPECT_THAT(applied.err, HasSubstr("has 5 violations; nothing was applied"));
  for (const char* field :
       {"rules[0].allowed_origins[0]", "rules[0].allowed_origins[1]", "rules[0].allowed_origins[2]",
        "rules[0].allowed_methods[0]", "rules[0].preflight_status"}) {
    EXPECT_THAT(applied.err, HasSubstr(field));
  }
  EXPECT_THAT(applied.err, HasSubstr("write \"https://a.com\""));
  ProgramResult validate = Ctl({"policy", "validate", "-f", bad});
  EXPECT_EQ(validate.exit_code, 1);
  ProgramResult json = Ctl({"policy", "validate", "-f", bad, "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(json.out)["violations"].size(), 5u);
  EXPECT_EQ(Ctl({"policy", "get", "shop"}).exit_code, 3);
}

TEST_F(CorsctlTest, UnknownFieldsAndBadSyntaxAreNamed) {
  ProgramResult unknown = Ctl({"policy", "validate", "-f", "-"},
                              R"({"rules":[{"allowedOrigin":["https://a.example"]}]})");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("allowedOrigin"));
  ProgramResult yaml = Ctl({"policy", "validate", "-f", "-"}, "rules:\n  - [unbalanced\n");
  EXPECT_EQ(yaml.exit_code, 1);
  EXPECT_THAT(yaml.err, HasSubstr("YAML"));
  EXPECT_EQ(Ctl({"policy", "validate", "-f", dir_.File("missing.json")}).exit_code, 1);
  // Protobuf would silently drop a bare null list item; corsctl refuses it.
  ProgramResult null_item = Ctl({"policy", "validate", "-f", "-"},
                                R"({"rules":[{"allowedOrigins":["https://a.example",null]}]})");
  EXPECT_EQ(null_item.exit_code, 1);
  EXPECT_THAT(null_item.err, HasSubstr("rules[0].allowedOrigins[1] is null"));
}

TEST_F(CorsctlTest, HostileFilesAreRefusedNotACrash) {
  // 100,000 levels used to overflow the stack in the JSON checks.
  const std::string deep_json =
      "{\"rules\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  ProgramResult json = Ctl({"policy", "validate", "-f", "-"}, deep_json);
  EXPECT_EQ(json.exit_code, 1) << json.err;
  EXPECT_THAT(json.err, HasSubstr("nested more than 32 levels deep"));

  const std::string deep_yaml = "rules: " + std::string(40, '[') + std::string(40, ']') + "\n";
  ProgramResult yaml = Ctl({"policy", "validate", "-f", "-"}, deep_yaml);
  EXPECT_EQ(yaml.exit_code, 1) << yaml.err;
  EXPECT_THAT(yaml.err, HasSubstr("nested more than 32 levels deep"));

  // Found by fuzz_policy_file: YAML passes any bytes through, JSON cannot hold them.
  ProgramResult latin1 = Ctl({"policy", "validate", "-f", "-"},
                             "rules:\n  - allowedOrigins: [\"https://caf\xe9.example\"]\n");
  EXPECT_EQ(latin1.exit_code, 1) << latin1.err;
  EXPECT_THAT(latin1.err, HasSubstr("not valid UTF-8"));
}

TEST_F(CorsctlTest, AliasBombsAndHugeFilesAreRefusedQuickly) {
  // "Billion laughs": nine levels of nine aliases, 9^9 values from ~500 bytes.
  std::string bomb =
      "a: &a [\"https://a.example\",\"https://a.example\",\"https://a.example\","
      "\"https://a.example\",\"https://a.example\",\"https://a.example\","
      "\"https://a.example\",\"https://a.example\",\"https://a.example\"]\n";
  const std::string levels = "abcdefghi";
  for (size_t i = 1; i < levels.size(); ++i) {
    const char prev = levels[i - 1];
    bomb += std::string(1, levels[i]) + ": &" + levels[i] + " [";
    for (int k = 0; k < 9; ++k) bomb += std::string(k ? "," : "") + "*" + prev;
    bomb += "]\n";
  }
  bomb += "rules: [{allowedOrigins: *i}]\n";
  ASSERT_LT(bomb.size(), 700u);
  ProgramResult result = Ctl({"policy", "validate", "-f", "-"}, bomb);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("expands to more than 1000000 values"));
  EXPECT_LT(result.took, absl::Seconds(10));

  const std::string huge = "rules: []\n#" + std::string(17 << 20, 'x') + "\n";
  ProgramResult too_large = Ctl({"policy", "validate", "-f", WriteFile("huge.yaml", huge)});
  EXPECT_EQ(too_large.exit_code, 1);
  EXPECT_THAT(too_large.err, HasSubstr("is larger than 16 MiB"));
}

// Descriptions, comments and audit details come from whoever may write; none
// of it may drive the operator's terminal.
TEST_F(CorsctlTest, ServerStringsArePrintedEscaped) {
  const std::string nasty =
      "\x1b]0;owned\x07\x1b[2J\xc2\x9b"
      "31m";
  ProgramResult created = Ctl({"tenant", "create", "shop", "--description", nasty});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ProgramResult applied = Ctl(
      {"policy", "apply", "shop", "-f", WriteFile("policy.yaml", kYamlPolicy), "--comment", nasty});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  for (std::vector<std::string> command : {std::vector<std::string>{"tenant", "get", "shop"},
                                           {"tenant", "list"},
                                           {"policy", "history", "shop"},
                                           {"audit", "shop"},
                                           {"policy", "get", "shop"}}) {
    ProgramResult result = Ctl(command);
    EXPECT_EQ(result.exit_code, 0) << command[0] << " " << command[1] << ": " << result.err;
    for (const std::string& output : {result.out, result.err}) {
      EXPECT_EQ(output.find('\x1b'), std::string::npos) << command[0] << " " << command[1];
      EXPECT_EQ(output.find("\xc2\x9b"), std::string::npos) << command[0] << " " << command[1];
    }
  }
  EXPECT_THAT(Ctl({"tenant", "get", "shop"}).out, HasSubstr("\\x1b]0;owned\\x07"));
}

TEST_F(CorsctlTest, ValidateWarnsButPasses) {
  ProgramResult result = Ctl({"policy", "validate", "-f", "-"},
                             R"({"rules":[{"allowedOrigins":["https://a.example"],
                                 "allowPrivateNetwork":true}]})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("warning: rules[0].allow_private_network"));
  EXPECT_THAT(result.out, HasSubstr("policy is valid"));
}

// Entries that can never do anything are violations (origins no browser
// sends) or warnings (headers a page can never set or read, a method list that
// does not restrict the safelisted methods), each under its field path.
TEST_F(CorsctlTest, ValidateNamesEntriesThatCanNeverMatch) {
  const std::string policy = R"(rules:
  - allowedOrigins: ["file://example.com", "http://xn--f", "wss://chat.example.com", "https://ok.example"]
    allowedMethods: [PUT]
    allowedHeaders: [x-trace, sec-fetch-mode]
    exposedHeaders: [access-control-allow-origin]
)";
  ProgramResult result = Ctl({"policy", "validate", "-f", "-"}, policy);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr("has 3 violations"));
  EXPECT_THAT(result.err, HasSubstr("rules[0].allowed_origins[0]: \"file://example.com\" is a "
                                    "file: origin"));
  EXPECT_THAT(result.err, HasSubstr("rules[0].allowed_origins[1]: \"http://xn--f\" has the "
                                    "label \"xn--f\", which is not valid punycode"));
  EXPECT_THAT(result.err, HasSubstr("rules[0].allowed_origins[2]: \"wss://chat.example.com\" "
                                    "is a WebSocket URL, not an origin"));
  EXPECT_THAT(result.err, HasSubstr("warning: rules[0].allowed_methods: does not list GET, "
                                    "HEAD, POST"));
  EXPECT_THAT(result.err, HasSubstr("warning: rules[0].allowed_headers[1]: \"sec-fetch-mode\""));
  EXPECT_THAT(result.err, HasSubstr("warning: rules[0].exposed_headers[0]: "
                                    "\"access-control-allow-origin\" is a CORS protocol header"));

  ProgramResult json = Ctl({"policy", "validate", "-f", "-", "-o", "json"}, policy);
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["violations"].size(), 3u);
  EXPECT_EQ(parsed["warnings"].size(), 3u);
}

TEST_F(CorsctlTest, ValidateAndApplyRefuseAPolicyWhoseTestsFail) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  std::string failing = kTestedYaml;
  failing.replace(failing.rfind("expect: DENY"), 12, "expect: ALLOW");
  const std::string allowed = "value: https://app.example.com}";
  failing.replace(failing.find(allowed), allowed.size(), "value: https://x.example}");
  ProgramResult validate = Ctl({"policy", "validate", "-f", "-"}, failing);
  EXPECT_EQ(validate.exit_code, 1);
  ProgramResult apply = Ctl({"policy", "apply", "shop", "-f", "-"}, failing);
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_THAT(apply.err, HasSubstr("has 2 violations; nothing was applied"));
  EXPECT_THAT(apply.err, HasSubstr("tests[0]: test \"app-may-put\": expected "
                                   "Access-Control-Allow-Origin: \"https://x.example\""));
  EXPECT_THAT(apply.err, HasSubstr("tests[1]: test \"evil-denied\": expected ALLOW"));
  EXPECT_EQ(Ctl({"policy", "get", "shop"}).exit_code, 3) << "nothing stored";
  ProgramResult passing = Ctl({"policy", "apply", "shop", "-f", "-"}, kTestedYaml);
  EXPECT_EQ(passing.exit_code, 0) << passing.err;
}

TEST_F(CorsctlTest, StaleExpectedRevisionIsAConflict) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  std::string yaml = WriteFile("policy.yaml", kYamlPolicy);
  ProgramResult stale = Ctl({"policy", "apply", "shop", "-f", yaml, "--expected-revision", "0"});
  EXPECT_EQ(stale.exit_code, 4);
  EXPECT_THAT(stale.err, HasSubstr("at revision 1"));
  EXPECT_EQ(Ctl({"policy", "apply", "shop", "-f", yaml, "--expected-revision", "1"}).exit_code, 0);
  EXPECT_EQ(Ctl({"policy", "rollback", "shop", "--to", "1", "--expected-revision", "1"}).exit_code,
            4);
}

TEST_F(CorsctlTest, HistoryRollbackAndAudit) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["*"]}]})").ok());
  ProgramResult rollback = Ctl({"policy", "rollback", "shop", "--to", "1"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_THAT(rollback.out, HasSubstr("as revision 3"));
  ProgramResult history = Ctl({"policy", "history", "shop"});
  EXPECT_THAT(history.out, HasSubstr("REVISION  TIME"));
  EXPECT_THAT(history.out, HasSubstr("rollback to revision 1"));
  ProgramResult audit = Ctl({"audit", "shop"});
  EXPECT_THAT(audit.out, HasSubstr("RollbackPolicy"));
  EXPECT_THAT(audit.out, HasSubstr("test-admin"));
  ProgramResult json = Ctl({"audit", "-o", "json"});
  EXPECT_GE(nlohmann::json::parse(json.out)["events"].size(), 4u);
}

TEST_F(CorsctlTest, CheckPrintsHeadersAndExplains) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  ProgramResult allowed = Ctl({"check", "--tenant", "shop", "--origin", "https://app.example.com",
                               "--method", "OPTIONS", "-H", "Access-Control-Request-Method: PUT",
                               "-H", "Access-Control-Request-Headers: content-type", "--explain"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(allowed.out, HasSubstr("ALLOW PREFLIGHT (ALLOWED), tenant shop, policy revision 1"));
  EXPECT_THAT(allowed.out, HasSubstr("answer now with HTTP 204"));
  EXPECT_THAT(allowed.out, HasSubstr("  Access-Control-Allow-Origin: https://app.example.com\n"));
  EXPECT_THAT(allowed.out, HasSubstr("  Access-Control-Allow-Headers: content-type\n"));
  EXPECT_THAT(allowed.out, HasSubstr("why: default rule \"\" matched; origin"));

  ProgramResult denied = Ctl({"check", "--tenant", "shop", "--origin", "https://evil.example",
                              "--method", "GET", "--explain"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.out, HasSubstr("DENY ACTUAL (ORIGIN_NOT_ALLOWED)"));
  EXPECT_THAT(denied.out, HasSubstr("-> DENY ORIGIN_NOT_ALLOWED"));

  ProgramResult no_origin = Ctl({"check", "--tenant", "shop", "--method", "GET"});
  EXPECT_EQ(no_origin.exit_code, 0);
  EXPECT_THAT(no_origin.out, HasSubstr("NOT_CORS NO_ORIGIN"));
  EXPECT_EQ(Ctl({"check", "--tenant", "nope", "--origin", "https://a.example"}).exit_code, 3);
  EXPECT_EQ(Ctl({"check", "--tenant", "shop", "-H", "no colon here"}).exit_code, 2);
}

TEST_F(CorsctlTest, WrongTokenIsAuthError) {
  ProgramResult result = Ctl({"tenant", "list"}, "", {{"CORSD_TOKEN", "corsd_wrong"}});
  EXPECT_EQ(result.exit_code, 5);
  EXPECT_THAT(result.err, HasSubstr("unknown token"));
  std::string viewer = store_->CreateToken("viewer");
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  EXPECT_EQ(Ctl({"--token", viewer, "tenant", "create", "x"}).exit_code, 5) << "flags win over env";
  std::string token_file = WriteFile("token", viewer + "\n");
  EXPECT_EQ(
      Ctl({"--token-file", token_file, "tenant", "list"}, "", {{"CORSD_TOKEN", "corsd_wrong"}})
          .exit_code,
      0);
}

TEST_F(CorsctlTest, ShadowSetReportPromoteAndClear) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_EQ(
      Ctl({"policy", "apply", "shop", "-f", "-"},
          R"({"rules":[{"allowedOrigins":["https://app.example.com","https://old.example"]}]})")
          .exit_code,
      0);
  const std::string candidate = WriteFile("candidate.yaml", kTestedYaml);
  ProgramResult set = Ctl({"policy", "shadow", "set", "shop", "-f", candidate});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.out, HasSubstr("shadow policy set for tenant shop"));
  ProgramResult got = Ctl({"policy", "shadow", "get", "shop"});
  EXPECT_EQ(got.exit_code, 0);
  EXPECT_THAT(got.out, HasSubstr("\"app-may-put\""));

  for (const char* origin :
       {"https://app.example.com", "https://old.example", "https://old.example"}) {
    ASSERT_EQ(Ctl({"check", "--tenant", "shop", "--origin", origin, "--method", "GET"}).exit_code,
              0);
  }
  ProgramResult report = Ctl({"policy", "shadow", "report", "shop"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr("3 decisions; the shadow would change 2 (66.67%)"));
  EXPECT_THAT(report.out, ::testing::ContainsRegex("ALLOW -> DENY +ORIGIN_NOT_ALLOWED +2 +66.67%"));
  EXPECT_THAT(report.out, ::testing::ContainsRegex("ALLOW \\(same\\) +ALLOWED +1 +33.33%"));
  EXPECT_THAT(report.out, HasSubstr("https://old.example"));
  // Two replicas' reports are summed (here the same replica twice).
  ProgramResult summed =
      Ctl({"policy", "shadow", "report", "shop", "--server", corsd_->admin_address(), "--server",
           corsd_->admin_address(), "-o", "json"});
  ASSERT_EQ(summed.exit_code, 0) << summed.err;
  int64_t total = 0;
  const nlohmann::json summed_json = nlohmann::json::parse(summed.out);
  for (const auto& count : summed_json["counts"]) {
    total += std::stoll(count["count"].get<std::string>());
  }
  EXPECT_EQ(total, 6) << summed.out;

  ProgramResult stale = Ctl({"policy", "shadow", "promote", "shop", "--expected-revision", "0"});
  EXPECT_EQ(stale.exit_code, 4) << stale.err;
  EXPECT_EQ(Ctl({"policy", "shadow", "get", "shop"}).exit_code, 0) << "the shadow is kept";
  ProgramResult promoted = Ctl({"policy", "shadow", "promote", "shop", "--expected-revision", "1"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_THAT(promoted.out, HasSubstr("it is revision 2"));
  EXPECT_EQ(Ctl({"policy", "shadow", "get", "shop"}).exit_code, 3);
  EXPECT_EQ(Ctl({"policy", "shadow", "clear", "shop"}).exit_code, 3);
  ASSERT_EQ(Ctl({"policy", "shadow", "set", "shop", "-f", candidate}).exit_code, 0);
  EXPECT_EQ(Ctl({"policy", "shadow", "clear", "shop"}).exit_code, 0);
}

// A corsd that logs every decision to a small, rotating decision log.
class CorsctlReplayTest : public CorsctlTest {
 protected:
  std::vector<std::string> ExtraArgs() override {
    return {"--decision-log", dir_.File("decisions.jsonl"), "--decision-log-max-bytes", "4096"};
  }
};

TEST_F(CorsctlReplayTest, ReplaysWhatCorsdLoggedAgainstACandidate) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_EQ(Ctl({"policy", "apply", "shop", "-f", "-"},
                R"({"rules":[{"allowedOrigins":["https://app.example.com","https://old.example"],
                    "allowedMethods":["PUT"]}]})")
                .exit_code,
            0);
  v1::CheckResponse response;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        Check(Request("shop", "https://app.example.com", "GET", "/a?token=x"), &response).ok());
  }
  for (int i = 0; i < 6; ++i) {
    v1::CheckRequest preflight = Request("shop", "https://old.example", "OPTIONS", "/items");
    AddHeader(&preflight, "Access-Control-Request-Method", "PUT");
    ASSERT_TRUE(Check(preflight, &response).ok());
    ASSERT_EQ(response.verdict(), v1::ALLOW);
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Check(Request("shop", "", "GET"), &response).ok());
  admin_.reset();
  decision_.reset();
  ASSERT_EQ(corsd_->Stop(), 0);  // writes what is buffered
  const std::string log = dir_.File("decisions.jsonl");
  ASSERT_TRUE(std::filesystem::exists(log + ".1")) << "20 lines of about 300 bytes rotate at 4 KiB";
  std::ifstream lines(log);
  std::string first;
  std::getline(lines, first);
  EXPECT_THAT(first, Not(HasSubstr("token"))) << "no query in the log";

  const std::string candidate =
      WriteFile("candidate.json", R"({"rules":[{"allowedOrigins":["https://app.example.com"],
                                      "allowedMethods":["PUT"]}]})");
  ProgramResult replay = RunProgram({BinaryDir() + "/corsctl", "policy", "replay", "-f", candidate,
                                     "--log", log + ".1", "--log", log, "-o", "json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  std::map<std::string, int64_t> counts;
  const nlohmann::json replayed = nlohmann::json::parse(replay.out);
  for (const auto& count : replayed["counts"]) {
    counts[count["activeVerdict"].get<std::string>() + ">" +
           count["shadowVerdict"].get<std::string>() + ":" +
           count["shadowReason"].get<std::string>()] =
        std::stoll(count["count"].get<std::string>());
  }
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"ALLOW>ALLOW:ALLOWED", 10},
                                                    {"ALLOW>DENY:ORIGIN_NOT_ALLOWED", 6},
                                                    {"NOT_CORS>NOT_CORS:NO_ORIGIN_HEADER", 4}}));
}

TEST(CorsctlOffline, ReplayOfAGeneratedLogCountsExactly) {
  TempDir dir;
  const std::string log = dir.File("generated.jsonl");
  {
    std::ofstream out(log);
    auto line = [&](const std::string& tenant, const std::string& origin, const std::string& method,
                    const std::string& extra, const std::string& verdict) {
      out << R"({"time":"2026-12-02T10:00:00.000001Z","tenant":")" << tenant
          << R"(","revision":3,"origin":")" << origin << R"(","method":")" << method
          << R"(","path":"/api/items")" << extra << R"(,"verdict":")" << verdict
          << R"(","reason":"ALLOWED"})"
          << "\n";
    };
    for (int i = 0; i < 1000; ++i) line("shop", "https://app.example.com", "GET", "", "ALLOW");
    for (int i = 0; i < 250; ++i) {
      line("shop", "https://app.example.com", "OPTIONS",
           R"(,"kind":"PREFLIGHT","requested_method":"PUT","requested_headers":["x-new"])",
           "ALLOW");
    }
    for (int i = 0; i < 30; ++i) line("shop", "https://gone.example", "GET", "", "ALLOW");
    for (int i = 0; i < 7; ++i) line("other", "https://app.example.com", "GET", "", "DENY");
    out << "not json\n" << std::string(100'000, 'x') << "\n";
  }
  const std::string candidate = dir.File("candidate.json");
  std::ofstream(candidate) << R"({"rules":[{"allowedOrigins":["https://app.example.com"],
      "allowedMethods":["PUT"]}]})";
  ProgramResult replay = RunProgram({BinaryDir() + "/corsctl", "policy", "replay", "-f", candidate,
                                     "--log", log, "--tenant", "shop"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("1,280 logged requests; the shadow would change 280 (21.88%)"));
  EXPECT_THAT(replay.out, ::testing::ContainsRegex("ALLOW -> DENY +HEADERS_NOT_ALLOWED +250"));
  EXPECT_THAT(replay.out, ::testing::ContainsRegex("ALLOW -> DENY +ORIGIN_NOT_ALLOWED +30"));
  EXPECT_THAT(replay.out, ::testing::ContainsRegex("ALLOW \\(same\\) +ALLOWED +1,000"));
  EXPECT_THAT(replay.err, HasSubstr("2 unreadable lines and 7 lines of other tenants"));

  // Without --tenant, logs of two tenants are a usage error.
  ProgramResult ambiguous =
      RunProgram({BinaryDir() + "/corsctl", "policy", "replay", "-f", candidate, "--log", log});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_THAT(ambiguous.err, HasSubstr("more than one tenant (shop and other)"));

  // A candidate that references an origin set is replayed with the set's
  // documents, as corsd would resolve it; without them it is a usage error.
  const std::string with_set = dir.File("with-set.json");
  std::ofstream(with_set) << R"({"rules":[{"allowedOrigins":["@web"],"allowedMethods":["PUT"]}]})";
  std::ofstream(dir.File("web.yaml")) << "kind: OriginSet\nname: web\norigins:\n"
                                         "  - https://app.example.com\n"
                                         "  - https://gone.example\n";
  ProgramResult resolved =
      RunProgram({BinaryDir() + "/corsctl", "policy", "replay", "-f", with_set, "--log", log,
                  "--tenant", "shop", "--origin-sets", dir.File("web.yaml")});
  ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
  EXPECT_THAT(resolved.out, ::testing::ContainsRegex("ALLOW -> DENY +HEADERS_NOT_ALLOWED +250"));
  EXPECT_THAT(resolved.out, ::testing::ContainsRegex("ALLOW \\(same\\) +ALLOWED +1,030"))
      << "gone.example is in the set";
  ProgramResult unresolved = RunProgram({BinaryDir() + "/corsctl", "policy", "replay", "-f",
                                         with_set, "--log", log, "--tenant", "shop"});
  EXPECT_EQ(unresolved.exit_code, 2);
  EXPECT_THAT(unresolved.err, HasSubstr("references origin sets (@web); give their documents "
                                        "with --origin-sets DIR"));
}

TEST(CorsctlTls, TalksToAnMtlsAdminPort) {
  TempDir dir;
  AdminMtlsCorsd server = StartCorsdWithAdminMtls(dir);
  ASSERT_NE(server.corsd, nullptr);
  auto ctl = [&](std::vector<std::string> tls, std::vector<std::string> args) {
    std::vector<std::string> argv = {BinaryDir() + "/corsctl",
                                     "--server",
                                     server.corsd->admin_address(),
                                     "--token",
                                     server.admin_token,
                                     "--timeout",
                                     "3"};
    argv.insert(argv.end(), tls.begin(), tls.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, "", {}, absl::Seconds(30));
  };
  const std::vector<std::string> mtls = {
      "--tls-ca",  server.pki.ca_cert,    "--tls-cert",        server.pki.client_cert,
      "--tls-key", server.pki.client_key, "--tls-server-name", "localhost"};
  ProgramResult created = ctl(mtls, {"tenant", "create", "shop"});
  EXPECT_EQ(created.exit_code, 0) << created.err;

  // Without the client certificate, or in plaintext, nothing gets through.
  ProgramResult anonymous = ctl({"--tls-ca", server.pki.ca_cert, "--tls-server-name", "localhost"},
                                {"tenant", "create", "anonymous"});
  EXPECT_EQ(anonymous.exit_code, cli::kExitUnavailable) << anonymous.err;
  ProgramResult plaintext = ctl({}, {"tenant", "create", "plaintext"});
  EXPECT_EQ(plaintext.exit_code, cli::kExitUnavailable) << plaintext.err;
  ProgramResult half = ctl({"--tls-ca", server.pki.ca_cert, "--tls-cert", server.pki.client_cert},
                           {"tenant", "list"});
  EXPECT_EQ(half.exit_code, cli::kExitUsage) << "a certificate without its key is a usage error";
  // Without --tls-ca there is no TLS: a client certificate or a server name
  // alone must not quietly send the token in plaintext.
  for (const std::vector<std::string>& no_ca :
       {std::vector<std::string>{"--tls-cert", server.pki.client_cert, "--tls-key",
                                 server.pki.client_key},
        std::vector<std::string>{"--tls-server-name", "localhost"}}) {
    ProgramResult refused = ctl(no_ca, {"tenant", "list"});
    EXPECT_EQ(refused.exit_code, cli::kExitUsage) << no_ca[0] << ": " << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("--tls-ca")) << no_ca[0];
  }

  ProgramResult listed = ctl(mtls, {"tenant", "list", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("shop"));
  EXPECT_THAT(listed.out, Not(HasSubstr("anonymous")));
  EXPECT_THAT(listed.out, Not(HasSubstr("plaintext")));
  EXPECT_EQ(server.corsd->Stop(), 0);
}

TEST_F(CorsctlTest, WatchStreamsUntilInterrupted) {
  ASSERT_EQ(Ctl({"tenant", "create", "shop"}).exit_code, 0);
  ASSERT_TRUE(PutPolicy("shop", kAppPolicy).ok());
  std::string log = dir_.File("watch.log");
  Subprocess watch({BinaryDir() + "/corsctl", "--server", corsd_->admin_address(), "--token",
                    admin_token_, "watch", "shop"},
                   log);
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      if (ReadFileOrEmpty(log).find(text) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  };
  EXPECT_TRUE(wait_for("tenant shop revision 1 by test-admin")) << ReadFileOrEmpty(log);
  ASSERT_TRUE(PutPolicy("shop", R"({"rules":[{"allowedOrigins":["*"]}]})").ok());
  EXPECT_TRUE(wait_for("tenant shop revision 2 by test-admin (1 rules): test"))
      << ReadFileOrEmpty(log);
  watch.Signal(SIGINT);
  EXPECT_EQ(watch.Wait(absl::Seconds(10)), 0);
}

TEST_F(CorsctlTest, HelpAndUsageErrors) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"tenant", "--help"},
                                             {"tenant", "create", "--help"},
                                             {"policy", "--help"},
                                             {"policy", "apply", "--help"},
                                             {"policy", "rollback", "--help"},
                                             {"audit", "--help"},
                                             {"check", "--help"},
                                             {"watch", "--help"}}) {
    ProgramResult result = Ctl(args);
    EXPECT_EQ(result.exit_code, 0) << args[0];
    EXPECT_THAT(result.out, HasSubstr("Usage:")) << args[0];
  }
  EXPECT_EQ(Ctl({"policy", "apply", "shop"}).exit_code, 2) << "missing -f";
  EXPECT_EQ(Ctl({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Ctl({}).exit_code, 2);
}

// Runs corsctl with no server anywhere: `policy test` needs none.
ProgramResult OfflineCtl(std::vector<std::string> args, const std::string& input) {
  std::vector<std::string> argv = {BinaryDir() + "/corsctl", "--server", "127.0.0.1:1"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, input);
}

TEST(CorsctlOffline, PolicyTestRunsTheTestsWithoutAServer) {
  ProgramResult pass = OfflineCtl({"policy", "test", "-f", "-"}, kTestedYaml);
  EXPECT_EQ(pass.exit_code, 0) << pass.err;
  EXPECT_EQ(pass.out, "PASS app-may-put\nPASS evil-denied\n2 tests: 2 passed, 0 failed\n");

  std::string failing = kTestedYaml;
  failing.replace(failing.rfind("expect: DENY"), 12, "expect: ALLOW");
  ProgramResult fail = OfflineCtl({"policy", "test", "-f", "-", "--explain"}, failing);
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_THAT(fail.out, HasSubstr("PASS app-may-put\n"));
  EXPECT_THAT(fail.out, HasSubstr("FAIL evil-denied: expected ALLOW, decided DENY "
                                  "(ORIGIN_NOT_ALLOWED)\n    trace: "));
  ProgramResult json = OfflineCtl({"policy", "test", "-f", "-", "-o", "json"}, failing);
  EXPECT_EQ(json.exit_code, 1);
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["passed"], 1);
  EXPECT_EQ(parsed["failed"], 1);
  EXPECT_EQ(parsed["tests"][1]["name"], "evil-denied");

  // Invalid rules: the violations, and the tests do not run.
  std::string invalid = kTestedYaml;
  invalid.replace(invalid.find("https://app.example.com]"), 23, "HTTPS://APP.EXAMPLE.COM");
  ProgramResult refused = OfflineCtl({"policy", "test", "-f", "-"}, invalid);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("rules[0].allowed_origins[0]"));
  EXPECT_THAT(refused.err, HasSubstr("the tests did not run"));
  EXPECT_EQ(refused.out, "");
}

TEST(CorsctlOffline, TheDemoPolicyPassesItsOwnTests) {
  ProgramResult result = OfflineCtl(
      {"policy", "test", "-f", std::string(CORSD_SOURCE_DIR) + "/examples/demo-policy.yaml"}, "");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("5 tests: 5 passed, 0 failed"));
}

TEST(CorsctlOffline, ServerDownIsUnavailableWithinTheTimeout) {
  // A port nothing listens on.
  ProgramResult result = RunProgram({BinaryDir() + "/corsctl", "--server", "127.0.0.1:1", "--token",
                                     "x", "--timeout", "2", "tenant", "list"});
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_THAT(result.err, HasSubstr("cannot reach corsd at 127.0.0.1:1"));
  EXPECT_LT(result.took, absl::Seconds(5));
  ProgramResult check =
      RunProgram({BinaryDir() + "/corsctl", "--data-server", "127.0.0.1:1", "--timeout", "2",
                  "check", "--tenant", "t", "--origin", "https://a.example"});
  EXPECT_EQ(check.exit_code, 6);
}

TEST(CorsctlOffline, ValidateWorksWithoutAServer) {
  ProgramResult result = RunProgram({BinaryDir() + "/corsctl", "--server", "127.0.0.1:1",
                                     "--timeout", "1", "policy", "validate", "-f", "-"},
                                    R"({"rules":[{"allowedOrigins":["https://a.example"]}]})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("server validation skipped"));
}

}  // namespace
}  // namespace corsd::testing
