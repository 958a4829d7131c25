// corsctl apply -f DIR|FILE [--prune] [--dry-run] and corsctl export DIR:
// make the server match a directory of documents (fleet_documents.h), and
// write the server's state as such a directory.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/fleet_documents.h"
#include "admin-cli/fleet_plan.h"
#include "admin-cli/policy_checks.h"
#include "admin-cli/text_table.h"
#include "service/convert/policy_convert.h"
#include "service/engine/origin_sets.h"
#include "service/engine/tenant_names.h"

namespace corsd::cli {
namespace {

struct FleetFlags {
  std::string path;
  bool prune = false;
  bool dry_run = false;
  bool confirm = false;
  std::string comment;
};

// Every origin set and tenant on the server; the policies of `policies_of`
// (every tenant when null).
grpc::Status FetchServer(CliContext* cli, const std::set<std::string>* policies_of,
                         ServerFleet* out) {
  auto admin = cli->AdminStub();
  std::string page_token;
  do {
    v1::ListOriginSetsRequest request;
    request.set_page_size(1000);
    request.set_page_token(page_token);
    v1::ListOriginSetsResponse page;
    grpc::ClientContext context;
    cli->Prepare(&context);
    if (grpc::Status s = admin->ListOriginSets(&context, request, &page); !s.ok()) return s;
    for (v1::OriginSet& set : *page.mutable_sets()) out->sets[set.name()] = std::move(set);
    page_token = page.next_page_token();
  } while (!page_token.empty());
  do {
    v1::ListTenantsRequest request;
    request.set_page_size(1000);
    request.set_page_token(page_token);
    v1::ListTenantsResponse page;
    grpc::ClientContext context;
    cli->Prepare(&context);
    if (grpc::Status s = admin->ListTenants(&context, request, &page); !s.ok()) return s;
    for (v1::Tenant& tenant : *page.mutable_tenants()) {
      out->tenants[tenant.name()] = std::move(tenant);
    }
    page_token = page.next_page_token();
  } while (!page_token.empty());
  for (const auto& [name, tenant] : out->tenants) {
    if (tenant.policy_revision() == 0) continue;
    if (policies_of != nullptr && !policies_of->contains(name)) continue;
    v1::GetPolicyRequest request;
    request.set_tenant(name);
    v1::PolicyVersion version;
    grpc::ClientContext context;
    cli->Prepare(&context);
    grpc::Status s = admin->GetPolicy(&context, request, &version);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) continue;  // deleted meanwhile
    if (!s.ok()) return s;
    out->policies[name] = std::move(version);
  }
  return grpc::Status::OK;
}

// Everything wrong with the documents, as "FILE#N: field: message", checked
// here and then by the server with the documents' own sets.
std::vector<std::string> CheckDocuments(CliContext* cli, const std::vector<FleetDocument>& docs,
                                        const ServerFleet& server, grpc::Status* rpc) {
  std::vector<std::string> errors;
  std::map<std::string, std::string> defined;  // "kind/name" -> source
  OriginSetMap sets;
  for (const auto& [name, set] : server.sets) {
    sets[name].assign(set.origins().begin(), set.origins().end());
  }
  for (const FleetDocument& doc : docs) {
    std::string key;
    if (doc.kind == FleetDocument::Kind::kOriginSet) {
      key = absl::StrCat("origin set ", doc.set.name());
      if (absl::Status s = engine::ValidateOriginSetName(doc.set.name()); !s.ok()) {
        errors.push_back(absl::StrCat(doc.source, ": name: ", s.message()));
      }
      const std::vector<std::string> origins(doc.set.origins().begin(), doc.set.origins().end());
      engine::PolicyDiagnostics found = engine::ValidateOriginSetOrigins(origins);
      for (const engine::FieldViolation& v : found.violations) {
        errors.push_back(absl::StrCat(doc.source, ": ", v.field, ": ", v.description));
      }
      sets[doc.set.name()] = origins;
    } else if (doc.kind == FleetDocument::Kind::kTenant) {
      key = absl::StrCat("tenant ", doc.tenant.name());
      if (absl::Status s = engine::ValidateTenantName(doc.tenant.name()); !s.ok()) {
        errors.push_back(absl::StrCat(doc.source, ": name: ", s.message()));
      }
      const std::vector<std::string> hosts(doc.tenant.hosts().begin(), doc.tenant.hosts().end());
      if (absl::Status s = engine::NormalizeHosts(hosts).status(); !s.ok()) {
        errors.push_back(absl::StrCat(doc.source, ": hosts: ", s.message()));
      }
    } else {
      key = absl::StrCat("policy of ", doc.policy_tenant);
    }
    if (auto [it, added] = defined.emplace(key, doc.source); !added) {
      errors.push_back(absl::StrCat(doc.source, ": ", key, " is also defined in ", it->second));
    }
  }
  for (const FleetDocument& doc : docs) {
    if (doc.kind != FleetDocument::Kind::kPolicy) continue;
    // Each policy's request carries the sets it references, each once.
    absl::flat_hash_map<std::string, const v1::OriginSet*> document_sets;
    for (const FleetDocument& set : docs) {
      if (set.kind == FleetDocument::Kind::kOriginSet) document_sets[set.set.name()] = &set.set;
    }
    if (!defined.contains(absl::StrCat("tenant ", doc.policy_tenant)) &&
        !server.tenants.contains(doc.policy_tenant)) {
      errors.push_back(absl::StrCat(doc.source, ": tenant: \"", doc.policy_tenant,
                                    "\" is neither in these documents nor on the server; add a "
                                    "`kind: Tenant` document for it"));
      continue;
    }
    v1::ValidatePolicyResponse local = ValidateLocally(doc.policy, &sets);
    v1::ValidatePolicyResponse* found = &local;
    v1::ValidatePolicyResponse remote;
    if (local.violations_size() == 0) {
      // The server's rules are authoritative (its public-suffix list, ...).
      // Only the documents' sets this policy references.
      v1::ValidatePolicyRequest request;
      *request.mutable_policy() = doc.policy;
      for (const v1::CorsRule& rule : doc.policy.rules()) {
        for (const std::string& entry : rule.allowed_origins()) {
          if (!engine::IsOriginSetReference(entry)) continue;
          auto given = document_sets.find(engine::ReferencedSetName(entry));
          if (given != document_sets.end() && given->second != nullptr) {
            *request.add_origin_sets() = *given->second;
            given->second = nullptr;  // once
          }
        }
      }
      grpc::ClientContext context;
      cli->Prepare(&context);
      *rpc = cli->AdminStub()->ValidatePolicy(&context, request, &remote);
      if (!rpc->ok()) return errors;
      found = &remote;
    }
    for (const v1::FieldViolation& v : found->violations()) {
      errors.push_back(absl::StrCat(doc.source, ": ", v.field(), ": ", v.description()));
    }
  }
  return errors;
}

// One write of the plan; the status of the RPC.
grpc::Status Write(CliContext* cli, const FleetStep& step, const std::string& comment) {
  auto admin = cli->AdminStub();
  grpc::ClientContext context;
  google::protobuf::Empty empty;
  switch (step.kind) {
    case FleetStep::Kind::kPutSet: {
      // Re-resolving every referencing tenant may take a while.
      cli->Prepare(&context, /*with_deadline=*/false);
      v1::PutOriginSetRequest request;
      *request.mutable_set() = step.document->set;
      request.set_expected_revision(step.expected_revision);
      request.set_comment(comment);
      v1::OriginSet written;
      return admin->PutOriginSet(&context, request, &written);
    }
    case FleetStep::Kind::kCreateTenant: {
      cli->Prepare(&context);
      v1::CreateTenantRequest request;
      request.set_name(step.document->tenant.name());
      *request.mutable_hosts() = step.document->tenant.hosts();
      request.set_description(step.document->tenant.description());
      v1::Tenant written;
      grpc::Status status = admin->CreateTenant(&context, request, &written);
      if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        return grpc::Status(grpc::StatusCode::ABORTED,
                            absl::StrCat("tenant ", step.name, " was created by someone else"));
      }
      return status;
    }
    case FleetStep::Kind::kUpdateTenant: {
      // Tenants have no revision: compare with what the diff saw.
      v1::GetTenantRequest get;
      get.set_name(step.name);
      v1::Tenant now;
      grpc::ClientContext get_context;
      cli->Prepare(&get_context);
      if (grpc::Status s = admin->GetTenant(&get_context, get, &now); !s.ok()) return s;
      // Its policy revision moves with every origin-set change this apply
      // made: only hosts and description are the tenant's.
      v1::Tenant before = *step.tenant_before;
      before.clear_policy_revision();
      now.clear_policy_revision();
      if (now.SerializeAsString() != before.SerializeAsString()) {
        return grpc::Status(grpc::StatusCode::ABORTED,
                            absl::StrCat("tenant ", step.name, " changed since it was compared"));
      }
      cli->Prepare(&context);
      v1::UpdateTenantRequest request;
      request.set_name(step.name);
      *request.mutable_hosts() = step.document->tenant.hosts();
      request.set_description(step.document->tenant.description());
      v1::Tenant written;
      return admin->UpdateTenant(&context, request, &written);
    }
    case FleetStep::Kind::kPutPolicy: {
      // A set written earlier in this apply gave the tenant a new revision
      // of the same written policy: that is still what was compared.
      int64_t expected = step.expected_revision;
      if (expected > 0) {
        v1::GetPolicyRequest get;
        get.set_tenant(step.name);
        v1::PolicyVersion now;
        grpc::ClientContext get_context;
        cli->Prepare(&get_context);
        if (grpc::Status s = admin->GetPolicy(&get_context, get, &now); !s.ok()) return s;
        if (now.revision() != expected &&
            SerializePolicy(now.policy()) == SerializePolicy(*step.policy_before)) {
          expected = now.revision();
        }
      }
      cli->Prepare(&context);
      v1::PutPolicyRequest request;
      request.set_tenant(step.name);
      *request.mutable_policy() = step.document->policy;
      request.set_expected_revision(expected);
      request.set_comment(comment);
      v1::PolicyVersion written;
      return admin->PutPolicy(&context, request, &written);
    }
    case FleetStep::Kind::kDeleteTenant: {
      cli->Prepare(&context);
      v1::DeleteTenantRequest request;
      request.set_name(step.name);
      return admin->DeleteTenant(&context, request, &empty);
    }
    case FleetStep::Kind::kDeleteSet: {
      v1::GetOriginSetRequest get;
      get.set_name(step.name);
      v1::OriginSet now;
      grpc::ClientContext get_context;
      cli->Prepare(&get_context);
      if (grpc::Status s = admin->GetOriginSet(&get_context, get, &now); !s.ok()) return s;
      if (now.revision() != step.expected_revision) {
        return grpc::Status(
            grpc::StatusCode::ABORTED,
            absl::StrCat("origin set ", step.name, " changed since it was compared"));
      }
      cli->Prepare(&context);
      v1::DeleteOriginSetRequest request;
      request.set_name(step.name);
      return admin->DeleteOriginSet(&context, request, &empty);
    }
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown step");
}

void PrintProgress(bool terminal, size_t done, size_t total, const FleetStep* step) {
  if (!terminal) return;
  if (step == nullptr) {
    fprintf(stderr, "\r\033[K");
    return;
  }
  fprintf(stderr, "\r\033[K[%zu/%zu] %s", done + 1, total, TerminalSafe(step->Describe()).c_str());
}

int Apply(CliContext* cli, const FleetFlags& flags) {
  FleetRead read = ReadFleet(flags.path);
  ServerFleet server;
  std::set<std::string> policy_tenants;
  for (const FleetDocument& doc : read.documents) {
    if (doc.kind == FleetDocument::Kind::kPolicy) policy_tenants.insert(doc.policy_tenant);
  }
  // The documents that were read are checked even when others were not:
  // one run lists everything to fix.
  grpc::Status fetched = FetchServer(cli, &policy_tenants, &server);
  if (!fetched.ok()) return cli->Fail("apply", fetched);
  grpc::Status rpc;
  std::vector<std::string> found = CheckDocuments(cli, read.documents, server, &rpc);
  if (!rpc.ok()) return cli->Fail("apply", rpc);
  read.errors.insert(read.errors.end(), found.begin(), found.end());
  if (!read.errors.empty()) {
    fprintf(stderr, "corsctl: %zu %s; nothing was applied:\n", read.errors.size(),
            read.errors.size() == 1 ? "problem" : "problems");
    for (const std::string& error : read.errors) {
      fprintf(stderr, "  %s\n", TerminalSafe(error).c_str());
    }
    return kExitInvalid;
  }
  const FleetPlan plan = PlanFleet(read.documents, server, flags.prune);
  if (plan.steps.empty()) {
    printf("no changes (%zu documents match the server)\n", read.documents.size());
    return kExitOk;
  }
  printf("%s", RenderDiff(plan.diff, cli->color()).c_str());
  if (flags.dry_run) {
    printf("%zu %s; dry run: nothing was written\n", plan.steps.size(),
           plan.steps.size() == 1 ? "change" : "changes");
    return kExitOk;
  }
  if (flags.confirm) {
    // Everything above was read at once; the revisions it compared with
    // still guard every write, however long the answer takes.
    printf("apply these %zu %s? type yes to go on: ", plan.steps.size(),
           plan.steps.size() == 1 ? "change" : "changes");
    fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer) || answer != "yes") {
      printf("\ncancelled: nothing was written\n");
      return kExitInvalid;
    }
  }
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const std::string comment = flags.comment.empty() ? "corsctl apply" : flags.comment;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    PrintProgress(terminal, i, plan.steps.size(), &plan.steps[i]);
    grpc::Status status = Write(cli, plan.steps[i], comment);
    if (status.ok()) continue;
    PrintProgress(terminal, i, plan.steps.size(), nullptr);
    std::vector<std::string> written;
    std::vector<std::string> not_written;
    for (size_t j = 0; j < plan.steps.size(); ++j) {
      (j < i ? written : not_written).push_back(plan.steps[j].Describe());
    }
    fprintf(stderr, "corsctl: apply stopped at the %s: %s\n",
            TerminalSafe(plan.steps[i].Describe()).c_str(),
            TerminalSafe(status.error_message()).c_str());
    fprintf(stderr, "  written: %s\n  not written: %s\n",
            written.empty() ? "nothing" : TerminalSafe(absl::StrJoin(written, ", ")).c_str(),
            TerminalSafe(absl::StrJoin(not_written, ", ")).c_str());
    if (status.error_code() == grpc::StatusCode::ABORTED) {
      fprintf(stderr,
              "  someone changed the server meanwhile: run corsctl apply again to see "
              "the difference now\n");
      return kExitConflict;
    }
    return ExitCodeFor(status);
  }
  PrintProgress(terminal, 0, 0, nullptr);
  printf("applied %zu %s\n", plan.steps.size(), plan.steps.size() == 1 ? "change" : "changes");
  return kExitOk;
}

