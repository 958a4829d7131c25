#include "service/engine/rule_compiler.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/engine/http_syntax.h"
#include "service/engine/limits.h"
#include "service/engine/origin_pattern.h"
#include "service/engine/origin_reachability.h"

namespace corsd::engine {
namespace {

std::string Element(absl::string_view field, absl::string_view list, size_t index) {
  return absl::StrCat(field, ".", list, "[", index, "]");
}

std::string Field(absl::string_view field, absl::string_view name) {
  return absl::StrCat(field, ".", name);
}

// Reports a list over its limit and returns false: the caller then does not
// walk it, so the work per list is bounded by the limit, not by the input.
// (Conversion keeps at most limit + 1 entries of a list, so "more than" is
// all that can be said of the size.)
bool CheckListSize(size_t size, size_t limit, absl::string_view field, absl::string_view list,
                   PolicyDiagnostics* diagnostics) {
  if (size <= limit) return true;
  diagnostics->AddViolation(
      Field(field, list),
      absl::StrCat("lists more than ", limit, " entries; at most ", limit, " are allowed"));
  return false;
}

void CheckPathPrefix(absl::string_view prefix, absl::string_view field,
                     PolicyDiagnostics* diagnostics) {
  const std::string name = Field(field, "path_prefix");
  if (prefix.empty()) return;
  if (prefix.size() > kMaxPathPrefixBytes) {
    diagnostics->AddViolation(name, absl::StrCat("is longer than ", kMaxPathPrefixBytes, " bytes"));
    return;
  }
  if (prefix.front() != '/') {
    diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(prefix),
                                                 " must start with '/' (or be \"\" for the "
                                                 "default rule), e.g. \"/",
                                                 prefix, "\""));
  }
  for (char c : prefix) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '?' || c == '#') {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(prefix),
                                                   " contains '?' or '#'; rules match the path "
                                                   "only, which ends before the query"));
      return;
    }
    if (u <= 0x20 || u >= 0x7f) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(prefix),
                                                   " contains whitespace, control or non-ASCII "
                                                   "bytes; percent-encode them as in the request "
                                                   "path"));
      return;
    }
  }
}

void CompileOrigins(const RuleSpec& spec, absl::string_view field,
                    const RuleCompileOptions& options, CompiledRule* rule,
                    PolicyDiagnostics* diagnostics) {
  absl::flat_hash_map<absl::string_view, size_t> seen;
  seen.reserve(spec.allowed_origins.size());
  bool has_any = false;
  std::vector<OriginPattern> accepted;
  accepted.reserve(spec.allowed_origins.size());
  for (size_t i = 0; i < spec.allowed_origins.size(); ++i) {
    const std::string& text = spec.allowed_origins[i];
    // Only diagnostics need the field's name: not built for every origin.
    auto name = [&] { return Element(field, "allowed_origins", i); };
    absl::StatusOr<OriginPattern> pattern = OriginPattern::Parse(text);
    if (!pattern.ok()) {
      diagnostics->AddViolation(
          name(), absl::StrCat(QuoteForMessage(text), " ", pattern.status().message()));
      continue;
    }
    if (std::string why = WhyNoBrowserSends(*pattern); !why.empty()) {
      if (options.refuse_unreachable_entries) {
        diagnostics->AddViolation(name(), absl::StrCat(QuoteForMessage(text), " ", why));
      } else {
        diagnostics->AddWarning(name(), absl::StrCat(QuoteForMessage(text), " ", why,
                                                     " (ignored in this stored policy)"));
      }
      continue;
    }
    if (auto [it, inserted] = seen.emplace(text, i); !inserted) {
      diagnostics->AddWarning(name(), absl::StrCat(QuoteForMessage(text),
                                                   " is listed again (first "
                                                   "at index ",
                                                   it->second, ")"));
      continue;
    }
    switch (pattern->kind()) {
      case OriginPattern::Kind::kAny:
        has_any = true;
        if (spec.allow_credentials) {
          diagnostics->AddViolation(
              name(),
              "\"*\" cannot be combined with allow_credentials: browsers reject "
              "credentialed responses that allow every origin; list the trusted origins "
              "explicitly");
        }
        break;
      case OriginPattern::Kind::kNull:
        if (spec.allow_credentials) {
          diagnostics->AddWarning(
              name(),
              "\"null\" with allow_credentials lets any sandboxed iframe or local file "
              "make credentialed requests; allow it only if you must");
        }
        break;
      default:
        if (spec.allow_credentials && pattern->IsInsecureNonLocal()) {
          diagnostics->AddWarning(name(), absl::StrCat(QuoteForMessage(text),
                                                       " is plain http with allow_credentials: "
                                                       "anyone on the network path can act as "
                                                       "this origin; prefer https"));
        }
        break;
    }
    accepted.push_back(*std::move(pattern));
  }
  rule->origins = OriginMatcher::Build(accepted, options.origin_text);
  if (spec.allowed_origins.empty()) {
    diagnostics->AddWarning(Field(field, "allowed_origins"),
                            "is empty, so this rule denies every cross-origin request");
  } else if (has_any && spec.allowed_origins.size() > 1) {
    diagnostics->AddWarning(Field(field, "allowed_origins"),
                            "lists \"*\" together with other origins, which it already covers");
  }
  rule->origin_independent = has_any && !spec.allow_credentials;
}

