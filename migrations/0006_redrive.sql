-- 0006_redrive: redrives of executions and of the Map Runs inside them.
-- Append-only: never edit this file once released; add 0007_... instead.

-- How often a redrive of the parent execution restarted the run's failed or
-- aborted child executions, and when it last did (NULL: never).
ALTER TABLE map_runs ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE map_runs ADD COLUMN redriven_at INTEGER;
