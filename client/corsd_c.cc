// The C API (corsd/corsd_c.h) over corsd::Client with local evaluation.
// Every entry point catches whatever C++ throws (allocation failure, in
// practice), so nothing crosses into C.
#include "corsd/corsd_c.h"

#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/decision_mapping.h"
#include "corsd/client.h"
#include "corsd/gateway.h"
#include "corsd/v1/corsd.pb.h"

struct corsd_client {
  std::unique_ptr<corsd::Client> client;
};

namespace {

using corsd::Decision;
using corsd::DecisionView;
using corsd::HeaderRef;

#define CORSD_C_SAME_NUMBER(c_value, cpp_value) \
  static_assert(static_cast<int>(c_value) == static_cast<int>(cpp_value))
CORSD_C_SAME_NUMBER(CORSD_VERDICT_ALLOW, corsd::Verdict::kAllow);
CORSD_C_SAME_NUMBER(CORSD_VERDICT_DENY, corsd::Verdict::kDeny);
CORSD_C_SAME_NUMBER(CORSD_VERDICT_NOT_CORS, corsd::Verdict::kNotCors);
CORSD_C_SAME_NUMBER(CORSD_KIND_PREFLIGHT, corsd::RequestKind::kPreflight);
CORSD_C_SAME_NUMBER(CORSD_KIND_ACTUAL, corsd::RequestKind::kActual);
CORSD_C_SAME_NUMBER(CORSD_KIND_NO_ORIGIN, corsd::RequestKind::kNoOrigin);
CORSD_C_SAME_NUMBER(CORSD_REASON_ALLOWED, corsd::Reason::kAllowed);
CORSD_C_SAME_NUMBER(CORSD_REASON_NO_ORIGIN_HEADER, corsd::Reason::kNoOriginHeader);
CORSD_C_SAME_NUMBER(CORSD_REASON_ORIGIN_NOT_ALLOWED, corsd::Reason::kOriginNotAllowed);
CORSD_C_SAME_NUMBER(CORSD_REASON_METHOD_NOT_ALLOWED, corsd::Reason::kMethodNotAllowed);
CORSD_C_SAME_NUMBER(CORSD_REASON_HEADERS_NOT_ALLOWED, corsd::Reason::kHeadersNotAllowed);
CORSD_C_SAME_NUMBER(CORSD_REASON_PRIVATE_NETWORK_NOT_ALLOWED,
                    corsd::Reason::kPrivateNetworkNotAllowed);
CORSD_C_SAME_NUMBER(CORSD_REASON_MALFORMED_REQUEST, corsd::Reason::kMalformedRequest);
#undef CORSD_C_SAME_NUMBER

absl::string_view ToView(corsd_str s) {
  return s.data == nullptr ? absl::string_view() : absl::string_view(s.data, s.len);
}

corsd_str ToStr(absl::string_view v) { return {v.data(), v.size()}; }

std::string OrEmpty(const char* s) { return s == nullptr ? std::string() : std::string(s); }

bool IsSet(const char* s) { return s != nullptr && *s != '\0'; }

void CopyError(absl::string_view message, char* error, size_t error_size) {
  if (error == nullptr || error_size == 0) return;
  const size_t n = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

// The whole file, or an error naming the option and what to check.
absl::StatusOr<std::string> ReadOptionFile(const char* path, absl::string_view option) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", option, " file \"", path,
                                                   "\": ", std::strerror(errno),
                                                   "; check the path and its permissions"));
  }
  return text.str();
}

// Reads the optional PEM file `path` into `pem`.
absl::Status ReadPem(const char* path, absl::string_view option, std::string* pem) {
  if (!IsSet(path)) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadOptionFile(path, option);
  if (!text.ok()) return text.status();
  *pem = *std::move(text);
  return absl::OkStatus();
}

