-- 0010_audit_queries: audit rows are looked up by who acted and on what
-- (`stepd audit list --principal/--resource`, the REST API).
-- Append-only: never edit this file once released; add 0011_... instead.

CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_by_target ON audit_log (target, seq);
