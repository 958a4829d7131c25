#include "service/engine/decision.h"

#include <new>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "service/engine/diagnostics.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"
#include "service/engine/requested_headers.h"
#include "service/engine/serialized_origin.h"

namespace corsd::engine {

// Fills a Decision step by step and, when asked, records why: each step adds
// one clause to the explanation ("rule \"/api\" matched; ... -> DENY ...").
class DecisionWriter {
 public:
  DecisionWriter(Decision* decision, int64_t revision, bool explain)
      : decision_(decision), explain_(explain) {
    decision_->header_count_ = 0;
    decision_->explanation.clear();
    decision_->respond_now = false;
    decision_->http_status = 0;
    decision_->policy_revision = revision;
  }

  void Header(absl::string_view name, absl::string_view value) {
    new (decision_->headers_ + decision_->header_count_++ * sizeof(HeaderView))
        HeaderView{name, value};
  }

  template <typename... Parts>
  void Trace(const Parts&... parts) {
    if (!explain_) return;
    if (!decision_->explanation.empty()) decision_->explanation += "; ";
    absl::StrAppend(&decision_->explanation, parts...);
  }
  bool explaining() const { return explain_; }

  void SetKind(RequestKind kind) {
    decision_->kind = kind;
    if (kind == RequestKind::kPreflight) decision_->respond_now = true;
  }

  void Finish(Verdict verdict, Reason reason) {
    decision_->verdict = verdict;
    decision_->reason = reason;
    if (decision_->respond_now) decision_->http_status = verdict == Verdict::kAllow ? status_ : 403;
    if (explain_) {
      absl::StrAppend(&decision_->explanation, " -> ", VerdictName(verdict), " ",
                      ReasonName(reason));
    }
  }
  void SetAllowStatus(int status) { status_ = status; }

  std::string* scratch() { return &decision_->scratch_; }

