-- 0006_redrive (PostgreSQL): migrations/0006_redrive.sql translated.
-- Append-only: never edit this file once released; add 0007_... instead.

-- How often a redrive of the parent execution restarted the run's failed or
-- aborted child executions, and when it last did (NULL: never).
ALTER TABLE map_runs ADD COLUMN redrive_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE map_runs ADD COLUMN redriven_at BIGINT;
