-- 0002_durable_runtime: what the durable runtime needs.
-- Append-only: never edit this file once released; add 0003_... instead.

-- Every definition a state machine has had, by revision: an execution keeps
-- running the definition it started with, whatever updates come later.
CREATE TABLE state_machine_revisions (
  state_machine_id INTEGER NOT NULL REFERENCES state_machines (id) ON DELETE CASCADE,
  revision_id      TEXT    NOT NULL,
  definition       TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (state_machine_id, revision_id)
) WITHOUT ROWID;
INSERT INTO state_machine_revisions (state_machine_id, revision_id, definition, created_at)
  SELECT id, revision_id, definition, updated_at FROM state_machines;

-- When the runtime must look at a RUNNING execution again (a Wait, a retry
-- back-off, a task or execution deadline); NULL when only an outside event
-- (a task result, a stop) can move it.
ALTER TABLE executions ADD COLUMN wake_at INTEGER;
-- (0001's timers table is replaced by that column: one wake-up per execution.)
DROP TABLE timers;
-- Tasks dispatched and not answered: such an execution resumes at once after
-- a restart (its tasks are dispatched again), whatever its wake_at.
ALTER TABLE executions ADD COLUMN tasks_pending INTEGER NOT NULL DEFAULT 0;
-- Who started the execution (the audit principal).
ALTER TABLE executions ADD COLUMN started_by TEXT NOT NULL DEFAULT '';
-- A child execution of a DISTRIBUTED Map: its parent and its Map Run.
ALTER TABLE executions ADD COLUMN parent_arn TEXT;
ALTER TABLE executions ADD COLUMN map_run_arn TEXT;
CREATE INDEX executions_by_map_run ON executions (map_run_arn, id) WHERE map_run_arn IS NOT NULL;

-- History in chunks: one row per commit of an execution's events, a JSON
-- array of [event_id, previous_event_id, type, timestamp, details_key,
-- details]. One row per commit instead of per event keeps durable
-- transitions cheap; every event is still stored exactly once. (A rowid
-- table: its rows of a few KiB stay on their page, where a WITHOUT ROWID
-- table would spill anything over ~1 KiB to an overflow page of its own.)
CREATE TABLE history_chunks (
  id             INTEGER PRIMARY KEY,
  execution_id   INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  first_event_id INTEGER NOT NULL CHECK (first_event_id >= 1),
  last_event_id  INTEGER NOT NULL CHECK (last_event_id >= first_event_id),
  events         TEXT    NOT NULL
);
CREATE UNIQUE INDEX history_chunks_by_execution ON history_chunks (execution_id, first_event_id);
INSERT INTO history_chunks (execution_id, first_event_id, last_event_id, events)
  SELECT execution_id, event_id, event_id,
         json_array(json_array(event_id, previous_event_id, type, timestamp, '', json(details)))
  FROM history_events;
DROP TABLE history_events;

-- The audit log is now chained with HMAC-SHA256 under a key kept outside the
-- database, and a transition's row names its history event. Such a row is
-- written only with that event, in the same transaction, and an event is
-- committed once (Store::CommitTransitions checks the ids), so no replay
-- writes it twice. The rows of 0001's unkeyed SHA-256 chain stay, frozen, in
-- audit_log_v1.
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
ALTER TABLE audit_log RENAME TO audit_log_v1;
CREATE TRIGGER audit_log_v1_no_update BEFORE UPDATE ON audit_log_v1
BEGIN
  SELECT RAISE(ABORT, 'audit_log_v1 is append-only');
END;
CREATE TRIGGER audit_log_v1_no_delete BEFORE DELETE ON audit_log_v1
BEGIN
  SELECT RAISE(ABORT, 'audit_log_v1 is append-only');
END;

-- hash = HMAC-SHA256(key, hex(prev_hash) || canonical row), see
-- include/stepd/store/audit_chain.h; both stored as 32-byte BLOBs.
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
  timestamp  INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  target     TEXT    NOT NULL,
  event_id   INTEGER,
  details    TEXT    NOT NULL DEFAULT '{}',
  prev_hash  BLOB    NOT NULL,
  hash       BLOB    NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
