-- 0003_activities: activities and the tasks their workers poll for.
-- Append-only: never edit this file once released; add 0004_... instead.

CREATE TABLE activities (
  id          INTEGER PRIMARY KEY,
  arn         TEXT    NOT NULL UNIQUE,
  name        TEXT    NOT NULL UNIQUE,
  -- tags...: JSON object
  attributes  TEXT    NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL
);

-- One row per Task state waiting for an activity worker, from scheduling
-- until the execution no longer waits for it. The token a worker gets is
-- made when it gets the task; only its SHA-256 is kept.
CREATE TABLE activity_tasks (
  id            INTEGER PRIMARY KEY,
  activity_id   INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
  execution_arn TEXT    NOT NULL,
  task_id       INTEGER NOT NULL,
  input         TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN
                  ('QUEUED', 'STARTED', 'SUCCEEDED', 'FAILED', 'CLOSED')),
  token_hash    BLOB    UNIQUE,
  worker_name   TEXT,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  heartbeat_at  INTEGER,
  output        TEXT,
  error         TEXT,
  cause         TEXT,
  UNIQUE (execution_arn, task_id)
);
-- The queue a poll takes from: oldest first, per activity.
CREATE INDEX activity_tasks_queued ON activity_tasks (activity_id, id) WHERE state = 'QUEUED';
