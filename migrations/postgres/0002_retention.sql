-- Retention (corsd compact, corsd serve --keep-*). Timestamps are microseconds
-- since the Unix epoch, UTC.

-- When each change was committed, so the feed can be pruned by age. Rows
-- from before this migration count as old (0).
ALTER TABLE changes ADD COLUMN committed_at_us BIGINT NOT NULL DEFAULT 0;

-- How far the change feed has been pruned: a process whose position is below
-- pruned_through missed changes and must reload every tenant.
CREATE TABLE change_feed_floor (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  pruned_through BIGINT NOT NULL
);
INSERT INTO change_feed_floor (id, pruned_through) VALUES (1, 0);

CREATE INDEX audit_events_by_time ON audit_events(time_us);
CREATE INDEX changes_by_time ON changes(committed_at_us);