// Fetch never preflights GET, HEAD and POST, so browsers send them from any
// allowed origin whatever allowed_methods says. A list that names some methods
// but leaves these out reads as if it restricted them (several CORS libraries
// also check the method of actual requests), so say that it does not.
void WarnAboutOmittedSafelistedMethods(const RuleSpec& spec, absl::string_view field,
                                       PolicyDiagnostics* diagnostics) {
  if (spec.allowed_methods.empty() || spec.allowed_methods.size() > kMaxMethodsPerRule) return;
  std::vector<absl::string_view> omitted;
  for (absl::string_view safelisted : {"GET", "HEAD", "POST"}) {
    bool listed = false;
    for (const std::string& method : spec.allowed_methods) {
      if (method == safelisted || method == "*") listed = true;
    }
    if (!listed) omitted.push_back(safelisted);
  }
  if (omitted.empty()) return;
  diagnostics->AddWarning(
      Field(field, "allowed_methods"),
      absl::StrCat("does not list ", absl::StrJoin(omitted, ", "), ", but that does not deny ",
                   omitted.size() == 1 ? "it" : "them",
                   ": CORS-safelisted methods (GET, HEAD, POST) are never preflighted, so "
                   "browsers send them from every allowed origin; this list only decides which "
                   "other methods a preflight may ask for. Add them to the list to say so, or "
                   "deny those requests in the service itself"));
}

void CompileMethods(const RuleSpec& spec, absl::string_view field, CompiledRule* rule,
                    PolicyDiagnostics* diagnostics) {
  if (!CheckListSize(spec.allowed_methods.size(), kMaxMethodsPerRule, field, "allowed_methods",
                     diagnostics)) {
    return;
  }
  for (size_t i = 0; i < spec.allowed_methods.size(); ++i) {
    const std::string& method = spec.allowed_methods[i];
    const std::string name = Element(field, "allowed_methods", i);
    if (method == "*") {
      rule->any_method = true;
    } else if (method.size() > kMaxMethodBytes || !IsToken(method)) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(method),
                                                   " is not a method name (an HTTP token of at "
                                                   "most ",
                                                   kMaxMethodBytes, " bytes)"));
    } else if (IsForbiddenMethod(method)) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(method),
                                                   " is a forbidden method: browsers never send "
                                                   "CONNECT, TRACE or TRACK; remove it"));
    } else if (IsUnnormalizedStandardMethod(method)) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(method),
                                                   " never matches: browsers uppercase this "
                                                   "method before sending it; write \"",
                                                   absl::AsciiStrToUpper(method), "\""));
    } else if (!rule->methods.Insert(method)) {
      diagnostics->AddWarning(name, absl::StrCat(QuoteForMessage(method), " is listed twice"));
    }
  }
  WarnAboutOmittedSafelistedMethods(spec, field, diagnostics);
}

void CompileAllowedHeaders(const RuleSpec& spec, absl::string_view field, CompiledRule* rule,
                           PolicyDiagnostics* diagnostics) {
  if (!CheckListSize(spec.allowed_headers.size(), kMaxHeaderNamesPerRule, field, "allowed_headers",
                     diagnostics)) {
    return;
  }
  for (size_t i = 0; i < spec.allowed_headers.size(); ++i) {
    const std::string& header = spec.allowed_headers[i];
    const std::string name = Element(field, "allowed_headers", i);
    if (header == "*") {
      rule->any_header = true;
      continue;
    }
    if (header.size() > kMaxHeaderNameBytes || !IsToken(header)) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(header),
                                                   " is not a header name (an HTTP token of at "
                                                   "most ",
                                                   kMaxHeaderNameBytes, " bytes)"));
      continue;
    }
    if (IsForbiddenRequestHeaderName(header)) {
      diagnostics->AddWarning(name, absl::StrCat(QuoteForMessage(header),
                                                 " is a header scripts can never set, so "
                                                 "allowing it has no effect"));
    }
    if (!rule->headers.Insert(absl::AsciiStrToLower(header))) {
      diagnostics->AddWarning(name, absl::StrCat(QuoteForMessage(header),
                                                 " is listed twice (names are case-insensitive)"));
    }
  }
}

