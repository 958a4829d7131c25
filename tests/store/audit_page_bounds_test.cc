// Audit rows written before fields were bounded (a refused caller's 15 MB
// tenant name, say) are cut when read: a page of audit events stays small
// enough to send, whatever the table holds.
#include "gtest/gtest.h"
#include "service/store/record_limits.h"
#include "service/store/sql_policy_store.h"
#include "service/store/sqlite_sql_connection.h"
#include "tests/support/temp_dir.h"

namespace corsd::store {
namespace {

TEST(AuditPages, OversizedLegacyRowsAreCutWhenRead) {
  testing::TempDir dir;
  const std::string path = dir.File("corsd.db");
  ASSERT_TRUE(OpenSqliteStore(path, {}).ok());
  {
    // What an older corsd stored: every text field as the caller sent it.
    auto db = SqliteSqlConnection::Open(path, absl::Seconds(5));
    ASSERT_TRUE(db.ok()) << db.status();
    const std::string huge(4 << 20, 'x');
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*db)
                      ->Execute("INSERT INTO audit_events (time_us, actor, action, tenant, "
                                "revision, detail) VALUES (?, ?, ?, ?, ?, ?)",
                                {int64_t{1}, huge, huge, huge, int64_t{0}, huge})
                      .ok());
    }
  }
  auto store = OpenSqliteStore(path, {});
  ASSERT_TRUE(store.ok()) << store.status();
  auto page = (*store)->ListAuditEvents("", {.page_size = 10});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 3u);
  size_t bytes = 0;
  for (const AuditRecord& event : page->items) {
    for (const std::string* field : {&event.actor, &event.action, &event.tenant, &event.detail}) {
      EXPECT_LE(field->size(), kMaxAuditFieldBytes);
      bytes += field->size();
    }
  }
  EXPECT_LE(bytes, 3 * 4 * kMaxAuditFieldBytes) << "48 MiB of stored text came back";
  // The page token keeps working across cut rows.
  auto first = (*store)->ListAuditEvents("", {.page_size = 1});
  ASSERT_TRUE(first.ok());
  auto rest =
      (*store)->ListAuditEvents("", {.page_size = 10, .page_token = first->next_page_token});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->items.size(), 2u);
}

}  // namespace
}  // namespace corsd::store
