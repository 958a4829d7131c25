#include "tests/support/fetch_cases.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace corsd::testing {

using engine::PolicySpec;
using engine::Reason;
using engine::RuleSpec;
using engine::Verdict;

namespace {

constexpr Verdict ALLOW = Verdict::kAllow;
constexpr Verdict DENY = Verdict::kDeny;
constexpr Verdict NOT_CORS = Verdict::kNotCors;
constexpr Reason ALLOWED = Reason::kAllowed;
constexpr Reason NO_ORIGIN = Reason::kNoOriginHeader;
constexpr Reason ORIGIN = Reason::kOriginNotAllowed;
constexpr Reason METHOD = Reason::kMethodNotAllowed;
constexpr Reason HEADERS = Reason::kHeadersNotAllowed;
constexpr Reason PNA = Reason::kPrivateNetworkNotAllowed;
constexpr Reason MALFORMED = Reason::kMalformedRequest;

std::pair<std::string, std::string> ACRM(std::string v) {
  return {"Access-Control-Request-Method", std::move(v)};
}
std::pair<std::string, std::string> ACRH(std::string v) {
  return {"Access-Control-Request-Headers", std::move(v)};
}
std::pair<std::string, std::string> ACAO(std::string v) {
  return {"Access-Control-Allow-Origin", std::move(v)};
}
std::pair<std::string, std::string> ACAH(std::string v) {
  return {"Access-Control-Allow-Headers", std::move(v)};
}
std::pair<std::string, std::string> ACAM(std::string v) {
  return {"Access-Control-Allow-Methods", std::move(v)};
}
std::pair<std::string, std::string> VARY(std::string v) { return {"Vary", std::move(v)}; }
const std::pair<std::string, std::string> kAcacTrue = {"Access-Control-Allow-Credentials", "true"};
// A preflight no rule covers; and one under a rule, whose answer also
// depends on whether it asks for private network access.
const std::string kPreflightVary =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
const std::string kRulePreflightVary = kPreflightVary + ", Access-Control-Request-Private-Network";

std::string Names(size_t n) {
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) names.push_back(absl::StrCat("x-h", i));
  return absl::StrJoin(names, ",");
}

// 32 names of 255 bytes: 8,191 bytes in all, just inside the 8 KiB limit.
std::string LongNames() {
  std::vector<std::string> names;
  for (int i = 0; i < 32; ++i) names.push_back(std::string(255, static_cast<char>('a' + i % 26)));
  return absl::StrJoin(names, ",");
}

// --- Policies the table refers to by name -----------------------------------

RuleSpec Rule(std::string prefix, std::vector<std::string> origins) {
  RuleSpec rule;
  rule.path_prefix = std::move(prefix);
  rule.allowed_origins = std::move(origins);
  return rule;
}

const std::string kApp = "https://app.example.com";

}  // namespace

std::map<std::string, engine::PolicySpec> FetchPolicySpecs() {
  std::map<std::string, PolicySpec> specs;
  {
    RuleSpec r = Rule("", {"https://app.example.com", "http://localhost:3000", "http://[::1]:8080",
                           "https://xn--bcher-kva.example", "http://127.0.0.1:9000",
                           "https://a.com", "https://b.com", "capacitor://localhost"});
    r.allowed_methods = {"PUT", "DELETE", "PATCH"};
    r.allowed_headers = {"Content-Type", "x-trace-id"};
    r.exposed_headers = {"x-request-id", "x-total"};
    r.max_age_seconds = 600;
    specs["basic"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"https://app.example.com"});
    r.allow_credentials = true;
    r.allowed_methods = {"*"};
    r.allowed_headers = {"*"};
    specs["creds"].rules = {r};
    r.allowed_headers = {"*", "Authorization"};
    specs["creds_auth"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"https://*.example.com", "https://*.internal.test:8443"});
    r.allowed_methods = {"PUT"};
    specs["subdomains"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"http://localhost:*", "https://*.dev.example.net:*"});
    specs["ports"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"*"});
    r.allowed_methods = {"*"};
    r.allowed_headers = {"*"};
    r.exposed_headers = {"x-total"};
    specs["any"].rules = {r};
  }
  specs["null"].rules = {Rule("", {"null", "https://app.example.com"})};
  {
    RuleSpec api = Rule("/api", {"https://api.example"});
    api.allowed_methods = {"PUT"};
    specs["paths"].rules = {Rule("", {"https://default.example"}), api,
                            Rule("/api/admin", {"https://admin.example"}), Rule("/static/", {"*"})};
  }
  specs["no_default"].rules = {Rule("/api", {"https://api.example"})};
  {
    RuleSpec r = Rule("", {"https://app.example.com"});
    r.allow_private_network = true;
    specs["pna"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"https://app.example.com"});
    r.preflight_status = 200;
    r.max_age_seconds = -1;
    specs["status200"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"https://app.example.com"});
    r.allowed_methods = {"patch", "PURGE"};
    specs["lowercase_patch"].rules = {r};
  }
  {
    RuleSpec r = Rule("", {"https://app.example.com"});
    r.allow_credentials = true;
    r.exposed_headers = {"x-request-id"};
    specs["creds_exact"].rules = {r};
  }
  return specs;
}

