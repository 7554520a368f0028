-- 0013_notifications: failure/outcome notifications. The notifier tails the
-- audit chain (transition rows) from a durable cursor and queues one outbox
-- row per matching rule; a worker delivers them to Slack, PagerDuty or a
-- signed webhook with retries, and keeps the ones that never went through
-- as dead letters. Sinks and rules made through the REST API live here too
-- (config-file ones are never stored). Secrets (webhook URLs, keys) are
-- sealed with the secrets key; the store never sees them in clear.
-- Append-only: never edit this file once released; add 0014_... instead.

-- How far the notifier has read the audit chain: the last seq it queued
-- notifications for. One row per reader (name 'notifier').
CREATE TABLE notification_cursors (
  name TEXT    PRIMARY KEY,
  seq  INTEGER NOT NULL
);

-- The outbox. status is 'PENDING', 'DELIVERED' or 'DEAD_LETTER'; a PENDING
-- row is sent once next_attempt_ms has passed. event_json holds what the
-- message says (execution, state machine, error, cause ...), never a secret.
CREATE TABLE notifications (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  audit_seq       INTEGER NOT NULL,
  rule            TEXT    NOT NULL DEFAULT '',
  sink            TEXT    NOT NULL,
  sink_type       TEXT    NOT NULL,
  kind            TEXT    NOT NULL,
  outcome         TEXT    NOT NULL,
  execution_arn   TEXT    NOT NULL,
  event_json      TEXT    NOT NULL DEFAULT '{}',
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  delivered_ms    INTEGER,
  last_error      TEXT    NOT NULL DEFAULT ''
);
-- The worker's scan of due rows.
CREATE INDEX notifications_due ON notifications (next_attempt_ms) WHERE status = 'PENDING';
CREATE INDEX notifications_by_status ON notifications (status, id);
CREATE INDEX notifications_by_execution ON notifications (execution_arn, id);

-- Sinks and rules made through the REST API. settings_json holds what is
-- not secret (the sink's non-secret options), sealed_secrets the sealed
-- JSON object of its secrets.
CREATE TABLE notification_sinks (
  name           TEXT    PRIMARY KEY,
  type           TEXT    NOT NULL,
  settings_json  TEXT    NOT NULL DEFAULT '{}',
  sealed_secrets BLOB    NOT NULL,
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL
);
-- state_machines and outcomes are JSON arrays of strings.
CREATE TABLE notification_rules (
  name           TEXT    PRIMARY KEY,
  sink           TEXT    NOT NULL,
  state_machines TEXT    NOT NULL DEFAULT '[]',
  outcomes       TEXT    NOT NULL DEFAULT '[]',
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL
);
