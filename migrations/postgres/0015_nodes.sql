-- 0015_nodes (PostgreSQL): migrations/0015_nodes.sql translated.
-- Several stepd nodes sharing one database (a SQLite database serves one
-- node, which uses these tables the same way).
-- Append-only: never edit this file once released; add 0016_... instead.
--
-- Each node heartbeats its row in `nodes`; it is alive until expires_ms. An
-- execution belongs to the node running it (executions.owner_node, set when
-- it starts and when a node claims it); a node whose heartbeat expired loses
-- its executions to the nodes that claim them, and a commit by a node that
-- no longer owns the execution is refused. Work that must run on one node
-- at a time (the schedules' clock, the notifier) runs on the holder of its
-- row in `leases`.
CREATE TABLE nodes (
  node_id      TEXT    COLLATE "C" PRIMARY KEY,
  address      TEXT    COLLATE "C" NOT NULL DEFAULT '',
  started_ms   BIGINT  NOT NULL,
  heartbeat_ms BIGINT  NOT NULL,
  expires_ms   BIGINT  NOT NULL
);

ALTER TABLE executions ADD COLUMN owner_node TEXT COLLATE "C";
CREATE INDEX executions_running_by_owner ON executions (owner_node, id)
  WHERE status = 'RUNNING' AND parent_arn IS NULL;

CREATE TABLE leases (
  name        TEXT    COLLATE "C" PRIMARY KEY,
  holder      TEXT    COLLATE "C" NOT NULL,
  acquired_ms BIGINT  NOT NULL,
  expires_ms  BIGINT  NOT NULL
);