absl::Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

int Export(CliContext* cli, const FleetFlags& flags) {
  ServerFleet server;
  grpc::Status fetched = FetchServer(cli, nullptr, &server);
  if (!fetched.ok()) return cli->Fail("export", fetched);
  const std::filesystem::path root(flags.path);
  std::error_code error;
  std::filesystem::create_directories(root / "originsets", error);
  if (!error) std::filesystem::create_directories(root / "tenants", error);
  if (error) {
    fprintf(stderr, "corsctl: export: cannot create %s: %s\n", root.string().c_str(),
            error.message().c_str());
    return kExitInvalid;
  }
  for (const auto& [name, set] : server.sets) {
    if (absl::Status s = WriteFile(root / "originsets" / (name + ".yaml"), OriginSetDocument(set));
        !s.ok()) {
      fprintf(stderr, "corsctl: export: %s\n", std::string(s.message()).c_str());
      return kExitInvalid;
    }
  }
  for (const auto& [name, tenant] : server.tenants) {
    auto policy = server.policies.find(name);
    const v1::Policy* written =
        policy == server.policies.end() ? nullptr : &policy->second.policy();
    if (absl::Status s =
            WriteFile(root / "tenants" / (name + ".yaml"), TenantDocuments(tenant, written));
        !s.ok()) {
      fprintf(stderr, "corsctl: export: %s\n", std::string(s.message()).c_str());
      return kExitInvalid;
    }
  }
  printf("exported %zu origin sets and %zu tenants (%zu with a policy) to %s\n", server.sets.size(),
         server.tenants.size(), server.policies.size(), TerminalSafe(root.string()).c_str());
  return kExitOk;
}

}  // namespace

