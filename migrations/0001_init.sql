-- corsd schema v1 (SQLite). Timestamps are microseconds since the Unix epoch, UTC.

-- Tenants and the request hosts that resolve to them.
CREATE TABLE tenants (
  name             TEXT PRIMARY KEY,
  description      TEXT NOT NULL DEFAULT '',
  created_at_us    INTEGER NOT NULL,
  -- Revision of the newest policy; 0 while the tenant has none.
  current_revision INTEGER NOT NULL DEFAULT 0 CHECK (current_revision >= 0)
) WITHOUT ROWID;

CREATE TABLE tenant_hosts (
  host   TEXT PRIMARY KEY,  -- unique across tenants
  tenant TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tenant_hosts_by_tenant ON tenant_hosts(tenant);

-- Full policy history: one row per PutPolicy/RollbackPolicy, revisions
-- 1, 2, 3, ... per tenant with no gaps.
CREATE TABLE policy_revisions (
  tenant        TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
  revision      INTEGER NOT NULL CHECK (revision >= 1),
  policy        BLOB NOT NULL,  -- deterministic serialization of corsd.v1.Policy
  updated_at_us INTEGER NOT NULL,
  updated_by    TEXT NOT NULL,
  comment       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, revision)
) WITHOUT ROWID;

-- Every write and every denied admin call. Kept when a tenant is deleted.
CREATE TABLE audit_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us  INTEGER NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  tenant   TEXT NOT NULL DEFAULT '',
  revision INTEGER NOT NULL DEFAULT 0,
  detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_tenant ON audit_events(tenant, id);

-- Bearer tokens: only the SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  secret_sha256   TEXT NOT NULL UNIQUE,
  role            TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  tenant          TEXT NOT NULL DEFAULT '',  -- '' = all tenants
  label           TEXT NOT NULL,
  created_at_us   INTEGER NOT NULL,
  last_used_at_us INTEGER NOT NULL DEFAULT 0,
  revoked_at_us   INTEGER NOT NULL DEFAULT 0
);

-- Change feed: one row per committed change, in commit order. Every corsd
-- process sharing the database follows it to republish its snapshots and to
-- feed WatchPolicies.
CREATE TABLE changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant   TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('tenant', 'policy', 'deleted', 'tokens')),
  revision INTEGER NOT NULL DEFAULT 0
);
