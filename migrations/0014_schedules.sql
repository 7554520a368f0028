-- 0014_schedules: schedules that start a state machine at the times of an
-- EventBridge Scheduler expression (rate, cron, at) in a time zone.
-- Append-only: never edit this file once released; add 0015_... instead.

-- next_fire_ms is the due time to fire next (NULL: none: disabled, ended,
-- or an at() that fired). The scheduler advances it with a compare-and-set
-- on revision, and names the execution it starts after (schedule, due
-- time), so that a due time fires once across restarts. source 'config'
-- rows come from the config file and are replaced on every start.
CREATE TABLE schedules (
  id                 INTEGER PRIMARY KEY,
  name               TEXT    NOT NULL UNIQUE,
  description        TEXT    NOT NULL DEFAULT '',
  state_machine_arn  TEXT    NOT NULL,
  qualifier          TEXT    NOT NULL DEFAULT '',
  input              TEXT    NOT NULL DEFAULT '{}',
  expression         TEXT    NOT NULL,
  timezone           TEXT    NOT NULL DEFAULT 'UTC',
  start_ms           INTEGER,
  end_ms             INTEGER,
  enabled            INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  catch_up           TEXT    NOT NULL CHECK (catch_up IN ('SKIP', 'LAST')),
  source             TEXT    NOT NULL CHECK (source IN ('api', 'config')),
  next_fire_ms       INTEGER,
  last_fire_ms       INTEGER,
  last_execution_arn TEXT    NOT NULL DEFAULT '',
  last_error         TEXT    NOT NULL DEFAULT '',
  revision           INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
