// corsctl originset apply | get | list | delete: shared origin sets, which
// policies reference as `@NAME` in allowed_origins.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "admin-cli/corsctl_commands.h"
#include "admin-cli/exit_codes.h"
#include "admin-cli/fleet_documents.h"
#include "admin-cli/policy_file.h"
#include "admin-cli/text_table.h"

namespace corsd::cli {
namespace {

struct OriginSetFlags {
  std::string name;
  std::string file;
  std::string comment;
  int64_t expected_revision = -1;
};

void PrintSet(const CliContext& cli, const v1::OriginSet& set) {
  if (cli.json()) {
    printf("%s\n", MessageToJson(set).c_str());
    return;
  }
  // A document `originset apply` and `apply` read back.
  fputs(TerminalSafe(OriginSetDocument(set)).c_str(), stdout);
  fprintf(stderr, "# revision %lld, set by %s at %s\n", static_cast<long long>(set.revision()),
          TerminalSafe(set.updated_by()).c_str(), FormatTimestamp(set.updated_at()).c_str());
}

int Apply(CliContext* cli, const OriginSetFlags& flags) {
  const std::string source = flags.file == "-" ? "stdin" : flags.file;
  absl::StatusOr<std::string> text = ReadBoundedFile(flags.file);
  absl::StatusOr<std::vector<nlohmann::json>> documents =
      text.ok() ? ParseDocumentsText(*text, source)
                : absl::StatusOr<std::vector<nlohmann::json>>(text.status());
  absl::StatusOr<v1::OriginSet> set = absl::InvalidArgumentError("");
  if (documents.ok() && documents->size() != 1) {
    set = absl::InvalidArgumentError(absl::StrCat(source, " holds ", documents->size(),
                                                  " documents; an origin set file holds one"));
  } else if (documents.ok()) {
    set = OriginSetFromDocument((*documents)[0], source);
  } else {
    set = documents.status();
  }
  if (!set.ok()) {
    fprintf(stderr, "corsctl: %s\n", TerminalSafe(set.status().message()).c_str());
    return kExitInvalid;
  }
  if (!set->name().empty() && set->name() != flags.name) {
    fprintf(stderr, "corsctl: %s names origin set \"%s\", not \"%s\"\n", source.c_str(),
            TerminalSafe(set->name()).c_str(), TerminalSafe(flags.name).c_str());
    return kExitUsage;
  }
  v1::PutOriginSetRequest request;
  *request.mutable_set() = *set;
  request.mutable_set()->set_name(flags.name);
  if (flags.expected_revision >= 0) request.set_expected_revision(flags.expected_revision);
  request.set_comment(flags.comment);
  grpc::ClientContext context;
  // Resolving and revising every referencing tenant can take a while.
  cli->Prepare(&context, /*with_deadline=*/false);
  v1::OriginSet written;
  grpc::Status status = cli->AdminStub()->PutOriginSet(&context, request, &written);
  if (!status.ok()) return cli->Fail("originset apply", status);
  if (cli->json()) {
    printf("%s\n", MessageToJson(written).c_str());
  } else {
    printf(
        "origin set %s is at revision %lld (%d origins); every policy referencing @%s "
        "decides with it now\n",
        TerminalSafe(written.name()).c_str(), static_cast<long long>(written.revision()),
        written.origins_size(), TerminalSafe(written.name()).c_str());
  }
  return kExitOk;
}

int Get(CliContext* cli, const OriginSetFlags& flags) {
  v1::GetOriginSetRequest request;
  request.set_name(flags.name);
  grpc::ClientContext context;
  cli->Prepare(&context);
  v1::OriginSet set;
  grpc::Status status = cli->AdminStub()->GetOriginSet(&context, request, &set);
  if (!status.ok()) return cli->Fail("originset get", status);
  PrintSet(*cli, set);
  return kExitOk;
}

int List(CliContext* cli) {
  auto admin = cli->AdminStub();
  v1::ListOriginSetsResponse all;
  std::string page_token;
  do {
    v1::ListOriginSetsRequest request;
    request.set_page_size(1000);
    request.set_page_token(page_token);
    grpc::ClientContext context;
    cli->Prepare(&context);
    v1::ListOriginSetsResponse page;
    grpc::Status status = admin->ListOriginSets(&context, request, &page);
    if (!status.ok()) return cli->Fail("originset list", status);
    for (v1::OriginSet& set : *page.mutable_sets()) *all.add_sets() = std::move(set);
    page_token = page.next_page_token();
  } while (!page_token.empty());
  if (cli->json()) {
    printf("%s\n", MessageToJson(all).c_str());
    return kExitOk;
  }
  TextTable table({"NAME", "REVISION", "ORIGINS", "UPDATED", "DESCRIPTION"});
  for (const v1::OriginSet& set : all.sets()) {
    table.AddRow({set.name(), std::to_string(set.revision()), std::to_string(set.origins_size()),
                  FormatTimestamp(set.updated_at()), set.description()});
  }
  fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

int Delete(CliContext* cli, const OriginSetFlags& flags) {
  v1::DeleteOriginSetRequest request;
  request.set_name(flags.name);
  grpc::ClientContext context;
  cli->Prepare(&context);
  google::protobuf::Empty empty;
  grpc::Status status = cli->AdminStub()->DeleteOriginSet(&context, request, &empty);
  if (!status.ok()) return cli->Fail("originset delete", status);
  if (!cli->json()) printf("deleted origin set %s\n", TerminalSafe(flags.name).c_str());
  return kExitOk;
}

}  // namespace

void AddOriginSetCommands(CLI::App& app, CliContext* cli, Runner* run) {
  CLI::App* group = app.add_subcommand(
      "originset",
      "Shared origin sets: one list of origins that many policies reference as \"@NAME\" in "
      "allowedOrigins.");
  group->require_subcommand(1);
  auto flags = std::make_shared<OriginSetFlags>();

  CLI::App* apply = group->add_subcommand(
      "apply",
      "Create or replace an origin set. Every policy and shadow referencing it is checked "
      "first; if all stay valid, each referencing tenant gets a new revision at once.\n\n"
      "FILE is YAML or JSON: {origins: [...], description: ...} or a bare list of origins.\n\n"
      "Example:\n  corsctl originset apply first-party -f first-party.yaml --expected-revision "
      "3");
  apply->add_option("name", flags->name, "set name: [a-z0-9][a-z0-9-]{0,62}")->required();
  apply->add_option("-f,--file", flags->file, "YAML or JSON file, - for stdin")->required();
  apply->add_option("--expected-revision", flags->expected_revision,
                    "fail with exit 4 unless the set is at this revision (0 = must not exist)");
  apply->add_option("--comment", flags->comment, "why; recorded in every revision it causes");
  apply->callback([=] { *run = [=] { return Apply(cli, *flags); }; });

  CLI::App* get = group->add_subcommand("get", "Show one origin set (as a document).");
  get->add_option("name", flags->name)->required();
  get->callback([=] { *run = [=] { return Get(cli, *flags); }; });

  CLI::App* list = group->add_subcommand("list", "List every origin set.");
  list->callback([=] { *run = [=] { return List(cli); }; });

  CLI::App* remove = group->add_subcommand(
      "delete", "Delete an origin set; refused while any policy or shadow references it.");
  remove->add_option("name", flags->name)->required();
  remove->callback([=] { *run = [=] { return Delete(cli, *flags); }; });
}

}  // namespace corsd::cli
