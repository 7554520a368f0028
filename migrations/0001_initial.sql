-- 0001_initial: the first domain schema.
-- Append-only: never edit this file once released; add 0002_... instead.
-- Timestamps are INTEGER milliseconds since the Unix epoch (UTC). JSON is TEXT.
-- Internal integer ids join the tables; ARNs are the external keys.

CREATE TABLE state_machines (
  id              INTEGER PRIMARY KEY,
  arn             TEXT    NOT NULL UNIQUE,
  name            TEXT    NOT NULL UNIQUE,
  type            TEXT    NOT NULL CHECK (type IN ('STANDARD', 'EXPRESS')),
  definition      TEXT    NOT NULL,
  role_arn        TEXT    NOT NULL,
  revision_id     TEXT    NOT NULL,
  -- description, loggingConfiguration, tracingConfiguration, tags...: JSON object
  attributes      TEXT    NOT NULL DEFAULT '{}',
  status          TEXT    NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DELETING')),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE executions (
  id                  INTEGER PRIMARY KEY,
  arn                 TEXT    NOT NULL UNIQUE,
  state_machine_id    INTEGER NOT NULL REFERENCES state_machines (id) ON DELETE CASCADE,
  name                TEXT    NOT NULL,
  -- revision of the state machine the execution started with
  state_machine_revision_id TEXT NOT NULL,
  status              TEXT    NOT NULL CHECK (status IN
                        ('RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE')),
  input               TEXT    NOT NULL,
  output              TEXT,
  error               TEXT,
  cause               TEXT,
  start_time          INTEGER NOT NULL,
  stop_time           INTEGER,
  redrive_count       INTEGER NOT NULL DEFAULT 0,
  redrive_time        INTEGER,
  attributes          TEXT    NOT NULL DEFAULT '{}',
  -- opaque runtime state written with every transition, read back on recovery
  snapshot            BLOB    NOT NULL DEFAULT x'',
  -- id of the newest history event (0: none); guards the exactly-once commit
  last_event_id       INTEGER NOT NULL DEFAULT 0,
  updated_at          INTEGER NOT NULL,
  UNIQUE (state_machine_id, name)
);
-- ListExecutions by machine (and status), newest first; recovery scans RUNNING.
CREATE INDEX executions_by_machine ON executions (state_machine_id, id);
CREATE INDEX executions_by_machine_status ON executions (state_machine_id, status, id);
CREATE INDEX executions_by_status ON executions (status, id);

CREATE TABLE history_events (
  execution_id      INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  event_id          INTEGER NOT NULL CHECK (event_id >= 1),
  previous_event_id INTEGER NOT NULL DEFAULT 0,
  type              TEXT    NOT NULL,
  timestamp         INTEGER NOT NULL,
  details           TEXT    NOT NULL DEFAULT '{}',
  PRIMARY KEY (execution_id, event_id)
) WITHOUT ROWID;

-- Append-only, tamper-evident: hash = sha256(prev_hash || canonical row), see
-- include/stepd/store/audit_chain.h. No foreign keys: audit outlives its targets.
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
  timestamp  INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  target     TEXT    NOT NULL,
  details    TEXT    NOT NULL DEFAULT '{}',
  prev_hash  TEXT    NOT NULL,
  hash       TEXT    NOT NULL UNIQUE
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Durable timers (Wait states, retry back-off, timeouts, heartbeats): the
-- runtime parks an execution here and re-queues it when due.
CREATE TABLE timers (
  id            INTEGER PRIMARY KEY,
  execution_id  INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  kind          TEXT    NOT NULL,
  due_at        INTEGER NOT NULL,
  payload       TEXT    NOT NULL DEFAULT '{}',
  created_at    INTEGER NOT NULL
);
CREATE INDEX timers_by_due ON timers (due_at, id);
CREATE INDEX timers_by_execution ON timers (execution_id);
