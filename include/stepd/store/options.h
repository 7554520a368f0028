#pragma once
// StoreOptions: what the persistence layer needs to know, filled once by the
// server layer (flags > environment > config file > these defaults) and handed
// to OpenSqliteStore() or OpenPostgresStore() by const&. Fields about files,
// pragmas and the WAL apply to SQLite only. Plain data; bad values (an unwritable path,
// a negative count) are reported as a Status when the store is opened.

#include <cstdint>
#include <string>

namespace stepd::store {

// How hard SQLite pushes a commit to stable storage (PRAGMA synchronous).
enum class SyncMode {
  // WAL + NORMAL: a commit is durable against a process crash (kill -9) but
  // the last commits may be lost on power failure or an OS crash.
  kNormal,
  // WAL + FULL: the WAL is fsync'ed on every commit, so a commit that
  // returned is durable against power loss too. Costs one fsync per commit.
  kFull,
};

struct StoreOptions {
  // PostgreSQL instead of SQLite: a libpq connection URI
  // (postgres://user:password@host:port/database?sslmode=...) or key=value
  // string, for OpenPostgresStore(); empty for SQLite (CONTRACTS.md:
  // store.url, STEPD_STORE_URL). Several stepd nodes may share one database.
  // Holds a password: never logged (RedactPostgresUrl).
  std::string url;

  // This node's id when several stepd nodes share the database (store.h,
  // "Nodes"): executions it creates are its own and a commit to one another
  // node owns is refused. Empty (the default): one node; no owners.
  std::string node_id;

  // Database file. Its parent directory is created if missing. Must be a
  // real file (WAL needs one): ":memory:" is refused. Default
  // "./data/stepd.db" (CONTRACTS.md: --db, STEPD_DB).
  std::string path = "./data/stepd.db";

  // How long a connection waits for a lock held by another process (or a
  // checkpoint) before the operation fails with UNAVAILABLE; for PostgreSQL,
  // how long connecting may take. Default 5000 ms.
  int busy_timeout_ms = 5000;

  // Read-only connections kept open for concurrent reads; reads never wait
  // for the writer (WAL; PostgreSQL's snapshots), but a read finding all of
  // them busy waits for one to be returned. At least 1. Default 4. (With
  // PostgreSQL each node holds this many connections plus one writer.)
  int reader_connections = 4;

  // Durability of commits. Default kFull: a transition that CommitTransition
  // reported as committed must survive power loss, not only kill -9, because
  // an execution that re-runs a side-effecting Task after a crash is worse
  // than one fsync per commit.
  SyncMode synchronous = SyncMode::kFull;

  // Apply pending migrations when the store is opened. `stepd serve` and
  // `stepd migrate` leave it true; a tool that must not change the schema
  // (e.g. `stepd audit verify`) sets it false and calls Store::Migrate()
  // itself or reads SchemaVersion(). Default true.
  bool migrate_on_open = true;

  // Prepared statements kept per connection (least recently used evicted).
  // Default 64.
  int statement_cache_size = 64;

  // Size the write-ahead log may reach before the checkpointer makes it
  // start over (holding the writer for a moment), and the size its file is
  // cut back to then. Without it a steady stream of commits grows the WAL
  // without bound. Default 64 MiB.
  int64_t wal_limit_bytes = 64 * 1024 * 1024;

  // The secret the audit chain's HMAC-SHA256 is keyed with (any bytes; the
  // server reads it from a key file or STEPD_AUDIT_KEY, never from the
  // database). Must not be empty for OpenSqliteStore. Never logged.
  std::string audit_key;
};

}  // namespace stepd::store
