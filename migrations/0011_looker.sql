-- 0011_looker: the Looker Action Hub's deliveries, and the files stepd keeps
-- (artifacts: what a delivery brought, read later by executions and users).
-- Append-only: never edit this file once released; add 0012_... instead.

-- One row per delivery the hub received, duplicates included. A delivery
-- Looker sends again (same instance, webhook id and action) is recorded as
-- a duplicate of the first one: duplicate_of names it and execution_arn is
-- the execution that first one started. Empty text, not NULL, for "none",
-- so that the dedup lookup compares plain values. outcome is 'pending',
-- 'started', 'failed' or 'duplicate'; message says why one failed.
CREATE TABLE looker_deliveries (
  id                TEXT    PRIMARY KEY,
  received_ms       INTEGER NOT NULL,
  action            TEXT    NOT NULL,
  instance          TEXT    NOT NULL DEFAULT '',
  webhook_id        TEXT    NOT NULL DEFAULT '',
  looker_version    TEXT    NOT NULL DEFAULT '',
  scheduled_plan_id TEXT    NOT NULL DEFAULT '',
  type              TEXT    NOT NULL DEFAULT '',
  principal         TEXT    NOT NULL DEFAULT '',
  execution_arn     TEXT    NOT NULL DEFAULT '',
  duplicate_of      TEXT    NOT NULL DEFAULT '',
  outcome           TEXT    NOT NULL,
  message           TEXT    NOT NULL DEFAULT ''
);
-- The dedup lookup: the newest first delivery of a key. Only first
-- deliveries that can have duplicates are indexed (a delivery without a
-- webhook id never is one).
CREATE INDEX looker_deliveries_firsts ON looker_deliveries
  (instance, webhook_id, action, received_ms)
  WHERE duplicate_of = '' AND webhook_id <> '';
-- Listings, newest first (id breaks ties, so a page ends at a row), and the
-- pruning of old rows.
CREATE INDEX looker_deliveries_by_time ON looker_deliveries (received_ms, id);

-- One row per file kept under the artifacts directory, named by id. Readers
-- need read permission on state_machine_arn; execution_arn is filled in once
-- the execution that uses the file is known. A file is deleted with its row
-- once expires_ms has passed.
CREATE TABLE artifacts (
  id                TEXT    PRIMARY KEY,
  created_ms        INTEGER NOT NULL,
  expires_ms        INTEGER NOT NULL,
  size              INTEGER NOT NULL DEFAULT 0,
  sha256            TEXT    NOT NULL DEFAULT '',
  mimetype          TEXT    NOT NULL DEFAULT '',
  extension         TEXT    NOT NULL DEFAULT '',
  filename          TEXT    NOT NULL DEFAULT '',
  source            TEXT    NOT NULL DEFAULT '',
  state_machine_arn TEXT    NOT NULL DEFAULT '',
  execution_arn     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX artifacts_by_expiry ON artifacts (expires_ms);