absl::StatusOr<corsd::ClientOptions> ToClientOptions(const corsd_client_options& in) {
  corsd::ClientOptions out;
  out.local_evaluation = true;
  if (IsSet(in.target)) out.target = in.target;
  out.admin_target = OrEmpty(in.admin_target);
  if (out.admin_target.empty()) {
    return absl::InvalidArgumentError(
        "admin_target is not set: name corsd's admin port (host:port), where the policies are "
        "watched");
  }
  if (IsSet(in.admin_token) && IsSet(in.admin_token_file)) {
    return absl::InvalidArgumentError("set admin_token or admin_token_file, not both");
  }
  out.admin_token = OrEmpty(in.admin_token);
  if (IsSet(in.admin_token_file)) {
    absl::StatusOr<std::string> token = ReadOptionFile(in.admin_token_file, "admin_token_file");
    if (!token.ok()) return token.status();
    out.admin_token = std::string(absl::StripAsciiWhitespace(*token));
    if (out.admin_token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin_token_file \"", in.admin_token_file,
                       "\" is empty: write a token there (corsctl token create --role viewer)"));
    }
  }
  for (const auto& [path, option, pem] :
       {std::tuple{in.tls_ca_file, "tls_ca_file", &out.tls_ca_pem},
        std::tuple{in.tls_cert_file, "tls_cert_file", &out.tls_cert_pem},
        std::tuple{in.tls_key_file, "tls_key_file", &out.tls_key_pem},
        std::tuple{in.admin_tls_ca_file, "admin_tls_ca_file", &out.admin_tls_ca_pem},
        std::tuple{in.admin_tls_cert_file, "admin_tls_cert_file", &out.admin_tls_cert_pem},
        std::tuple{in.admin_tls_key_file, "admin_tls_key_file", &out.admin_tls_key_pem}}) {
    if (absl::Status s = ReadPem(path, option, pem); !s.ok()) return s;
  }
  out.tls_server_name = OrEmpty(in.tls_server_name);
  out.admin_tls_server_name = OrEmpty(in.admin_tls_server_name);
  if (in.tenant_count > 0 && in.tenants == nullptr) {
    return absl::InvalidArgumentError("tenant_count is set but tenants is NULL");
  }
  for (size_t i = 0; i < in.tenant_count; ++i) {
    if (!IsSet(in.tenants[i])) {
      return absl::InvalidArgumentError(absl::StrCat("tenants[", i, "] is empty"));
    }
    out.tenants.emplace_back(in.tenants[i]);
  }
  out.snapshot_path = OrEmpty(in.snapshot_path);
  out.client_name = OrEmpty(in.client_name);
  if (in.log != nullptr) {
    out.log = [log = in.log, context = in.log_context](absl::string_view line) {
      log(context, line.data(), line.size());
    };
  }
  return out;
}

// Access-Control-Request-* lines read per request (corsd_c.h).
constexpr size_t kMaxRequestHeaders = 8;

DecisionView* ViewOf(corsd_decision* decision) {
  static_assert(sizeof(DecisionView) <= CORSD_DECISION_STORAGE,
                "grow CORSD_DECISION_STORAGE (an ABI change)");
  static_assert(alignof(DecisionView) <= 16);
  static_assert(alignof(corsd_decision) >= 16 && offsetof(corsd_decision, internal_) % 16 == 0);
  return std::launder(reinterpret_cast<DecisionView*>(decision->internal_.bytes));
}

void ResetPublicFields(corsd_decision* decision) {
  decision->verdict = CORSD_VERDICT_UNSPECIFIED;
  decision->kind = CORSD_KIND_UNSPECIFIED;
  decision->reason = CORSD_REASON_UNSPECIFIED;
  decision->source = CORSD_SOURCE_FAIL_CLOSED;
  decision->respond_now = 0;
  decision->http_status = 0;
  decision->policy_revision = 0;
  decision->tenant = corsd_str{nullptr, 0};
  decision->header_count = 0;
}

