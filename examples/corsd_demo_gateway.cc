// corsd-demo-gateway: a small HTTP gateway that asks corsd about every
// request, the reference for integrating the client library.
//
//   corsd-demo-gateway --listen 127.0.0.1:8080 --corsd 127.0.0.1:50051 --tenant demo
//   corsd-demo-gateway ... --local --admin 127.0.0.1:50052 --token-file var/gateway.token
//
// It serves /echo (GET, HEAD, POST, PUT, PATCH, DELETE) with a JSON body
// describing the request it received. For every request it:
//   1. with --local, decides in-process from watched policies through the
//      zero-copy API (corsd::CorsRequestViewFromHttp, Client::CheckLocal);
//   2. otherwise (or for a tenant not watched yet) builds a CorsRequest
//      (corsd::CorsRequestFromHttp) and asks corsd,
//   3. answers preflights itself when the decision says respond_now,
//   4. otherwise "forwards" (here: the echo handler), then adds the decision's
//      headers to the response, merging Vary.
#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "corsd/client.h"
#include "corsd/gateway.h"
#include "nlohmann/json.hpp"

namespace {

struct Flags {
  std::string listen = "127.0.0.1:8080";
  std::string corsd = "127.0.0.1:50051";
  std::string tenant;
  bool local = false;
  std::string admin = "127.0.0.1:50052";
  std::string token_file;
  std::string deadline = "50ms";
  bool fail_open_cached = false;
};

const char* SourceName(corsd::Decision::Source source) {
  switch (source) {
    case corsd::Decision::Source::kRemote:
      return "remote";
    case corsd::Decision::Source::kLocal:
      return "local";
    case corsd::Decision::Source::kCachedPolicy:
      return "cached-policy";
    case corsd::Decision::Source::kFailClosed:
      return "fail-closed";
    case corsd::Decision::Source::kSnapshot:
      return "snapshot";
  }
  return "?";
}

const char* VerdictName(corsd::Verdict verdict) {
  switch (verdict) {
    case corsd::Verdict::kAllow:
      return "ALLOW";
    case corsd::Verdict::kDeny:
      return "DENY";
    case corsd::Verdict::kNotCors:
      return "NOT_CORS";
    default:
      return "UNSPECIFIED";
  }
}

// The "upstream": echoes what it received.
void Echo(const httplib::Request& req, httplib::Response& res) {
  nlohmann::json body;
  body["method"] = req.method;
  body["path"] = req.path;
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : req.headers) {
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT") {
      continue;  // httplib's own bookkeeping, not request headers
    }
    headers[absl::AsciiStrToLower(name)] = value;
  }
  body["headers"] = headers;
  if (!req.body.empty()) body["body"] = req.body;
  res.status = 200;
  res.set_header("X-Request-Id", absl::StrCat(absl::ToUnixMicros(absl::Now())));
  res.set_content(body.dump(), "application/json");
}

// What the gateway needs of a decision, from either API: the zero-copy
// DecisionView (local decisions) or the owning Decision (remote Check).
struct Answer {
  bool respond_now = false;
  int http_status = 0;
  corsd::Verdict verdict = corsd::Verdict::kUnspecified;
  const char* source = "";
  int64_t revision = 0;
  std::vector<corsd::HeaderRef> headers;
};

