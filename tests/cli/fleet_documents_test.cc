// Fleet documents without a server: several per file, every problem named
// FILE#N, and what export writes reads back as the same document.
#include "admin-cli/fleet_documents.h"

#include "gmock/gmock.h"

namespace corsd::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FleetDocuments, ReadsEveryDocumentOfAFileAndNamesEachProblem) {
  FleetRead read;
  ReadFleetText(R"(---
kind: OriginSet
name: web
origins: [https://a.example, "null"]
---
--- {kind: Tenant, name: shop, hosts: [shop.example]}
---
kind: Policy
tenant: shop
rules: [{allowedOrigins: ["@web"]}]
---
kind: Gadget
---
kind: Tenant
hosts: [x.example]
)",
                "f.yaml", &read);
  ASSERT_EQ(read.documents.size(), 3u);
  EXPECT_THAT(read.documents[0].set.origins(), ElementsAre("https://a.example", "null"));
  EXPECT_EQ(read.documents[1].tenant.name(), "shop");
  EXPECT_EQ(read.documents[2].policy_tenant, "shop");
  EXPECT_EQ(read.documents[2].source, "f.yaml#3");
  EXPECT_THAT(read.errors, ElementsAre(HasSubstr("f.yaml#4: kind: \"Gadget\" is unknown"),
                                       HasSubstr("f.yaml#5: name: missing")));
}

TEST(FleetDocuments, ExportReadsBackUnchanged) {
  // Each would read back changed from a plain scalar: as a number, a
  // boolean, null, trimmed, or with its line breaks folded.
  for (const char* description : {"123", "true", "~", "", " leading", "trailing ", "a\rb\r\rc",
                                  "ends\r\r", "tab\there", "two\nlines"}) {
    v1::OriginSet set;
    set.set_name("odd");
    set.add_origins("null");
    set.set_description(description);
    FleetRead read;
    ReadFleetText(OriginSetDocument(set), "export", &read);
    ASSERT_TRUE(read.errors.empty()) << read.errors[0];
    ASSERT_EQ(read.documents.size(), 1u);
    EXPECT_EQ(read.documents[0].set.description(), description);
  }
}

}  // namespace
}  // namespace corsd::cli
