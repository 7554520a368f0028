-- 0005_map_runs: the runs of DISTRIBUTED Map states.
-- Append-only: never edit this file once released; add 0006_... instead.

-- A Map Run of an execution's Map state; its child executions are the
-- executions whose map_run_arn is its arn (counted through
-- executions_by_map_run, 0002). Written with the transitions of the
-- execution that runs it: the limits change with UpdateMapRun, the totals
-- as the run learns its items; stopped_at is NULL while it runs. It goes
-- with its execution.
CREATE TABLE map_runs (
  id                           INTEGER PRIMARY KEY,
  arn                          TEXT    NOT NULL UNIQUE,
  execution_id                 INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  status                       TEXT    NOT NULL CHECK (status IN
                                 ('RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED')),
  max_concurrency              INTEGER NOT NULL DEFAULT 0,
  tolerated_failure_count      INTEGER NOT NULL DEFAULT 0,
  tolerated_failure_percentage REAL    NOT NULL DEFAULT 0,
  total_items                  INTEGER NOT NULL DEFAULT 0,
  total_executions             INTEGER NOT NULL DEFAULT 0,
  started_at                   INTEGER NOT NULL,
  stopped_at                   INTEGER
);
-- ListMapRuns of an execution, newest first; also what the cascade from a
-- deleted execution looks its runs up by.
CREATE INDEX map_runs_by_execution ON map_runs (execution_id, id);
