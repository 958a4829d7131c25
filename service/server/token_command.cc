// corsd token create | list | revoke: manage admin API tokens directly in the
// store (they bootstrap access, so they cannot require a token themselves).
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "service/engine/tenant_names.h"
#include "service/server/corsd_commands.h"
#include "service/store/store_factory.h"

namespace corsd::server {
namespace {

struct TokenFlags {
  store::StoreSelection store;
  std::string role;
  std::string tenant;
  std::string label;
  int64_t id = 0;
  bool json = false;
};

absl::StatusOr<store::OpenedStore> Open(const TokenFlags& flags) {
  return store::OpenStore(flags.store, true);
}

int Fail(const absl::Status& status) {
  fprintf(stderr, "corsd: %s\n", std::string(status.message()).c_str());
  return 1;
}

// Who the audit events of local token commands name: the operating-system
// user that ran them (the store cannot tell more).
store::Actor LocalActor() {
  const passwd* user = getpwuid(geteuid());
  return {absl::StrCat("local:", user != nullptr ? user->pw_name : std::to_string(geteuid()))};
}

std::string FormatUtc(absl::Time t) {
  if (t == absl::InfinitePast()) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int Create(const TokenFlags& flags) {
  std::optional<store::Role> role = store::ParseRole(flags.role);
  if (!role) {
    fprintf(stderr, "corsd: --role must be admin, editor or viewer\n");
    return 2;
  }
  if (*role == store::Role::kEditor && flags.tenant.empty()) {
    fprintf(stderr, "corsd: an editor token is bound to one tenant: add --tenant NAME\n");
    return 2;
  }
  if (*role == store::Role::kAdmin && !flags.tenant.empty()) {
    fprintf(stderr,
            "corsd: an admin token covers every tenant and cannot be bound to one; for one "
            "tenant create --role editor --tenant %s (or --role viewer --tenant %s)\n",
            flags.tenant.c_str(), flags.tenant.c_str());
    return 2;
  }
  if (!flags.tenant.empty()) {
    if (absl::Status s = engine::ValidateTenantName(flags.tenant); !s.ok()) return Fail(s);
  }
  absl::StatusOr<store::OpenedStore> opened = Open(flags);
  if (!opened.ok()) return Fail(opened.status());
  // A token binds to the tenant that exists now; deleting the tenant revokes
  // it, so it never carries over to a tenant created later under the name.
  if (!flags.tenant.empty()) {
    absl::StatusOr<store::TenantRecord> tenant = opened->store->GetTenant(flags.tenant);
    if (absl::IsNotFound(tenant.status())) {
      fprintf(stderr,
              "corsd: no tenant named \"%s\"; create it first (corsctl tenant create %s), "
              "then the token\n",
              flags.tenant.c_str(), flags.tenant.c_str());
      return 1;
    }
    if (!tenant.ok()) return Fail(tenant.status());
  }
  std::string label =
      flags.label.empty()
          ? absl::StrCat(flags.role, "-",
                         absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone()))
          : flags.label;
  absl::StatusOr<store::CreatedToken> token =
      opened->store->CreateToken(*role, flags.tenant, label, LocalActor());
  if (!token.ok()) return Fail(token.status());
  // The secret alone on stdout (scripts capture it); the rest on stderr.
  printf("%s\n", token->secret.c_str());
  fprintf(stderr, "corsd: created %s token %lld \"%s\"%s; store it now, it cannot be shown again\n",
          flags.role.c_str(), static_cast<long long>(token->record.id), label.c_str(),
          flags.tenant.empty() ? "" : absl::StrCat(" for tenant ", flags.tenant).c_str());
  return 0;
}

int List(const TokenFlags& flags) {
  absl::StatusOr<store::OpenedStore> opened = Open(flags);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<std::vector<store::TokenRecord>> tokens = opened->store->ListTokens();
  if (!tokens.ok()) return Fail(tokens.status());
  if (flags.json) {
    // A JSON library, so labels with quotes or control bytes stay data.
    nlohmann::json out = nlohmann::json::array();
    for (const store::TokenRecord& t : *tokens) {
      out.push_back({{"id", t.id},
                     {"role", store::RoleName(t.role)},
                     {"tenant", t.tenant},
                     {"label", t.label},
                     {"created", FormatUtc(t.created_at)},
                     {"last_used", FormatUtc(t.last_used_at)},
                     {"revoked", t.revoked()}});
    }
    printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  printf("%-5s %-7s %-16s %-24s %-21s %-21s %s\n", "ID", "ROLE", "TENANT", "LABEL", "CREATED",
         "LAST USED", "STATUS");
  for (const store::TokenRecord& t : *tokens) {
    printf("%-5lld %-7s %-16s %-24s %-21s %-21s %s\n", static_cast<long long>(t.id),
           std::string(store::RoleName(t.role)).c_str(), t.tenant.empty() ? "*" : t.tenant.c_str(),
           t.label.c_str(), FormatUtc(t.created_at).c_str(), FormatUtc(t.last_used_at).c_str(),
           t.revoked() ? absl::StrCat("revoked ", FormatUtc(t.revoked_at)).c_str() : "active");
  }
  return 0;
}

int Revoke(const TokenFlags& flags) {
  absl::StatusOr<store::OpenedStore> opened = Open(flags);
  if (!opened.ok()) return Fail(opened.status());
  int64_t id = flags.id;
  if (id == 0) {
    absl::StatusOr<std::vector<store::TokenRecord>> tokens = opened->store->ListTokens();
    if (!tokens.ok()) return Fail(tokens.status());
    int matches = 0;
    for (const store::TokenRecord& t : *tokens) {
      if (t.label == flags.label && !t.revoked()) {
        id = t.id;
        ++matches;
      }
    }
    if (matches != 1) {
      fprintf(stderr,
              "corsd: %d active tokens are named \"%s\"; revoke by --id (see `corsd token list`)\n",
              matches, flags.label.c_str());
      return 1;
    }
  }
  if (absl::Status s = opened->store->RevokeToken(id, LocalActor()); !s.ok()) return Fail(s);
  fprintf(stderr, "corsd: revoked token %lld; running servers stop accepting it within seconds\n",
          static_cast<long long>(id));
  return 0;
}

}  // namespace

std::vector<Command> AddTokenCommands(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Create, list and revoke admin API tokens.");
  token->require_subcommand(1);
  auto flags = std::make_shared<TokenFlags>();

  CLI::App* create = token->add_subcommand(
      "create",
      "Create a token and print it, alone, on stdout. Only its SHA-256 is stored.\n\n"
      "Examples:\n"
      "  corsd token create --db var/corsd.db --role admin --name ops\n"
      "  corsd token create --db var/corsd.db --role editor --tenant shop --name shop-ci\n"
      "  corsd token create --db var/corsd.db --role viewer --name gateway");
  AddStoreFlags(create, &flags->store);
  create->add_option("--role", flags->role, "admin, editor (one tenant) or viewer")->required();
  create->add_option("--tenant", flags->tenant,
                     "bind the token to this tenant (required for editors)");
  create->add_option("--name", flags->label, "label shown in audit events and logs");

  CLI::App* list = token->add_subcommand("list", "List tokens (never their secrets).");
  AddStoreFlags(list, &flags->store);
  list->add_flag("--json", flags->json, "print JSON instead of a table");

  CLI::App* revoke = token->add_subcommand(
      "revoke", "Revoke a token by --id or by --name. Running servers notice within seconds.");
  AddStoreFlags(revoke, &flags->store);
  CLI::Option_group* which = revoke->add_option_group("token", "which token (exactly one)");
  which->add_option("--id", flags->id, "token id from `corsd token list`");
  which->add_option("--name", flags->label, "token label");
  which->require_option(1);

  return {{create, [flags] { return Create(*flags); }},
          {list, [flags] { return List(*flags); }},
          {revoke, [flags] { return Revoke(*flags); }}};
}

}  // namespace corsd::server
