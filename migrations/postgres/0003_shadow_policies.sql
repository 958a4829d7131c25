-- Shadow policies: at most one candidate policy per tenant, decided beside
-- the active one and never answering. Timestamps are microseconds since the
-- Unix epoch, UTC. A shadow change is announced as a 'tenant' change.
CREATE TABLE shadow_policies (
  tenant        TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants(name) ON DELETE CASCADE,
  policy        BYTEA NOT NULL,  -- deterministic serialization of corsd.v1.Policy
  comment       TEXT NOT NULL DEFAULT '',
  updated_at_us BIGINT NOT NULL,
  updated_by    TEXT NOT NULL
);
