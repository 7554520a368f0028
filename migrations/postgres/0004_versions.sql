-- 0004_versions (PostgreSQL): migrations/0004_versions.sql translated.
-- Append-only: never edit this file once released; add 0005_... instead.

-- The highest version the machine ever had: a deleted version's number is
-- never given again (a new machine of the same name starts over at 1).
ALTER TABLE state_machines ADD COLUMN last_version BIGINT NOT NULL DEFAULT 0;

-- An immutable snapshot of one revision: its definition is the revision's
-- (state_machine_revisions, 0002), its role and attributes (logging,
-- tracing...: JSON object) those the machine had when it was published.
CREATE TABLE state_machine_versions (
  state_machine_id BIGINT  NOT NULL REFERENCES state_machines (id) ON DELETE CASCADE,
  version          BIGINT  NOT NULL CHECK (version >= 1),
  revision_id      TEXT    COLLATE "C" NOT NULL,
  role_arn         TEXT    COLLATE "C" NOT NULL,
  description      TEXT    COLLATE "C" NOT NULL DEFAULT '',
  attributes       TEXT    COLLATE "C" NOT NULL DEFAULT '{}',
  created_at       BIGINT  NOT NULL,
  PRIMARY KEY (state_machine_id, version)
);
-- A publish of a revision published already returns that version.
CREATE INDEX state_machine_versions_by_revision
  ON state_machine_versions (state_machine_id, revision_id);

-- A name per machine routing its starts to one or two versions:
-- routing is a JSON array of [version, weight] pairs.
CREATE TABLE state_machine_aliases (
  state_machine_id BIGINT  NOT NULL REFERENCES state_machines (id) ON DELETE CASCADE,
  name             TEXT    COLLATE "C" NOT NULL,
  description      TEXT    COLLATE "C" NOT NULL DEFAULT '',
  routing          TEXT    COLLATE "C" NOT NULL,
  created_at       BIGINT  NOT NULL,
  updated_at       BIGINT  NOT NULL,
  PRIMARY KEY (state_machine_id, name)
);

-- The version an execution runs and the alias it was started through; NULL
-- when none (most executions), which keeps those rows and indexes small.
ALTER TABLE executions ADD COLUMN state_machine_version BIGINT;
ALTER TABLE executions ADD COLUMN state_machine_alias TEXT COLLATE "C";
-- ListExecutions of a version or an alias, newest first.
CREATE INDEX executions_by_version ON executions (state_machine_id, state_machine_version, id)
  WHERE state_machine_version IS NOT NULL;
CREATE INDEX executions_by_alias ON executions (state_machine_id, state_machine_alias, id)
  WHERE state_machine_alias IS NOT NULL;
