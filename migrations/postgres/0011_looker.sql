-- 0011_looker (PostgreSQL): migrations/0011_looker.sql translated.
-- Append-only: never edit this file once released; add 0012_... instead.

-- One row per delivery the hub received, duplicates included. A delivery
-- Looker sends again (same instance, webhook id and action) is recorded as
-- a duplicate of the first one: duplicate_of names it and execution_arn is
-- the execution that first one started. Empty text, not NULL, for "none",
-- so that the dedup lookup compares plain values. outcome is 'pending',
-- 'started', 'failed' or 'duplicate'; message says why one failed.
CREATE TABLE looker_deliveries (
  id                TEXT    COLLATE "C" PRIMARY KEY,
  received_ms       BIGINT  NOT NULL,
  action            TEXT    COLLATE "C" NOT NULL,
  instance          TEXT    COLLATE "C" NOT NULL DEFAULT '',
  webhook_id        TEXT    COLLATE "C" NOT NULL DEFAULT '',
  looker_version    TEXT    COLLATE "C" NOT NULL DEFAULT '',
  scheduled_plan_id TEXT    COLLATE "C" NOT NULL DEFAULT '',
  type              TEXT    COLLATE "C" NOT NULL DEFAULT '',
  principal         TEXT    COLLATE "C" NOT NULL DEFAULT '',
  execution_arn     TEXT    COLLATE "C" NOT NULL DEFAULT '',
  duplicate_of      TEXT    COLLATE "C" NOT NULL DEFAULT '',
  outcome           TEXT    COLLATE "C" NOT NULL,
  message           TEXT    COLLATE "C" NOT NULL DEFAULT ''
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
-- once expires_ms has passed. sha256 is the file's digest in hex.
CREATE TABLE artifacts (
  id                TEXT    COLLATE "C" PRIMARY KEY,
  created_ms        BIGINT  NOT NULL,
  expires_ms        BIGINT  NOT NULL,
  size              BIGINT  NOT NULL DEFAULT 0,
  sha256            TEXT    COLLATE "C" NOT NULL DEFAULT '',
  mimetype          TEXT    COLLATE "C" NOT NULL DEFAULT '',
  extension         TEXT    COLLATE "C" NOT NULL DEFAULT '',
  filename          TEXT    COLLATE "C" NOT NULL DEFAULT '',
  source            TEXT    COLLATE "C" NOT NULL DEFAULT '',
  state_machine_arn TEXT    COLLATE "C" NOT NULL DEFAULT '',
  execution_arn     TEXT    COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX artifacts_by_expiry ON artifacts (expires_ms);