// Policies whose rules allow credentials: allowed answers must also work for
// credentialed browser requests.
bool FetchPolicyAllowsCredentials(const std::string& policy) {
  return policy == "creds" || policy == "creds_auth" || policy == "creds_exact";
}

std::vector<DecisionCase> FetchDecisionCases() {
  // One row per rule, fields in the order of DecisionCase; clang-format would
  // spread most rows over eight lines, which makes the table unreadable.
  // clang-format off
  return {
      // Classification ---------------------------------------------------------
      {"no origin is not cors", "basic", "", "GET", "/", {}, NOT_CORS, NO_ORIGIN,
       {VARY("Origin")}, {"Access-Control-Allow-Origin"}},
      {"no origin options with acrm is not cors", "basic", "", "OPTIONS", "/", {ACRM("PUT")},
       NOT_CORS, NO_ORIGIN, {VARY("Origin")}},
      {"no origin on empty policy still varies", "empty", "", "GET", "/", {}, NOT_CORS, NO_ORIGIN,
       {VARY("Origin")}},
      {"no origin under star rule sends star without vary", "any", "", "GET", "/", {}, NOT_CORS,
       NO_ORIGIN, {ACAO("*"), {"Access-Control-Expose-Headers", "x-total"}}, {"Vary"}},
      {"options with origin but no acrm is actual", "basic", kApp, "OPTIONS", "/", {}, ALLOW,
       ALLOWED, {ACAO(kApp)}, {"Access-Control-Allow-Methods"}},
      {"get with acrm is actual", "basic", kApp, "GET", "/", {ACRM("PUT")}, ALLOW, ALLOWED,
       {ACAO(kApp)}, {"Access-Control-Allow-Methods"}},
      {"lowercase options method is not a preflight", "basic", kApp, "options", "/",
       {ACRM("PUT")}, ALLOW, ALLOWED, {ACAO(kApp)}, {"Access-Control-Allow-Methods"}},
      {"acrm header name is case-insensitive", "basic", kApp, "OPTIONS", "/",
       {{"access-control-request-method", "PUT"}}, ALLOW, ALLOWED, {ACAM("PUT")}},
      {"preflight allowed", "basic", kApp, "OPTIONS", "/", {ACRM("PUT")}, ALLOW, ALLOWED,
       {ACAO(kApp), ACAM("PUT"), VARY(kRulePreflightVary), {"Access-Control-Max-Age", "600"}},
       {"Access-Control-Allow-Headers", "Access-Control-Allow-Credentials"}},
      {"empty acrm is malformed", "basic", kApp, "OPTIONS", "/", {ACRM("")}, DENY, MALFORMED},
      {"whitespace-only acrm is malformed", "basic", kApp, "OPTIONS", "/", {ACRM("  ")}, DENY,
       MALFORMED},
      {"two acrm lines are malformed", "basic", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRM("PUT")},
       DENY, MALFORMED},
      {"acrm with surrounding whitespace is trimmed", "basic", kApp, "OPTIONS", "/",
       {ACRM(" PUT\t")}, ALLOW, ALLOWED, {ACAM("PUT")}},
      {"acrm that is not a token is malformed", "basic", kApp, "OPTIONS", "/", {ACRM("PU T")},
       DENY, MALFORMED},
      {"acrm with CRLF is malformed", "basic", kApp, "OPTIONS", "/", {ACRM("PUT\r\nX-Evil: 1")},
       DENY, MALFORMED},
      {"method that is not a token is malformed", "basic", kApp, "G E T", "/", {}, DENY,
       MALFORMED},
      {"empty method is malformed", "basic", kApp, "", "/", {}, DENY, MALFORMED},

      // Origin serialization ---------------------------------------------------
      {"uppercase scheme is malformed", "basic", "HTTPS://app.example.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"uppercase host is malformed", "basic", "https://App.Example.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"trailing slash is malformed", "basic", "https://app.example.com/", "GET", "/", {}, DENY,
       MALFORMED},
      {"path is malformed", "basic", "https://app.example.com/x", "GET", "/", {}, DENY, MALFORMED},
      {"query is malformed", "basic", "https://app.example.com?x", "GET", "/", {}, DENY,
       MALFORMED},
      {"fragment is malformed", "basic", "https://app.example.com#x", "GET", "/", {}, DENY,
       MALFORMED},
      {"default https port is malformed", "basic", "https://app.example.com:443", "GET", "/", {},
       DENY, MALFORMED},
      {"default http port is malformed", "basic", "http://localhost:80", "GET", "/", {}, DENY,
       MALFORMED},
      {"port zero is malformed", "basic", "http://localhost:0", "GET", "/", {}, DENY, MALFORMED},
      {"port above 65535 is malformed", "basic", "http://localhost:65536", "GET", "/", {}, DENY,
       MALFORMED},
      {"port with leading zero is malformed", "basic", "http://localhost:03000", "GET", "/", {},
       DENY, MALFORMED},
      {"empty port is malformed", "basic", "http://localhost:", "GET", "/", {}, DENY, MALFORMED},
      {"userinfo is malformed", "basic", "https://user@app.example.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"space is malformed", "basic", "https://app.example.com ", "GET", "/", {}, DENY,
       MALFORMED},
      {"CRLF injection is malformed", "basic", "https://app.example.com\r\nSet-Cookie: a=b",
       "GET", "/", {}, DENY, MALFORMED, {}, {"Set-Cookie"}},
      {"NUL byte is malformed", "basic", std::string("https://app.example.com\0x", 25), "GET", "/",
       {}, DENY, MALFORMED},
      {"unicode host is malformed", "basic", "https://b\xC3\xBC" "cher.example", "GET", "/", {},
       DENY, MALFORMED},
      {"missing scheme is malformed", "basic", "app.example.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"empty host is malformed", "basic", "https://", "GET", "/", {}, DENY, MALFORMED},
      {"empty label is malformed", "basic", "https://app..example.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"leading dot is malformed", "basic", "https://.example.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"star origin is malformed", "basic", "*", "GET", "/", {}, DENY, MALFORMED},
      {"wildcard host in request is malformed", "subdomains", "https://*.example.com", "GET", "/",
       {}, DENY, MALFORMED},
      {"ipv4 leading zero is malformed", "basic", "http://127.0.0.01:9000", "GET", "/", {}, DENY,
       MALFORMED},
      {"ipv4 short form is malformed", "basic", "http://127.1:9000", "GET", "/", {}, DENY,
       MALFORMED},
      {"ipv4 out of range is malformed", "basic", "http://256.0.0.1:9000", "GET", "/", {}, DENY,
       MALFORMED},
      {"ipv6 uppercase is malformed", "basic", "http://[::A]:8080", "GET", "/", {}, DENY,
       MALFORMED},
      {"ipv6 uncompressed is malformed", "basic", "http://[0:0:0:0:0:0:0:1]:8080", "GET", "/", {},
       DENY, MALFORMED},
      {"ipv6 embedded ipv4 is malformed", "basic", "http://[::ffff:1.2.3.4]:8080", "GET", "/", {},
       DENY, MALFORMED},
      {"ipv6 without brackets is malformed", "basic", "http://::1:8080", "GET", "/", {}, DENY,
       MALFORMED},
      {"overlong origin is malformed", "any", "https://" + std::string(1100, 'a') + ".com", "GET",
       "/", {}, DENY, MALFORMED},
      {"uppercase NULL is malformed", "null", "NULL", "GET", "/", {}, DENY, MALFORMED},

      // Exact origins -----------------------------------------------------------
      {"exact origin allowed", "basic", kApp, "GET", "/", {}, ALLOW, ALLOWED,
       {ACAO(kApp), VARY("Origin"), {"Access-Control-Expose-Headers", "x-request-id, x-total"}},
       {"Access-Control-Allow-Credentials"}},
      {"scheme mismatch denied", "basic", "http://app.example.com", "GET", "/", {}, DENY, ORIGIN},
      {"port mismatch denied", "basic", "https://app.example.com:8443", "GET", "/", {}, DENY,
       ORIGIN},
      {"localhost with port allowed", "basic", "http://localhost:3000", "GET", "/", {}, ALLOW,
       ALLOWED, {ACAO("http://localhost:3000")}},
      {"localhost other port denied", "basic", "http://localhost:3001", "GET", "/", {}, DENY,
       ORIGIN},
      {"localhost without port denied", "basic", "http://localhost", "GET", "/", {}, DENY, ORIGIN},
      {"ipv6 loopback allowed", "basic", "http://[::1]:8080", "GET", "/", {}, ALLOW, ALLOWED,
       {ACAO("http://[::1]:8080")}},
      {"ipv4 loopback allowed", "basic", "http://127.0.0.1:9000", "GET", "/", {}, ALLOW, ALLOWED},
      {"punycode host allowed", "basic", "https://xn--bcher-kva.example", "GET", "/", {}, ALLOW,
       ALLOWED},
      {"non-http scheme allowed when listed", "basic", "capacitor://localhost", "GET", "/", {},
       ALLOW, ALLOWED, {ACAO("capacitor://localhost")}},
      {"suffix attack denied", "basic", "https://app.example.com.evil.com", "GET", "/", {}, DENY,
       ORIGIN},
      {"prefix attack denied", "basic", "https://evilapp.example.com", "GET", "/", {}, DENY,
       ORIGIN},
      {"subdomain of exact origin denied", "basic", "https://x.app.example.com", "GET", "/", {},
       DENY, ORIGIN},
      {"concatenated origins denied", "basic", "https://a.comhttps://b.com", "GET", "/", {}, DENY,
       MALFORMED},
      {"joined hosts denied", "basic", "https://a.com.b.com", "GET", "/", {}, DENY, ORIGIN},
      {"host suffix of entry denied", "basic", "https://ba.com", "GET", "/", {}, DENY, ORIGIN},
      {"trailing dot host is a different origin", "basic", "https://app.example.com.", "GET", "/",
       {}, DENY, ORIGIN},
      {"null not listed denied", "basic", "null", "GET", "/", {}, DENY, ORIGIN},
      {"unlisted origin denied", "basic", "https://evil.example", "GET", "/", {}, DENY, ORIGIN,
       {VARY("Origin")}},
      {"denied origin preflight", "basic", "https://evil.example", "OPTIONS", "/", {ACRM("PUT")},
       DENY, ORIGIN, {VARY(kRulePreflightVary)}},

      // Subdomain wildcards -----------------------------------------------------
      {"wildcard matches one label", "subdomains", "https://a.example.com", "GET", "/", {}, ALLOW,
       ALLOWED, {ACAO("https://a.example.com"), VARY("Origin")}},
      {"wildcard matches several labels", "subdomains", "https://a.b.c.example.com", "GET", "/",
       {}, ALLOW, ALLOWED, {ACAO("https://a.b.c.example.com")}},
      {"wildcard never matches apex", "subdomains", "https://example.com", "GET", "/", {}, DENY,
       ORIGIN},
      {"wildcard needs a label boundary", "subdomains", "https://evil-example.com", "GET", "/", {},
       DENY, ORIGIN},
      {"wildcard label boundary not just suffix", "subdomains", "https://aexample.com", "GET", "/",
       {}, DENY, ORIGIN},
      {"wildcard domain as subdomain of attacker denied", "subdomains",
       "https://example.com.evil.com", "GET", "/", {}, DENY, ORIGIN},
      {"wildcard scheme mismatch denied", "subdomains", "http://a.example.com", "GET", "/", {},
       DENY, ORIGIN},
      {"wildcard without port rejects explicit port", "subdomains", "https://a.example.com:8443",
       "GET", "/", {}, DENY, ORIGIN},
      {"wildcard with port matches that port", "subdomains", "https://svc.internal.test:8443",
       "GET", "/", {}, ALLOW, ALLOWED},
      {"wildcard with port rejects default port", "subdomains", "https://svc.internal.test",
       "GET", "/", {}, DENY, ORIGIN},
      {"wildcard with port rejects other port", "subdomains", "https://svc.internal.test:9443",
       "GET", "/", {}, DENY, ORIGIN},
      {"wildcard with port never matches apex", "subdomains", "https://internal.test:8443", "GET",
       "/", {}, DENY, ORIGIN},
      {"wildcard preflight allowed", "subdomains", "https://a.example.com", "OPTIONS", "/",
       {ACRM("PUT")}, ALLOW, ALLOWED, {ACAO("https://a.example.com"), ACAM("PUT")}},
      {"wildcard trailing dot request denied", "subdomains", "https://a.example.com.", "GET", "/",
       {}, DENY, ORIGIN},
      {"wildcard ipv4 request denied", "subdomains", "https://1.2.3.4", "GET", "/", {}, DENY,
       ORIGIN},

      // Port wildcards ----------------------------------------------------------
      {"port wildcard any port", "ports", "http://localhost:5173", "GET", "/", {}, ALLOW, ALLOWED,
       {ACAO("http://localhost:5173")}},
      {"port wildcard no port", "ports", "http://localhost", "GET", "/", {}, ALLOW, ALLOWED},
      {"port wildcard scheme mismatch", "ports", "https://localhost:5173", "GET", "/", {}, DENY,
       ORIGIN},
      {"port wildcard host mismatch", "ports", "http://localhost.evil.com:5173", "GET", "/", {},
       DENY, ORIGIN},
      {"port wildcard not a subdomain wildcard", "ports", "http://a.localhost:5173", "GET", "/",
       {}, DENY, ORIGIN},
      {"both wildcards", "ports", "https://x.dev.example.net:9999", "GET", "/", {}, ALLOW,
       ALLOWED},
      {"both wildcards no port", "ports", "https://x.dev.example.net", "GET", "/", {}, ALLOW,
       ALLOWED},
      {"both wildcards apex denied", "ports", "https://dev.example.net:9999", "GET", "/", {}, DENY,
       ORIGIN},

      // "*" and "null" ---------------------------------------------------------
      {"star allows any origin with star", "any", "https://anything.example", "GET", "/", {},
       ALLOW, ALLOWED, {ACAO("*"), {"Access-Control-Expose-Headers", "x-total"}},
       {"Vary", "Access-Control-Allow-Credentials"}},
      {"star allows null origin", "any", "null", "GET", "/", {}, ALLOW, ALLOWED, {ACAO("*")}},
      {"star preflight echoes method and headers", "any", "https://x.example", "OPTIONS", "/",
       {ACRM("PURGE"), ACRH("x-a,x-b")}, ALLOW, ALLOWED,
       {ACAO("*"), ACAM("PURGE"), ACAH("x-a,x-b"), VARY(kRulePreflightVary)}},
      {"star headers never cover authorization", "any", "https://x.example", "OPTIONS", "/",
       {ACRM("GET"), ACRH("authorization")}, DENY, HEADERS},
      {"star methods never cover TRACE", "any", "https://x.example", "OPTIONS", "/",
       {ACRM("TRACE")}, DENY, METHOD},
      {"star methods never cover CONNECT", "any", "https://x.example", "OPTIONS", "/",
       {ACRM("CONNECT")}, DENY, METHOD},
      {"star methods never cover lowercase track", "any", "https://x.example", "OPTIONS", "/",
       {ACRM("track")}, DENY, METHOD},
      {"star malformed origin denied with vary", "any", "https://X.example", "GET", "/", {}, DENY,
       MALFORMED, {VARY("Origin")}},
      {"null listed explicitly allowed", "null", "null", "GET", "/", {}, ALLOW, ALLOWED,
       {ACAO("null"), VARY("Origin")}},
      {"null policy still allows exact", "null", kApp, "GET", "/", {}, ALLOW, ALLOWED,
       {ACAO(kApp)}},
      {"null preflight unlisted method denied", "null", "null", "OPTIONS", "/", {ACRM("PUT")}, DENY, METHOD},
      {"null preflight simple method", "null", "null", "OPTIONS", "/", {ACRM("GET")}, ALLOW,
       ALLOWED, {ACAO("null"), ACAM("GET")}},

      // Credentials -------------------------------------------------------------
      {"credentials actual echoes origin", "creds", kApp, "GET", "/", {}, ALLOW, ALLOWED,
       {ACAO(kApp), kAcacTrue, VARY("Origin")}},
      {"credentials preflight echoes origin", "creds", kApp, "OPTIONS", "/", {ACRM("PUT")}, ALLOW,
       ALLOWED, {ACAO(kApp), kAcacTrue, ACAM("PUT")}},
      {"credentials star headers echo names", "creds", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-custom,content-type")}, ALLOW, ALLOWED,
       {ACAH("x-custom,content-type"), kAcacTrue}},
      {"credentials star headers exclude authorization", "creds", kApp, "OPTIONS", "/",
       {ACRM("GET"), ACRH("authorization")}, DENY, HEADERS},
      {"credentials authorization listed explicitly", "creds_auth", kApp, "OPTIONS", "/",
       {ACRM("GET"), ACRH("authorization,x-custom")}, ALLOW, ALLOWED,
       {ACAH("authorization,x-custom"), kAcacTrue}},
      {"credentials authorization any case", "creds_auth", kApp, "OPTIONS", "/",
       {ACRM("GET"), ACRH("Authorization")}, ALLOW, ALLOWED, {ACAH("authorization")}},
      {"credentials star methods echo method", "creds", kApp, "OPTIONS", "/", {ACRM("PURGE")},
       ALLOW, ALLOWED, {ACAM("PURGE")}},
      {"credentials denied origin has no acac", "creds", "https://evil.example", "GET", "/", {},
       DENY, ORIGIN, {}, {"Access-Control-Allow-Credentials"}},
      {"credentials exact exposes headers", "creds_exact", kApp, "GET", "/", {}, ALLOW, ALLOWED,
       {kAcacTrue, {"Access-Control-Expose-Headers", "x-request-id"}}},
      {"no credentials means no acac", "basic", kApp, "GET", "/", {}, ALLOW, ALLOWED, {},
       {"Access-Control-Allow-Credentials"}},

      // Methods -----------------------------------------------------------------
      {"listed method allowed", "basic", kApp, "OPTIONS", "/", {ACRM("DELETE")}, ALLOW, ALLOWED,
       {ACAM("DELETE")}},
      {"unlisted method denied", "basic", kApp, "OPTIONS", "/", {ACRM("PURGE")}, DENY, METHOD},
      {"methods are case-sensitive PATCH listed patch sent", "basic", kApp, "OPTIONS", "/",
       {ACRM("patch")}, DENY, METHOD},
      {"methods are case-sensitive patch listed PATCH sent", "lowercase_patch", kApp, "OPTIONS",
       "/", {ACRM("PATCH")}, DENY, METHOD},
      {"lowercase patch listed patch sent", "lowercase_patch", kApp, "OPTIONS", "/",
       {ACRM("patch")}, ALLOW, ALLOWED, {ACAM("patch")}},
      {"custom method listed", "lowercase_patch", kApp, "OPTIONS", "/", {ACRM("PURGE")}, ALLOW,
       ALLOWED, {ACAM("PURGE")}},
      {"GET always allowed", "lowercase_patch", kApp, "OPTIONS", "/", {ACRM("GET")}, ALLOW,
       ALLOWED, {ACAM("GET")}},
      {"HEAD always allowed", "basic", kApp, "OPTIONS", "/", {ACRM("HEAD")}, ALLOW, ALLOWED},
      {"POST always allowed", "basic", kApp, "OPTIONS", "/", {ACRM("POST")}, ALLOW, ALLOWED},
      {"lowercase get is not safelisted", "basic", kApp, "OPTIONS", "/", {ACRM("get")}, DENY,
       METHOD},
      {"unlisted standard method denied", "basic", kApp, "OPTIONS", "/", {ACRM("OPTIONS")}, DENY,
       METHOD},
      {"TRACE never allowed", "basic", kApp, "OPTIONS", "/", {ACRM("TRACE")}, DENY, METHOD},
      {"actual request method not checked", "basic", kApp, "PURGE", "/", {}, ALLOW, ALLOWED,
       {ACAO(kApp)}},

      // Request headers ---------------------------------------------------------
      {"listed header allowed", "basic", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRH("x-trace-id")},
       ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      {"header names are case-insensitive", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("X-Trace-Id")}, ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      {"policy header names are case-insensitive", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("content-type")}, ALLOW, ALLOWED, {ACAH("content-type")}},
      {"unlisted header denied", "basic", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRH("x-other")},
       DENY, HEADERS},
      {"one unlisted header denies all", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-trace-id,x-other")}, DENY, HEADERS},
      {"safelisted name in acrh still needs listing", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("accept")}, DENY, HEADERS},
      {"several headers allowed", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("content-type,x-trace-id")}, ALLOW, ALLOWED,
       {ACAH("content-type,x-trace-id")}},
      {"optional whitespace trimmed", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(" content-type ,\tx-trace-id ")}, ALLOW, ALLOWED,
       {ACAH("content-type,x-trace-id")}},
      {"split over several lines", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("content-type"), ACRH("x-trace-id")}, ALLOW, ALLOWED,
       {ACAH("content-type,x-trace-id")}},
      {"split lines one not allowed", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("content-type"), ACRH("x-nope")}, DENY, HEADERS},
      {"acrh header name case-insensitive", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), {"ACCESS-CONTROL-REQUEST-HEADERS", "x-trace-id"}}, ALLOW, ALLOWED,
       {ACAH("x-trace-id")}},
      {"empty acrh means none requested", "basic", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRH("")},
       ALLOW, ALLOWED, {}, {"Access-Control-Allow-Headers"}},
      {"empty acrh line next to a real one", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(""), ACRH("x-trace-id")}, ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      // RFC 9110 section 5.6.1: empty list elements are ignored, so these
      // all mean what the names in them mean (and echo them canonically).
      {"empty element ignored", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-trace-id,,content-type")}, ALLOW, ALLOWED,
       {ACAH("x-trace-id,content-type")}},
      {"trailing comma ignored", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-trace-id,")}, ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      {"leading comma ignored", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(",x-trace-id")}, ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      {"empty elements with whitespace ignored", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(" , x-trace-id , ,")}, ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      {"trailing comma same as a separate empty line", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-trace-id"), ACRH("")}, ALLOW, ALLOWED, {ACAH("x-trace-id")}},
      {"only commas means none requested", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(",, ,")}, ALLOW, ALLOWED, {}, {"Access-Control-Allow-Headers"}},
      {"seventeen empty lines mean none requested", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""),
        ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""), ACRH(""),
        ACRH("")},
       ALLOW, ALLOWED, {}, {"Access-Control-Allow-Headers"}},
      {"empty element next to unlisted name still denied", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-trace-id,,x-other")}, DENY, HEADERS},
      {"empty elements do not count as names", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(Names(64) + ",,,,")}, ALLOW, ALLOWED, {ACAH(Names(64))}},
      {"empty elements count as bytes", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-a" + std::string(8190, ','))}, DENY, MALFORMED},
      {"non-token header name is malformed", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x trace")}, DENY, MALFORMED},
      {"header name with colon is malformed", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-a:1")}, DENY, MALFORMED},
      {"header list with CRLF is malformed", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-a\r\nset-cookie: a")}, DENY, MALFORMED},
      {"64 requested names accepted", "any", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRH(Names(64))},
       ALLOW, ALLOWED, {ACAH(Names(64))}},
      {"65 requested names malformed", "any", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRH(Names(65))},
       DENY, MALFORMED},
      {"8 KiB of acrh accepted", "any", kApp, "OPTIONS", "/", {ACRM("PUT"), ACRH(LongNames())},
       ALLOW, ALLOWED, {ACAH(LongNames())}},
      {"header name over 256 bytes is malformed", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-" + std::string(255, 'a'))}, DENY, MALFORMED},
      {"over 8 KiB of acrh malformed", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(std::string(8193, 'a'))}, DENY, MALFORMED},
      {"acrh bytes counted over lines", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH(std::string(200, 'a')), ACRH(std::string(8000, 'b'))}, DENY,
       MALFORMED},
      {"long header name within limits allowed by star", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-" + std::string(200, 'a'))}, ALLOW, ALLOWED},
      {"star headers allow any name", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("x-anything,content-type")}, ALLOW, ALLOWED,
       {ACAH("x-anything,content-type")}},
      {"mixed case list rebuilt lowercase", "any", kApp, "OPTIONS", "/",
       {ACRM("PUT"), ACRH("X-A, Content-Type")}, ALLOW, ALLOWED, {ACAH("x-a,content-type")}},
      {"acrh on actual request is ignored", "basic", kApp, "GET", "/", {ACRH("x-nope")}, ALLOW,
       ALLOWED, {}, {"Access-Control-Allow-Headers"}},

      // Path rules --------------------------------------------------------------
      {"default rule for root", "paths", "https://default.example", "GET", "/", {}, ALLOW,
       ALLOWED},
      {"prefix rule exact path", "paths", "https://api.example", "GET", "/api", {}, ALLOW,
       ALLOWED},
      {"prefix rule with trailing slash", "paths", "https://api.example", "GET", "/api/", {},
       ALLOW, ALLOWED},
      {"prefix rule sub path", "paths", "https://api.example", "GET", "/api/users/1", {}, ALLOW,
       ALLOWED},
      {"prefix rule not on segment boundary", "paths", "https://api.example", "GET", "/apix", {},
       DENY, ORIGIN},
      {"segment boundary falls back to default", "paths", "https://default.example", "GET",
       "/apix", {}, ALLOW, ALLOWED},
      {"prefix rule replaces default", "paths", "https://default.example", "GET", "/api/users",
       {}, DENY, ORIGIN},
      {"longest prefix wins", "paths", "https://admin.example", "GET", "/api/admin/x", {}, ALLOW,
       ALLOWED},
      {"longer prefix does not inherit shorter", "paths", "https://api.example", "GET",
       "/api/admin", {}, DENY, ORIGIN},
      {"longest prefix segment boundary", "paths", "https://api.example", "GET", "/api/administer",
       {}, ALLOW, ALLOWED},
      {"query ends the path", "paths", "https://api.example", "GET", "/api?next=/api/admin", {},
       ALLOW, ALLOWED},
      {"query right after prefix", "paths", "https://admin.example", "GET", "/api/admin?x=1", {},
       ALLOW, ALLOWED},
      {"fragment ends the path", "paths", "https://admin.example", "GET", "/api/admin#frag", {},
       ALLOW, ALLOWED},
      {"trailing slash prefix covers sub path", "paths", "https://any.example", "GET",
       "/static/app.js", {}, ALLOW, ALLOWED, {ACAO("*")}},
      {"trailing slash prefix does not cover bare", "paths", "https://any.example", "GET",
       "/static", {}, DENY, ORIGIN},
      {"rule methods apply per prefix", "paths", "https://api.example", "OPTIONS", "/api/x",
       {ACRM("PUT")}, ALLOW, ALLOWED},
      {"default rule methods differ", "paths", "https://default.example", "OPTIONS", "/x",
       {ACRM("PUT")}, DENY, METHOD},
      {"no default rule denies other paths", "no_default", "https://api.example", "GET", "/other",
       {}, DENY, ORIGIN, {VARY("Origin")}},
      {"no default rule preflight denied", "no_default", "https://api.example", "OPTIONS",
       "/other", {ACRM("PUT")}, DENY, ORIGIN, {VARY(kPreflightVary)}},
      {"no default rule no origin varies", "no_default", "", "GET", "/other", {}, NOT_CORS,
       NO_ORIGIN, {VARY("Origin")}},
      {"path too long is malformed", "basic", kApp, "GET", "/" + std::string(8200, 'p'), {}, DENY,
       MALFORMED},
      {"empty path uses default rule", "basic", kApp, "GET", "", {}, ALLOW, ALLOWED},

      // Preflight answers -------------------------------------------------------
      {"preflight default status 204", "basic", kApp, "OPTIONS", "/", {ACRM("PUT")}, ALLOW,
       ALLOWED},
      {"preflight status 200 when configured", "status200", kApp, "OPTIONS", "/", {ACRM("GET")},
       ALLOW, ALLOWED, {{"Access-Control-Max-Age", "0"}}},
      {"max age omitted when zero", "creds", kApp, "OPTIONS", "/", {ACRM("GET")}, ALLOW, ALLOWED,
       {}, {"Access-Control-Max-Age"}},
      {"preflight never exposes headers", "basic", kApp, "OPTIONS", "/", {ACRM("PUT")}, ALLOW,
       ALLOWED, {}, {"Access-Control-Expose-Headers"}},
      {"empty policy denies actual", "empty", kApp, "GET", "/", {}, DENY, ORIGIN,
       {VARY("Origin")}},
      {"empty policy denies preflight", "empty", kApp, "OPTIONS", "/", {ACRM("GET")}, DENY,
       ORIGIN},

      // Private Network Access --------------------------------------------------
      {"pna allowed when enabled", "pna", kApp, "OPTIONS", "/",
       {ACRM("GET"), {"Access-Control-Request-Private-Network", "true"}}, ALLOW, ALLOWED,
       {{"Access-Control-Allow-Private-Network", "true"},
        VARY(kRulePreflightVary)}},
      {"pna denied when not enabled", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), {"Access-Control-Request-Private-Network", "true"}}, DENY, PNA,
       {VARY(kRulePreflightVary)}, {"Access-Control-Allow-Private-Network"}},
      {"pna not requested still varies on it", "basic", kApp, "OPTIONS", "/", {ACRM("PUT")}, ALLOW,
       ALLOWED, {VARY(kRulePreflightVary)}},
      {"pna not requested not answered", "pna", kApp, "OPTIONS", "/", {ACRM("GET")}, ALLOW,
       ALLOWED, {}, {"Access-Control-Allow-Private-Network"}},
      {"pna other value is not a request", "basic", kApp, "OPTIONS", "/",
       {ACRM("PUT"), {"Access-Control-Request-Private-Network", "false"}}, ALLOW, ALLOWED, {},
       {"Access-Control-Allow-Private-Network"}},
      {"pna header ignored on actual", "basic", kApp, "GET", "/",
       {{"Access-Control-Request-Private-Network", "true"}}, ALLOW, ALLOWED},

      // Unrelated request headers ----------------------------------------------
      {"unrelated headers are ignored", "basic", kApp, "OPTIONS", "/",
       {{"Cookie", "a=b"}, {"User-Agent", "x"}, ACRM("PUT"), {"Accept", "*/*"}}, ALLOW, ALLOWED},
      {"too many header lines is malformed", "basic", kApp, "GET", "/",
       HeaderList(1025, {"X-Filler", "1"}), DENY, MALFORMED},
  };
  // clang-format on
}

std::string FetchCaseTenant(const std::string& policy) {
  return absl::StrReplaceAll(policy, {{"_", "-"}});
}

}  // namespace corsd::testing
