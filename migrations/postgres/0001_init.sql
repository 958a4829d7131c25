-- corsd schema v1 (PostgreSQL). Same tables and meaning as migrations/0001_init.sql.
-- Timestamps are microseconds since the Unix epoch, UTC. Names and hosts use
-- the "C" collation so ordering (and pagination) matches SQLite byte order.

CREATE TABLE tenants (
  name             TEXT COLLATE "C" PRIMARY KEY,
  description      TEXT NOT NULL DEFAULT '',
  created_at_us    BIGINT NOT NULL,
  current_revision BIGINT NOT NULL DEFAULT 0 CHECK (current_revision >= 0)
);

CREATE TABLE tenant_hosts (
  host   TEXT COLLATE "C" PRIMARY KEY,
  tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants(name) ON DELETE CASCADE
);
CREATE INDEX tenant_hosts_by_tenant ON tenant_hosts(tenant);

CREATE TABLE policy_revisions (
  tenant        TEXT COLLATE "C" NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
  revision      BIGINT NOT NULL CHECK (revision >= 1),
  policy        BYTEA NOT NULL,
  updated_at_us BIGINT NOT NULL,
  updated_by    TEXT NOT NULL,
  comment       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, revision)
);

CREATE TABLE audit_events (
  id       BIGSERIAL PRIMARY KEY,
  time_us  BIGINT NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  tenant   TEXT COLLATE "C" NOT NULL DEFAULT '',
  revision BIGINT NOT NULL DEFAULT 0,
  detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_tenant ON audit_events(tenant, id);

CREATE TABLE api_tokens (
  id              BIGSERIAL PRIMARY KEY,
  secret_sha256   TEXT NOT NULL UNIQUE,
  role            TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  tenant          TEXT NOT NULL DEFAULT '',
  label           TEXT NOT NULL,
  created_at_us   BIGINT NOT NULL,
  last_used_at_us BIGINT NOT NULL DEFAULT 0,
  revoked_at_us   BIGINT NOT NULL DEFAULT 0
);

-- Change feed. Writers hold a transaction-scoped advisory lock, so sequence
-- numbers are assigned in commit order and a reader never skips one.
CREATE TABLE changes (
  seq      BIGSERIAL PRIMARY KEY,
  tenant   TEXT COLLATE "C" NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('tenant', 'policy', 'deleted', 'tokens')),
  revision BIGINT NOT NULL DEFAULT 0
);
