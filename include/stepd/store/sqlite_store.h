#pragma once
// SqliteStore: the embedded default Store, on one SQLite database file. Its
// implementation (src/store/sql_store.cc) is shared with PostgresStore
// (postgres_store.h); the engine is src/store/sqlite_db.h.
//
// Design:
//   - WAL journal mode; PRAGMA synchronous per StoreOptions::synchronous
//     (default FULL: a committed transition survives kill -9 and power loss);
//     foreign keys on; busy timeout per StoreOptions::busy_timeout_ms.
//   - One writer connection behind one mutex: every write is serialised and
//     opens its transaction with BEGIN IMMEDIATE, so writers never deadlock
//     upgrading a read lock.
//   - A pool of StoreOptions::reader_connections query-only connections; reads
//     run there and proceed while a write transaction is open (WAL snapshot).
//   - Each connection caches its prepared statements (LRU,
//     StoreOptions::statement_cache_size). All SQL is parameterised.
//   - SQLite errors map to Status: BUSY/LOCKED -> UNAVAILABLE, UNIQUE/PRIMARY
//     KEY constraint -> ALREADY_EXISTS, other constraints -> FAILED_PRECONDITION,
//     CORRUPT/NOTADB -> DATA_LOSS, FULL -> RESOURCE_EXHAUSTED, else INTERNAL;
//     the message names the operation.
//
// Thread-safety: as Store; the object may be used from any thread.

#include <memory>

#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"
#include "stepd/store/options.h"
#include "stepd/store/store.h"

namespace stepd::store {

// Opens (creating if missing, with its parent directory) the database at
// options.path and, when options.migrate_on_open, applies pending migrations.
// `clock` stamps schema_migrations.applied_at; it must outlive the store
// (SystemClock::Default() does).
// Errors: INVALID_ARGUMENT for bad options, UNAVAILABLE when the file cannot
// be opened or is locked, FAILED_PRECONDITION from Migrate().
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options,
                                                 Clock* clock = SystemClock::Default());

}  // namespace stepd::store