 private:
  Decision* decision_;
  bool explain_;
  int status_ = 204;
};

namespace {

constexpr absl::string_view kVaryOrigin = "Origin";
// A preflight that no rule covers is denied whatever it asks for, except
// that a malformed method or header list is its own denial.
constexpr absl::string_view kVaryPreflight =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
// Under a rule, the answer also depends on whether the preflight asks for
// private network access: allowed only where the rule allows it, denied
// everywhere else. A cache must not hand one answer to the other.
constexpr absl::string_view kVaryRulePreflight =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network";

absl::string_view PathWithoutQuery(absl::string_view path) {
  return path.substr(0, FindQueryOrFragment(path));
}

void DescribeRule(const CompiledRule* rule, absl::string_view path, DecisionWriter* out) {
  if (!out->explaining()) return;
  if (rule == nullptr) {
    out->Trace("no rule covers path ", QuoteForMessage(path), " and there is no default rule");
  } else if (rule->path_prefix.empty()) {
    out->Trace("default rule \"\" matched");
  } else {
    out->Trace("rule \"", rule->path_prefix, "\" matched");
  }
}

// No Origin header: not a CORS request. Fetch's advice for HTTP caches: when
// every origin gets "*", send it on every response and skip Vary; otherwise
// mark the response as varying by Origin so a cache never hands it to a
// cross-origin request.
void DecideWithoutOrigin(const CompiledRule* rule, DecisionWriter* out) {
  out->SetKind(RequestKind::kNoOrigin);
  out->Trace("no Origin header: not a CORS request, forward as usual");
  if (rule != nullptr && rule->origin_independent) {
    out->Header(kAllowOriginHeader, "*");
    if (!rule->exposed_headers_value.empty()) {
      out->Header(kExposeHeadersHeader, rule->exposed_headers_value);
    }
  } else {
    out->Header(kVaryHeader, kVaryOrigin);
  }
  out->Finish(Verdict::kNotCors, Reason::kNoOriginHeader);
}

void Deny(Reason reason, absl::string_view vary, DecisionWriter* out) {
  out->Header(kVaryHeader, vary);
  out->Finish(Verdict::kDeny, reason);
}

// Checks the parts of every CORS request that must be well-formed whatever
// the policy says. Returns false (and has denied) when something is not.
// `origin` is null when the origin is listed exactly in the rule, which makes
// it a valid serialized origin already (OriginMatcher::FindListedExactly).
bool CheckRequestSyntax(const Request& request, const CorsRequestHeaders& cors,
                        SerializedOrigin* origin, absl::string_view vary, DecisionWriter* out) {
  if (cors.line_count > kMaxRequestHeaderLines) {
    out->Trace("request has ", cors.line_count, " header lines; at most ", kMaxRequestHeaderLines,
               " are accepted");
    Deny(Reason::kMalformedRequest, vary, out);
    return false;
  }
  if (origin != nullptr && request.origin != "null") {
    if (OriginProblem p = ParseSerializedOrigin(request.origin, origin);
        p != OriginProblem::kNone) {
      out->Trace("origin ", QuoteForMessage(request.origin), " ", DescribeOriginProblem(p));
      Deny(Reason::kMalformedRequest, vary, out);
      return false;
    }
  }
  if (request.method.size() > kMaxMethodBytes || !IsToken(request.method)) {
    out->Trace("method ", QuoteForMessage(request.method), " is not an HTTP method token");
    Deny(Reason::kMalformedRequest, vary, out);
    return false;
  }
  if (request.path.size() > kMaxPathBytes) {
    out->Trace("path is longer than ", kMaxPathBytes, " bytes");
    Deny(Reason::kMalformedRequest, vary, out);
    return false;
  }
  return true;
}

// The preflight's own headers. Checked only once the origin is allowed: a
// preflight from an origin the policy does not know is denied whatever it
// asks for, and cheaply.
bool CheckPreflightSyntax(const Request& request, const CorsRequestHeaders& cors,
                          RequestedHeaders* requested, absl::string_view vary,
                          DecisionWriter* out) {
  if (cors.request_method_lines > 1) {
    out->Trace("Access-Control-Request-Method appears ", cors.request_method_lines, " times");
    Deny(Reason::kMalformedRequest, vary, out);
    return false;
  }
  if (cors.request_method.size() > kMaxMethodBytes || !IsToken(cors.request_method)) {
    out->Trace("Access-Control-Request-Method ", QuoteForMessage(cors.request_method),
               cors.request_method.empty() ? " is empty" : " is not an HTTP method token");
    Deny(Reason::kMalformedRequest, vary, out);
    return false;
  }
  if (RequestedHeadersProblem p = requested->Parse(cors, request.headers);
      p != RequestedHeadersProblem::kNone) {
    out->Trace("Access-Control-Request-Headers ", DescribeRequestedHeadersProblem(p));
    Deny(Reason::kMalformedRequest, vary, out);
    return false;
  }
  return true;
}

void AllowActual(const CompiledRule& rule, absl::string_view origin, DecisionWriter* out) {
  if (rule.origin_independent) {
    out->Header(kAllowOriginHeader, "*");
  } else {
    out->Header(kAllowOriginHeader, origin);
    if (rule.allow_credentials) out->Header(kAllowCredentialsHeader, "true");
  }
  if (!rule.exposed_headers_value.empty()) {
    out->Header(kExposeHeadersHeader, rule.exposed_headers_value);
  }
  if (!rule.origin_independent) out->Header(kVaryHeader, kVaryOrigin);
  out->Finish(Verdict::kAllow, Reason::kAllowed);
}

void DecidePreflight(const CompiledRule& rule, absl::string_view origin,
                     const CorsRequestHeaders& cors, const RequestedHeaders& requested,
                     DecisionWriter* out) {
  const absl::string_view vary = kVaryRulePreflight;
  const absl::string_view method = cors.request_method;
  if (!rule.AllowsMethod(method)) {
    out->Trace("method ", method, " not allowed");
    return Deny(Reason::kMethodNotAllowed, vary, out);
  }
  out->Trace("method ", method, " allowed");

  bool headers_allowed = requested.ForEachName([&](absl::string_view name) {
    if (rule.AllowsHeader(name)) return true;
    out->Trace("header ", name, " not allowed",
               name == "authorization" && rule.any_header
                   ? " (\"*\" never covers authorization; list it explicitly)"
                   : "");
    return false;
  });
  if (!headers_allowed) return Deny(Reason::kHeadersNotAllowed, vary, out);
  if (requested.count() > 0) out->Trace("headers allowed");

  if (cors.requests_private_network) {
    if (!rule.allow_private_network) {
      out->Trace("private network access requested but not allowed");
      return Deny(Reason::kPrivateNetworkNotAllowed, vary, out);
    }
    out->Trace("private network access allowed");
  }

  // Echo the origin (or "*") and the validated method and header names:
  // unlike a literal "*", echoed names also work for credentialed requests.
  out->Header(kAllowOriginHeader, rule.origin_independent ? absl::string_view("*") : origin);
  if (rule.allow_credentials) out->Header(kAllowCredentialsHeader, "true");
  out->Header(kAllowMethodsHeader, method);
  if (requested.count() > 0) out->Header(kAllowHeadersHeader, requested.Canonical(out->scratch()));
  if (!rule.max_age_value.empty()) out->Header(kMaxAgeHeader, rule.max_age_value);
  if (cors.requests_private_network) out->Header(kAllowPrivateNetworkHeader, "true");
  out->Header(kVaryHeader, vary);
  out->SetAllowStatus(rule.preflight_status);
  out->Finish(Verdict::kAllow, Reason::kAllowed);
}

// Decide, with the request's CORS headers from `scan_cors()`: a scan made
// here, once the request turns out to have an Origin, or the caller's.
template <typename ScanCors>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void DecideWith(const CompiledPolicy& policy,
                                                    const Request& request,
                                                    const DecideOptions& options,
                                                    Decision* decision, ScanCors scan_cors) {
  DecisionWriter out(decision, policy.revision(), options.explain);
  const absl::string_view path = PathWithoutQuery(request.path);
  const CompiledRule* rule = policy.SelectRule(path);

  if (request.origin.empty()) {
    DescribeRule(rule, path, &out);
    return DecideWithoutOrigin(rule, &out);
  }

  // A scan made here is built in place (a temporary bound to the reference).
  const CorsRequestHeaders& cors = scan_cors();
  const bool preflight = request.method == "OPTIONS" && cors.request_method_lines > 0;
  out.SetKind(preflight ? RequestKind::kPreflight : RequestKind::kActual);
  // A denial depends on the origin too, so it varies at least by Origin; a
  // preflight answer also depends on what the preflight asked for.
  absl::string_view vary =
      preflight ? (rule != nullptr ? kVaryRulePreflight : kVaryPreflight) : kVaryOrigin;

  // Most allowed requests come from an origin the rule lists exactly: one
  // hash lookup then both validates and matches it, and the full parse
  // (about a third of an allowed decision) is skipped.
  absl::string_view pattern =
      rule != nullptr ? rule->origins.FindListedExactly(request.origin) : absl::string_view();
  SerializedOrigin origin;
  if (!CheckRequestSyntax(request, cors, pattern.empty() ? &origin : nullptr, vary, &out)) return;

  DescribeRule(rule, path, &out);
  if (rule == nullptr) return Deny(Reason::kOriginNotAllowed, vary, &out);

  if (pattern.empty()) pattern = rule->origins.Find(request.origin, &origin);
  if (pattern.empty()) {
    out.Trace("origin ", request.origin, " not allowed");
    return Deny(Reason::kOriginNotAllowed, vary, &out);
  }
  out.Trace("origin ", request.origin, " matched pattern ", pattern);

  if (!preflight) return AllowActual(*rule, request.origin, &out);
  RequestedHeaders requested;
  if (!CheckPreflightSyntax(request, cors, &requested, vary, &out)) return;
  DecidePreflight(*rule, request.origin, cors, requested, &out);
}

}  // namespace

void Decide(const CompiledPolicy& policy, const Request& request, const DecideOptions& options,
            Decision* decision) {
  DecideWith(policy, request, options, decision,
             [&request] { return ScanCorsRequestHeaders(request.headers); });
}

void Decide(const CompiledPolicy& policy, const Request& request, const CorsRequestHeaders& cors,
            const DecideOptions& options, Decision* decision) {
  DecideWith(policy, request, options, decision,
             [&cors]() -> const CorsRequestHeaders& { return cors; });
}

}  // namespace corsd::engine
