-- 0008_task_tokens: the tokens of .waitForTaskToken tasks.
-- Append-only: never edit this file once released; add 0009_... instead.

-- One row per Task state waiting for SendTaskSuccess/SendTaskFailure on a
-- token it handed out in its request ($$.Task.Token), from the dispatch of
-- the task until the execution no longer waits for it. Only the token's
-- SHA-256 is kept. States as activity_tasks' (no QUEUED: a token is out as
-- soon as it is recorded).
CREATE TABLE task_tokens (
  id            INTEGER PRIMARY KEY,
  token_hash    BLOB    NOT NULL UNIQUE,
  execution_arn TEXT    NOT NULL,
  task_id       INTEGER NOT NULL,
  resource      TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('STARTED', 'SUCCEEDED', 'FAILED', 'CLOSED')),
  created_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER,
  output        TEXT,
  error         TEXT,
  cause         TEXT,
  UNIQUE (execution_arn, task_id)
);