void FillFromView(const DecisionView& view, corsd_decision* decision) {
  decision->verdict = static_cast<corsd_verdict>(view.verdict());
  decision->kind = static_cast<corsd_request_kind>(view.kind());
  decision->reason = static_cast<corsd_reason>(view.reason());
  decision->source =
      view.source() == Decision::Source::kSnapshot ? CORSD_SOURCE_SNAPSHOT : CORSD_SOURCE_LOCAL;
  decision->respond_now = view.respond_now() ? 1 : 0;
  decision->http_status = view.http_status();
  decision->policy_revision = view.policy_revision();
  decision->tenant = ToStr(view.tenant());
  const absl::Span<const HeaderRef> headers = view.response_headers();
  // The engine never sets more (DecisionView holds as many).
  decision->header_count = std::min<size_t>(headers.size(), CORSD_MAX_RESPONSE_HEADERS);
  for (size_t i = 0; i < decision->header_count; ++i) {
    decision->headers[i] = {ToStr(headers[i].name), ToStr(headers[i].value)};
  }
}

void FillFailClosed(const corsd::client_internal::FailClosedAnswer& answer,
                    absl::string_view tenant, corsd_decision* decision) {
  decision->verdict = static_cast<corsd_verdict>(answer.verdict);
  decision->kind = static_cast<corsd_request_kind>(answer.kind);
  decision->reason = static_cast<corsd_reason>(answer.reason);
  decision->source = CORSD_SOURCE_FAIL_CLOSED;
  decision->respond_now = answer.respond_now ? 1 : 0;
  decision->http_status = answer.http_status;
  decision->policy_revision = 0;
  decision->tenant = ToStr(tenant);
  decision->header_count = 1;
  decision->headers[0] = {CORSD_STR("Vary"), ToStr(answer.vary)};
}

}  // namespace

