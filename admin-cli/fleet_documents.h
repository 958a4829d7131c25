// The documents `corsctl apply` and `corsctl originset apply` read: YAML or
// JSON, several per file (`---`), each one of
//
//   {kind: OriginSet, name, origins, description}
//   {kind: Tenant, name, hosts, description}
//   {kind: Policy, tenant, rules, tests}   (rules and tests as in a policy file)
//
// Every problem is reported as "FILE#N: field: message" (N counts the
// file's documents from 1), all of them, so one run lists what to fix.
//
//   FleetRead read = ReadFleet("fleet/");
//   if (!read.errors.empty()) ...;  // print them all, apply nothing
#ifndef CORSD_ADMIN_CLI_FLEET_DOCUMENTS_H_
#define CORSD_ADMIN_CLI_FLEET_DOCUMENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corsd/v1/corsd.pb.h"
#include "nlohmann/json.hpp"

namespace corsd::cli {

struct FleetDocument {
  enum class Kind { kOriginSet, kTenant, kPolicy };
  Kind kind = Kind::kOriginSet;
  std::string source;  // "FILE#N"
  v1::OriginSet set;   // kOriginSet: name, origins, description
  v1::Tenant tenant;   // kTenant: name, hosts, description
  // kPolicy:
  std::string policy_tenant;
  v1::Policy policy;
};

struct FleetRead {
  std::vector<FleetDocument> documents;  // files in name order, documents in file order
  std::vector<std::string> errors;       // "FILE#N: field: message"
};

// Every *.yaml, *.yml and *.json under `path` (a directory, searched
// recursively, or one file), at most kMaxFleetFiles files.
FleetRead ReadFleet(const std::string& path);
inline constexpr size_t kMaxFleetFiles = 100'000;

// The documents of one file's text; errors appended to `read->errors`.
void ReadFleetText(const std::string& text, const std::string& file, FleetRead* read);

// An origin set from a document: {kind: OriginSet, name, origins,
// description} (kind and name optional), or a bare list of origins.
absl::StatusOr<v1::OriginSet> OriginSetFromDocument(const nlohmann::json& document,
                                                    const std::string& source);

// The documents that `export` writes and `apply` reads back unchanged.
std::string OriginSetDocument(const v1::OriginSet& set);
std::string TenantDocuments(const v1::Tenant& tenant, const v1::Policy* policy);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_FLEET_DOCUMENTS_H_
