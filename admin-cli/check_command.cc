// corsctl check: ask the data port what it would answer for one request.
#include <cstdio>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

struct CheckFlags {
  std::string tenant;
  std::string host;
  std::string origin;
  std::string method = "GET";
  std::vector<std::string> headers;
  std::string path = "/";
  bool explain = false;
};

int Check(CliContext* cli, const CheckFlags& flags) {
  v1::CheckRequest request;
  request.set_tenant(flags.tenant);
  request.set_host(flags.host);
  request.set_origin(flags.origin);
  request.set_method(flags.method);
  request.set_path(flags.path);
  request.set_explain(flags.explain);
  for (const std::string& header : flags.headers) {
    size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      fprintf(stderr, "corsctl: check: -H \"%s\" is not 'Name: value'\n", header.c_str());
      return kExitUsage;
    }
    v1::Header* h = request.add_headers();
    h->set_name(std::string(absl::StripAsciiWhitespace(header.substr(0, colon))));
    h->set_value(std::string(absl::StripAsciiWhitespace(header.substr(colon + 1))));
  }
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::CheckResponse response;
  grpc::Status status = cli->DecisionStub()->Check(&context, request, &response);
  if (!status.ok()) return cli->Fail("check", status);

  const bool denied = response.verdict() == v1::DENY;
  if (cli->json()) {
    printf("%s\n", MessageToJson(response).c_str());
  } else {
    const char* start = "";
    const char* end = "";
    if (cli->color()) {
      start = denied ? "\033[31m" : "\033[32m";
      end = "\033[0m";
    }
    printf("%s%s%s %s (%s), tenant %s, policy revision %lld\n", start,
           v1::Verdict_Name(response.verdict()).c_str(), end,
           v1::RequestKind_Name(response.kind()).c_str(),
           v1::Reason_Name(response.reason()).c_str(), TerminalSafe(response.tenant()).c_str(),
           static_cast<long long>(response.policy_revision()));
    if (response.respond_now()) {
      printf("answer now with HTTP %d (do not forward)\n", response.http_status());
    } else {
      printf("forward the request, then add to its response:\n");
    }
    for (const v1::Header& h : response.response_headers()) {
      printf("  %s: %s\n", TerminalSafe(h.name()).c_str(), TerminalSafe(h.value()).c_str());
    }
    if (!response.explanation().empty()) {
      printf("why: %s\n", TerminalSafe(response.explanation()).c_str());
    }
  }
  return denied ? kExitInvalid : kExitOk;
}

}  // namespace

void AddCheckCommand(CLI::App& app, CliContext* cli, Runner* run) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* check = app.add_subcommand(
      "check",
      "Ask corsd (data port) how it would answer one request. Exit 0 for ALLOW or NOT_CORS,\n"
      "1 for DENY, so it can guard CI.\n\n"
      "Examples:\n"
      "  corsctl check --tenant shop --origin https://app.example.com --method GET\n"
      "  corsctl check --tenant shop --origin https://app.example.com --method OPTIONS \\\n"
      "      -H 'Access-Control-Request-Method: PUT' \\\n"
      "      -H 'Access-Control-Request-Headers: content-type' --path /api/items --explain");
  check->add_option("--tenant", flags->tenant, "tenant to decide with");
  check->add_option("--host", flags->host, "or: the request's Host, to find the tenant by");
  check->add_option("--origin", flags->origin, "the Origin header ('' = none)");
  check->add_option("--method", flags->method, "HTTP method")->capture_default_str();
  check->add_option("-H,--header", flags->headers, "request header 'Name: value' (repeatable)");
  check->add_option("--path", flags->path, "request path")->capture_default_str();
  check->add_flag("--explain", flags->explain, "show why corsd decided as it did");
  check->callback([=] { *run = [=] { return Check(cli, *flags); }; });
}

}  // namespace corsd::cli