extern "C" {

void corsd_client_options_init(corsd_client_options* options) {
  if (options != nullptr) std::memset(options, 0, sizeof(*options));
}

corsd_client* corsd_client_create(const corsd_client_options* options, char* error,
                                  size_t error_size) {
  CopyError("", error, error_size);
  if (options == nullptr) {
    CopyError("options is NULL: fill them with corsd_client_options_init", error, error_size);
    return nullptr;
  }
  try {
    absl::StatusOr<corsd::ClientOptions> client_options = ToClientOptions(*options);
    if (!client_options.ok()) {
      CopyError(client_options.status().message(), error, error_size);
      return nullptr;
    }
    absl::StatusOr<std::unique_ptr<corsd::Client>> client = corsd::Client::Create(*client_options);
    if (!client.ok()) {
      CopyError(client.status().message(), error, error_size);
      return nullptr;
    }
    return new corsd_client{*std::move(client)};
  } catch (const std::exception& e) {
    CopyError(absl::StrCat("corsd client: ", e.what()), error, error_size);
  } catch (...) {
    CopyError("corsd client: unexpected internal error", error, error_size);
  }
  return nullptr;
}

void corsd_client_destroy(corsd_client* client) { delete client; }

int corsd_client_wait_synced(corsd_client* client, int timeout_ms) {
  if (client == nullptr) return 0;
  try {
    return client->client->WaitUntilSynced(absl::Milliseconds(timeout_ms)) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

void corsd_client_get_status(const corsd_client* client, corsd_client_status* status) {
  if (status == nullptr) return;
  std::memset(status, 0, sizeof(*status));
  status->staleness_seconds = -1;
  if (client == nullptr) return;
  try {
    const corsd::LocalPolicyStatus local = client->client->local_status();
    status->connected = local.connected ? 1 : 0;
    status->from_snapshot = local.from_snapshot ? 1 : 0;
    status->ever_synced = local.synced_at != absl::InfinitePast() ? 1 : 0;
    if (local.staleness != absl::InfiniteDuration()) {
      status->staleness_seconds = absl::ToDoubleSeconds(local.staleness);
    }
    status->tenant_count = local.revisions.size();
    CopyError(local.watch_error, status->watch_error, sizeof(status->watch_error));
  } catch (...) {
    CopyError("out of memory while reading the status", status->watch_error,
              sizeof(status->watch_error));
  }
}

void corsd_decision_init(corsd_decision* decision) {
  if (decision == nullptr) return;
  new (decision->internal_.bytes) DecisionView;
  ResetPublicFields(decision);
}

corsd_source corsd_decide(corsd_client* client, const corsd_request* request,
                          corsd_decision* decision) {
  if (request == nullptr || decision == nullptr) return CORSD_SOURCE_FAIL_CLOSED;
  DecisionView* view = ViewOf(decision);
  // Only the Access-Control-Request-* lines matter; a browser sends at most
  // three. More than the inline room are dropped, so nothing is allocated.
  absl::InlinedVector<HeaderRef, kMaxRequestHeaders> headers;
  for (size_t i = 0; i < request->header_count && headers.size() < kMaxRequestHeaders; ++i) {
    const absl::string_view name = ToView(request->headers[i].name);
    if (absl::StartsWithIgnoreCase(name, "access-control-request-")) {
      headers.push_back({name, ToView(request->headers[i].value)});
    }
  }
  const corsd::CorsRequestView view_request{.tenant = ToView(request->tenant),
                                            .host = ToView(request->host),
                                            .origin = ToView(request->origin),
                                            .method = ToView(request->method),
                                            .path = ToView(request->path),
                                            .headers = headers};
  bool decided = false;
  try {
    decided = client != nullptr && client->client->CheckLocal(view_request, view);
  } catch (...) {
    decided = false;  // out of memory: the fail-closed answer below
  }
  if (decided) {
    FillFromView(*view, decision);
  } else {
    view->Clear();
    FillFailClosed(
        corsd::client_internal::FailClosedFor(view_request.origin, view_request.method, headers),
        view_request.tenant, decision);
  }
  return decision->source;
}

void corsd_decision_release(corsd_decision* decision) {
  if (decision == nullptr) return;
  ViewOf(decision)->Clear();
  ResetPublicFields(decision);
}

void corsd_decision_destroy(corsd_decision* decision) {
  if (decision == nullptr) return;
  ViewOf(decision)->~DecisionView();
  ResetPublicFields(decision);
}

const char* corsd_verdict_name(corsd_verdict verdict) {
  if (!corsd::v1::Verdict_IsValid(verdict)) return "UNKNOWN";
  return corsd::v1::Verdict_Name(static_cast<corsd::v1::Verdict>(verdict)).c_str();
}

const char* corsd_reason_name(corsd_reason reason) {
  if (!corsd::v1::Reason_IsValid(reason)) return "UNKNOWN";
  return corsd::v1::Reason_Name(static_cast<corsd::v1::Reason>(reason)).c_str();
}

const char* corsd_source_name(corsd_source source) {
  switch (source) {
    case CORSD_SOURCE_LOCAL:
      return "local";
    case CORSD_SOURCE_SNAPSHOT:
      return "snapshot";
    case CORSD_SOURCE_FAIL_CLOSED:
      return "fail_closed";
  }
  return "unknown";
}

int corsd_is_cors_header(corsd_str name) {
  return corsd::IsCorsResponseHeader(ToView(name)) ? 1 : 0;
}

size_t corsd_merge_vary(corsd_str existing, corsd_str added, char* out, size_t out_size) {
  try {
    const std::string merged = corsd::MergeVary(ToView(existing), ToView(added));
    if (out != nullptr && merged.size() <= out_size) {
      std::memcpy(out, merged.data(), merged.size());
    }
    return merged.size();
  } catch (...) {
    return SIZE_MAX;  // never fits: the caller keeps its own headers
  }
}

}  // extern "C"