void CompileExposedHeaders(const RuleSpec& spec, absl::string_view field, CompiledRule* rule,
                           PolicyDiagnostics* diagnostics) {
  if (!CheckListSize(spec.exposed_headers.size(), kMaxHeaderNamesPerRule, field, "exposed_headers",
                     diagnostics)) {
    return;
  }
  std::vector<absl::string_view> exposed;
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < spec.exposed_headers.size(); ++i) {
    const std::string& header = spec.exposed_headers[i];
    const std::string name = Element(field, "exposed_headers", i);
    if (header == "*") {
      if (spec.allow_credentials) {
        diagnostics->AddViolation(name,
                                  "\"*\" exposes nothing to credentialed requests "
                                  "(browsers read it as a header named \"*\"); list the "
                                  "header names instead");
        continue;
      }
    } else if (header.size() > kMaxHeaderNameBytes || !IsToken(header)) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(header),
                                                   " is not a header name (an HTTP token of at "
                                                   "most ",
                                                   kMaxHeaderNameBytes, " bytes)"));
      continue;
    } else if (IsForbiddenResponseHeaderName(header)) {
      diagnostics->AddViolation(name, absl::StrCat(QuoteForMessage(header),
                                                   " can never be exposed: browsers hide "
                                                   "Set-Cookie from scripts; remove it"));
      continue;
    } else if (IsCorsProtocolHeaderName(header)) {
      diagnostics->AddWarning(name, absl::StrCat(QuoteForMessage(header),
                                                 " is a CORS protocol header, which the browser "
                                                 "consumes itself and never lets a page read; "
                                                 "exposing it has no effect"));
    } else if (IsCorsSafelistedResponseHeaderName(header)) {
      diagnostics->AddWarning(name, absl::StrCat(QuoteForMessage(header),
                                                 " is always exposed; listing it is not needed"));
    }
    if (auto [it, inserted] = seen.emplace(absl::AsciiStrToLower(header), i); !inserted) {
      diagnostics->AddWarning(name, absl::StrCat(QuoteForMessage(header),
                                                 " is listed twice (names are case-insensitive)"));
      continue;
    }
    exposed.push_back(header);
  }
  rule->exposed_headers_value = absl::StrJoin(exposed, ", ");
}

void CompileScalars(const RuleSpec& spec, absl::string_view field, CompiledRule* rule,
                    PolicyDiagnostics* diagnostics) {
  if (spec.max_age_seconds < -1 || spec.max_age_seconds > kMaxMaxAgeSeconds) {
    diagnostics->AddViolation(Field(field, "max_age_seconds"),
                              absl::StrCat("is ", spec.max_age_seconds,
                                           "; use 0 (omit the header), -1 (send \"0\": "
                                           "no caching) or 1..",
                                           kMaxMaxAgeSeconds));
  } else if (spec.max_age_seconds > kChromiumMaxAgeCapSeconds) {
    diagnostics->AddWarning(
        Field(field, "max_age_seconds"),
        absl::StrCat("is ", spec.max_age_seconds, "; Chromium caps preflight caching at ",
                     kChromiumMaxAgeCapSeconds, " seconds"));
  }
  // -1 asks browsers not to cache the preflight at all ("0"); 0 omits the
  // header and leaves the browser default (5 s).
  if (spec.max_age_seconds != 0) {
    rule->max_age_value = absl::StrCat(spec.max_age_seconds == -1 ? 0 : spec.max_age_seconds);
  }

  if (spec.preflight_status != 0 && (spec.preflight_status < 200 || spec.preflight_status > 299)) {
    diagnostics->AddViolation(Field(field, "preflight_status"),
                              absl::StrCat("is ", spec.preflight_status,
                                           "; use 0 (= 204) or a 2xx status (200..299), because "
                                           "browsers fail preflights answered with any other"));
  }
  rule->preflight_status = spec.preflight_status == 0 ? 204 : spec.preflight_status;

  rule->allow_credentials = spec.allow_credentials;
  rule->allow_private_network = spec.allow_private_network;
  if (spec.allow_private_network) {
    diagnostics->AddWarning(Field(field, "allow_private_network"),
                            "Private Network Access preflights are a Chromium-only mechanism "
                            "being replaced by a permission prompt; keep it only for old "
                            "Chromium clients");
  }
}

}  // namespace

CompiledRule CompileRule(const RuleSpec& spec, absl::string_view field,
                         const RuleCompileOptions& options, PolicyDiagnostics* diagnostics) {
  CompiledRule rule;
  rule.path_prefix = spec.path_prefix;
  CheckPathPrefix(spec.path_prefix, field, diagnostics);
  if (options.compile_origins) CompileOrigins(spec, field, options, &rule, diagnostics);
  CompileMethods(spec, field, &rule, diagnostics);
  CompileAllowedHeaders(spec, field, &rule, diagnostics);
  CompileExposedHeaders(spec, field, &rule, diagnostics);
  CompileScalars(spec, field, &rule, diagnostics);
  return rule;
}

}  // namespace corsd::engine