void AddFleetCommands(CLI::App& app, CliContext* cli, Runner* run) {
  auto flags = std::make_shared<FleetFlags>();
  CLI::App* apply = app.add_subcommand(
      "apply",
      "Make the server match a directory of documents (YAML or JSON, several per file):\n"
      "  {kind: OriginSet, name, origins, description}\n"
      "  {kind: Tenant, name, hosts, description}\n"
      "  {kind: Policy, tenant, rules, tests}\n"
      "Everything is validated first (here, then by the server); one diff is printed; then "
      "sets, tenants and policies are written in that order, each guarded by the revision it "
      "was compared with (a concurrent change stops it with exit 4).\n\n"
      "Examples:\n  corsctl apply -f fleet/ --dry-run\n  corsctl apply -f fleet/ --prune");
  apply->add_option("-f,--file", flags->path, "directory (searched recursively) or file")
      ->required();
  apply->add_flag("--prune", flags->prune,
                  "also delete the tenants and origin sets no document names");
  apply->add_flag("--dry-run", flags->dry_run, "print the diff, write nothing");
  apply->add_flag("--confirm", flags->confirm,
                  "after the diff, ask on stdin before writing anything");
  apply->add_option("--comment", flags->comment, "recorded in every revision written");
  apply->callback([=] { *run = [=] { return Apply(cli, *flags); }; });

  CLI::App* exported = app.add_subcommand(
      "export",
      "Write every origin set and tenant (with its policy, references kept as @NAME) as "
      "documents: DIR/originsets/NAME.yaml and DIR/tenants/NAME.yaml. `corsctl apply -f DIR` "
      "then reports no changes.");
  exported->add_option("dir", flags->path, "directory to write (created if missing)")->required();
  exported->callback([=] { *run = [=] { return Export(cli, *flags); }; });
}

}  // namespace corsd::cli
