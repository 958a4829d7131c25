-- Shared origin sets: named lists of origins that policies reference as
-- `@NAME` in allowed_origins. A policy is stored as written, plus its
-- resolved form (every reference replaced by the set's origins), which is
-- what processes decide with. origin_set_refs says which tenant's current
-- policy or shadow references which set, so that a set change re-resolves
-- exactly those and a referenced set cannot be deleted. Timestamps are
-- microseconds since the Unix epoch, UTC.
CREATE TABLE origin_sets (
  name          TEXT PRIMARY KEY,
  origins       TEXT NOT NULL,  -- newline-separated, as written
  description   TEXT NOT NULL DEFAULT '',
  revision      INTEGER NOT NULL CHECK (revision >= 1),
  updated_at_us INTEGER NOT NULL,
  updated_by    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE origin_set_refs (
  set_name TEXT NOT NULL,
  tenant   TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
  kind     TEXT NOT NULL CHECK (kind IN ('policy', 'shadow')),
  PRIMARY KEY (set_name, tenant, kind)
) WITHOUT ROWID;
CREATE INDEX origin_set_refs_by_tenant ON origin_set_refs (tenant, kind);

-- Empty (or NULL, in rows written before this migration): the policy
-- references no set and decides as written.
ALTER TABLE policy_revisions ADD COLUMN resolved_policy BLOB;
ALTER TABLE shadow_policies ADD COLUMN resolved_policy BLOB;
