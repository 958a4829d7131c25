#include "service/server/authenticator.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/ops/log.h"
#include "service/store/api_token.h"

namespace corsd::server {
namespace {

constexpr absl::Duration kCacheTtl = absl::Seconds(30);
constexpr size_t kMaxCachedTokens = 10'000;
// last_used_at is informational; writing it on every call would turn each
// admin read into a durable write.
constexpr absl::Duration kMarkUsedEvery = absl::Minutes(5);
constexpr size_t kMaxTokenBytes = 512;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat(why,
                   "; pass `authorization: Bearer <token>` (corsctl --token, --token-file or "
                   "CORSD_TOKEN; create one with `corsd token create`)"));
}

std::string Describe(const Principal& p) {
  return absl::StrCat("token \"", p.label, "\" is ", store::RoleName(p.role),
                      p.tenant.empty() ? "" : absl::StrCat(" of tenant \"", p.tenant, "\""));
}

}  // namespace

absl::Status Authorize(const Principal& principal, Permission permission,
                       absl::string_view tenant) {
  using store::Role;
  if (principal.role == Role::kAdmin) return absl::OkStatus();
  const bool in_scope = principal.tenant.empty() || principal.tenant == tenant;
  switch (permission) {
    case Permission::kAnyToken:
      return absl::OkStatus();
    case Permission::kRead:
      if (in_scope) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat(Describe(principal), " and cannot read tenant \"", tenant, "\""));
    case Permission::kWrite:
      if (principal.role == Role::kEditor && principal.tenant == tenant) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat(Describe(principal), " and cannot change tenant \"", tenant,
                       "\"; use an admin token or an editor token of that tenant"));
    case Permission::kAdmin:
      return absl::PermissionDeniedError(
          absl::StrCat(Describe(principal), "; this call needs an admin token"));
  }
  return absl::PermissionDeniedError("unknown permission");
}

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view authorization) {
  if (authorization.empty()) return Unauthenticated("missing authorization metadata");
  absl::string_view value = absl::StripAsciiWhitespace(authorization);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return Unauthenticated("authorization metadata is not \"Bearer <token>\"");
  }
  absl::string_view secret = absl::StripAsciiWhitespace(value.substr(7));
  if (secret.empty() || secret.size() > kMaxTokenBytes) {
    return Unauthenticated("bearer token is empty or too long");
  }
  const std::string key = store::HashTokenSecret(secret);
  const absl::Time now = absl::Now();
  std::optional<absl::StatusOr<Principal>> cached;
  bool mark_used = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.fetched < kCacheTtl) {
      cached = it->second.principal;
      mark_used = cached->ok() && ShouldMarkUsed((*cached)->token_id, now);
    }
  }
  if (cached.has_value()) {
    if (mark_used) MarkUsed(**cached, now);
    return *cached;
  }

  absl::StatusOr<store::TokenRecord> token = store_->FindToken(key);
  absl::StatusOr<Principal> result;
  if (token.ok() && !token->revoked()) {
    result = Principal{token->id, token->role, token->tenant, token->label};
  } else if (token.ok() || token.status().code() == absl::StatusCode::kNotFound) {
    result = Unauthenticated(token.ok() ? "the token was revoked" : "unknown token");
  } else {
    return absl::UnavailableError(absl::StrCat("cannot check the token: the store is unavailable (",
                                               token.status().message(), ")"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    cache_[key] = CacheEntry{result, now};
    mark_used = result.ok() && ShouldMarkUsed(result->token_id, now);
  }
  if (mark_used) MarkUsed(*result, now);
  return result;
}

bool Authenticator::ShouldMarkUsed(int64_t token_id, absl::Time now) {
  absl::Time& last = last_marked_[token_id];
  if (now - last < kMarkUsedEvery) return false;
  last = now;
  return true;
}

void Authenticator::MarkUsed(const Principal& principal, absl::Time now) {
  if (absl::Status s = store_->MarkTokenUsed(principal.token_id, now); !s.ok()) {
    ops::LogWarning("token_mark_used_failed")
        .Field("token", principal.label)
        .Field("error", s.message());
  }
}

void Authenticator::Invalidate() {
  absl::MutexLock lock(&mu_);
  cache_.clear();
}

}  // namespace corsd::server