void Serve(corsd::Client& client, const Flags& flags, const httplib::Request& req,
           httplib::Response& res) {
  // 1. Decide. Locally with views into the request and the policy when the
  //    watched policies cover it (no copies, no allocation in the client)...
  std::vector<corsd::HeaderRef> request_headers;
  request_headers.reserve(req.headers.size());
  for (const auto& [name, value] : req.headers) request_headers.push_back({name, value});
  std::string origin_scratch;
  corsd::CorsRequestView request = corsd::CorsRequestViewFromHttp(
      req.method, req.target, req.get_header_value("Host"), request_headers, &origin_scratch);
  request.tenant = flags.tenant;
  Answer answer;
  corsd::DecisionView view;
  absl::StatusOr<corsd::Decision> decision;
  if (client.CheckLocal(request, &view)) {
    answer = {
        view.respond_now(),     view.http_status(),
        view.verdict(),         "local-view",
        view.policy_revision(), {view.response_headers().begin(), view.response_headers().end()}};
  } else {
    // ...otherwise through corsd (or the client's fallbacks).
    std::vector<corsd::HttpHeader> owned_headers;
    for (const auto& [name, value] : req.headers) owned_headers.push_back({name, value});
    corsd::CorsRequest cors = corsd::CorsRequestFromHttp(
        req.method, req.target, req.get_header_value("Host"), owned_headers);
    cors.tenant = flags.tenant;
    decision = client.Check(cors);
    if (!decision.ok()) {
      // corsd refused the request (unknown tenant, ...): a gateway bug, not
      // the browser's; answer without CORS headers.
      res.status = 502;
      res.set_content(absl::StrCat("corsd: ", decision.status().message(), "\n"), "text/plain");
      return;
    }
    answer = {decision->respond_now,        decision->http_status,     decision->verdict,
              SourceName(decision->source), decision->policy_revision, {}};
    for (const corsd::HttpHeader& h : decision->response_headers) {
      answer.headers.push_back({h.name, h.value});
    }
  }

  // 2. Answer a preflight now, or forward and put corsd's headers on the
  //    upstream's response (corsd's Access-Control-* replace the upstream's).
  std::vector<corsd::HttpHeader> response_headers;
  if (answer.respond_now) {
    res.status = answer.http_status;
  } else if (req.method == "OPTIONS") {
    res.status = 204;  // a plain OPTIONS, not a preflight: the upstream's answer
    response_headers.push_back({"Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"});
  } else if (req.path == "/echo" || req.path.rfind("/echo/", 0) == 0) {
    Echo(req, res);
  } else {
    res.status = 404;
    res.set_content("not found\n", "text/plain");
  }
  for (const auto& [name, value] : res.headers) response_headers.push_back({name, value});
  corsd::ApplyCorsHeaders(answer.headers, &response_headers);
  res.headers.clear();
  for (const corsd::HttpHeader& h : response_headers) res.headers.emplace(h.name, h.value);

  fprintf(stderr,
          "{\"event\":\"request\",\"method\":\"%s\",\"path\":%s,\"verdict\":\"%s\","
          "\"source\":\"%s\",\"status\":%d,\"revision\":%lld}\n",
          req.method.c_str(), nlohmann::json(req.path).dump().c_str(), VerdictName(answer.verdict),
          answer.source, res.status, static_cast<long long>(answer.revision));
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(s.str()));
}

}  // namespace

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's Abseil is built with deadlock detection on for every
  // absl::Mutex (gRPC's too), which costs several percent of CPU under load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Flags flags;
  CLI::App app{
      "corsd-demo-gateway: an HTTP gateway that asks corsd about every request.\n\n"
      "Example:\n  corsd-demo-gateway --listen 127.0.0.1:8080 --corsd 127.0.0.1:50051 "
      "--tenant demo",
      "corsd-demo-gateway"};
  app.add_option("--listen", flags.listen, "HTTP address, HOST:PORT")->capture_default_str();
  app.add_option("--corsd", flags.corsd, "corsd data port")->capture_default_str();
  app.add_option("--tenant", flags.tenant, "tenant to decide with (default: by Host)");
  app.add_flag("--local", flags.local, "decide in-process from watched policies");
  app.add_option("--admin", flags.admin, "corsd admin port (for --local)")->capture_default_str();
  app.add_option("--token-file", flags.token_file, "token that may read the tenant (for --local)");
  app.add_option("--deadline", flags.deadline, "per-check deadline")->capture_default_str();
  app.add_flag("--fail-open-cached", flags.fail_open_cached,
               "when corsd is down, decide with the last known policy instead of denying");
  CLI11_PARSE(app, argc, argv);

  corsd::ClientOptions options;
  options.target = flags.corsd;
  if (!absl::ParseDuration(flags.deadline, &options.deadline)) {
    fprintf(stderr, "corsd-demo-gateway: --deadline \"%s\" is not a duration\n",
            flags.deadline.c_str());
    return 2;
  }
  if (flags.local || flags.fail_open_cached) {
    options.local_evaluation = flags.local;
    options.admin_target = flags.admin;
    options.admin_token = ReadTrimmed(flags.token_file);
    if (!flags.tenant.empty()) options.tenants = {flags.tenant};
    if (flags.fail_open_cached) {
      options.failure_mode = corsd::ClientOptions::FailureMode::kFailOpenCached;
    }
  }
  absl::StatusOr<std::unique_ptr<corsd::Client>> client = corsd::Client::Create(options);
  if (!client.ok()) {
    fprintf(stderr, "corsd-demo-gateway: %s\n", std::string(client.status().message()).c_str());
    return 2;
  }

  httplib::Server server;
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    Serve(**client, flags, req, res);
  };
  for (auto route :
       {&httplib::Server::Get, &httplib::Server::Post, &httplib::Server::Put,
        &httplib::Server::Patch, &httplib::Server::Delete, &httplib::Server::Options}) {
    (server.*route)(".*", handler);
  }
  size_t colon = flags.listen.rfind(':');
  const std::string host = flags.listen.substr(0, colon);
  const int port = std::atoi(flags.listen.substr(colon + 1).c_str());
  const int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    fprintf(stderr, "corsd-demo-gateway: cannot listen on %s\n", flags.listen.c_str());
    return 1;
  }
  fprintf(
      stderr,
      "{\"event\":\"gateway_listening\",\"address\":\"%s:%d\",\"corsd\":\"%s\",\"mode\":\"%s\"}\n",
      host.c_str(), bound, flags.corsd.c_str(), flags.local ? "local" : "remote");
  std::thread listener([&] { server.listen_after_bind(); });
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server.stop();
  listener.join();
  return 0;
}
