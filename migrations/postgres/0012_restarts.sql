-- 0012_restarts (PostgreSQL): migrations/0012_restarts.sql translated.
-- Append-only: never edit this file once released; add 0013_... instead.

-- The execution this one was restarted from (an operator's "restart from
-- state" starts a new execution linked to the old one); NULL for any other
-- execution. Written once, when the execution is inserted.
ALTER TABLE executions ADD COLUMN restarted_from TEXT COLLATE "C";
-- ListExecutions of the restarts of an execution, newest first.
CREATE INDEX executions_by_restarted_from ON executions (restarted_from, id)
  WHERE restarted_from IS NOT NULL;
-- ListExecutions by error ("States.TaskFailed"), newest first. Only ended
-- executions have an error, so running ones cost no index entry.
CREATE INDEX executions_by_error ON executions (error, id) WHERE error IS NOT NULL;

-- ListActivityTasks of the pending tasks (its default), oldest first: the
-- activity tasks waiting for a worker or handed to one, and the task tokens
-- not answered yet. Finished and closed rows, most of each table, are not
-- indexed.
CREATE INDEX activity_tasks_pending ON activity_tasks (created_at, execution_arn, task_id)
  WHERE state IN ('QUEUED', 'STARTED');
CREATE INDEX task_tokens_pending ON task_tokens (created_at, execution_arn, task_id)
  WHERE state = 'STARTED';
