-- 0010_audit_queries (PostgreSQL): migrations/0010_audit_queries.sql translated.
-- Who did what is looked up by principal (`stepd audit list --principal`).
-- Only the rows of actions are indexed: API calls (no event id) and the
-- transitions a call causes (an execution started, stopped, redriven); the
-- automatic transitions of a running execution, most of the table, are not,
-- so that they cost no index write. QueryAudit's actor filter selects those
-- same rows.
-- Append-only: never edit this file once released; add 0011_... instead.

CREATE INDEX audit_log_actions_by_actor ON audit_log (actor, seq)
  WHERE event_id IS NULL OR action IN ('ExecutionStarted', 'ExecutionAborted', 'ExecutionRedriven');
