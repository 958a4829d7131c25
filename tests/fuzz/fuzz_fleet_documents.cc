// Feeds arbitrary text to corsctl apply's document reader. Besides "never
// crash" (aliases, nesting, many documents), checks what `export` then
// `apply` relies on: every document that reads is written back by the
// export functions as text that reads as the same document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "admin-cli/fleet_documents.h"

namespace {

using corsd::cli::FleetDocument;

// The document as `export` writes it, read back.
FleetDocument RoundTrip(const FleetDocument& document) {
  std::string text;
  if (document.kind == FleetDocument::Kind::kOriginSet) {
    text = corsd::cli::OriginSetDocument(document.set);
  } else if (document.kind == FleetDocument::Kind::kTenant) {
    text = corsd::cli::TenantDocuments(document.tenant, nullptr);
  } else {
    corsd::v1::Tenant tenant;
    tenant.set_name(document.policy_tenant);
    text = corsd::cli::TenantDocuments(tenant, &document.policy);
  }
  corsd::cli::FleetRead read;
  corsd::cli::ReadFleetText(text, "export", &read);
  if (!read.errors.empty()) abort();
  // A policy is exported after its tenant.
  return read.documents.back();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  corsd::cli::FleetRead read;
  corsd::cli::ReadFleetText(std::string(reinterpret_cast<const char*>(data), size), "fuzz", &read);
  for (const std::string& error : read.errors) {
    if (error.empty()) abort();  // every refusal says why
  }
  for (const FleetDocument& document : read.documents) {
    const FleetDocument again = RoundTrip(document);
    if (again.kind != document.kind) abort();
    switch (document.kind) {
      case FleetDocument::Kind::kOriginSet:
        if (again.set.SerializeAsString() != document.set.SerializeAsString()) abort();
        break;
      case FleetDocument::Kind::kTenant:
        if (again.tenant.SerializeAsString() != document.tenant.SerializeAsString()) abort();
        break;
      case FleetDocument::Kind::kPolicy:
        if (again.policy_tenant != document.policy_tenant ||
            again.policy.SerializeAsString() != document.policy.SerializeAsString()) {
          abort();
        }
        break;
    }
  }
  return 0;
}
