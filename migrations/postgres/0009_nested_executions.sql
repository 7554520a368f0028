-- 0009_nested_executions (PostgreSQL): migrations/0009_nested_executions.sql
-- translated.
-- Append-only: never edit this file once released; add 0010_... instead.

-- The execution whose Task state started this one; NULL for an execution
-- started through the API. Unlike parent_arn (a DISTRIBUTED Map's child,
-- which runs inside its parent), such an execution is a top-level one of
-- its own: recovered, listed and redriven by itself.
ALTER TABLE executions ADD COLUMN started_by_execution_arn TEXT COLLATE "C";
