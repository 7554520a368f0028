#pragma once
// The Store on PostgreSQL, for several stepd nodes sharing one database. The
// same implementation as SqliteStore (src/store/sql_store.cc) over libpq,
// with the same contract (store.h) and migrations translated one for one
// (migrations/postgres/).
//
// Design:
//   - One writer connection per process behind one mutex, plus a pool of
//     StoreOptions::reader_connections readers (REPEATABLE READ, READ ONLY
//     snapshots). Statements are prepared on the server and cached per
//     connection (StoreOptions::statement_cache_size).
//   - Every write transaction first takes one transaction-scoped advisory
//     lock, so writes are serialised across every node as SQLite serialises
//     them in one process: the audit chain stays one chain, dense and
//     verifiable, and every check-then-write of the contract holds. A commit
//     carries the group commit's batch of transitions, so a node pays the
//     lock once per batch, not once per transition.
//   - What the writer caches between transactions (the chain's head,
//     machines' ids) is read again in each one: other nodes write too.
//   - A connection the database dropped (a restart) is re-established on its
//     next use; the call that found it broken fails with UNAVAILABLE and the
//     caller retries: a commit whose answer was lost is recognised on retry
//     (its events exist: ALREADY_EXISTS), so no durable transition is lost or
//     doubled.
//   - PostgreSQL errors map to Status like SQLite's: unique violation ->
//     ALREADY_EXISTS, other constraints -> FAILED_PRECONDITION, connection
//     loss, serialization failures and shutdown -> UNAVAILABLE, disk full ->
//     RESOURCE_EXHAUSTED, corruption -> DATA_LOSS, else INTERNAL.
//
// Thread-safety: as Store.

#include <memory>
#include <string>
#include <string_view>

#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"
#include "stepd/store/options.h"
#include "stepd/store/store.h"

namespace stepd::store {

// Connects to options.url and, when options.migrate_on_open, applies pending
// migrations (several nodes starting together migrate once). Errors:
// INVALID_ARGUMENT for bad options, UNAVAILABLE when the server cannot be
// reached (the message never holds the password), FAILED_PRECONDITION from
// Migrate().
StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options,
                                                   Clock* clock = SystemClock::Default());

// `url` with its passwords replaced by "***", for logs and printed options.
std::string RedactStoreUrl(std::string_view url);

// The database for messages: the redacted URL, or the SQLite file's path.
std::string DescribeStore(const StoreOptions& options);

// OpenPostgresStore when options.url is set, else OpenSqliteStore.
StatusOr<std::unique_ptr<Store>> OpenStore(const StoreOptions& options,
                                           Clock* clock = SystemClock::Default());

}  // namespace stepd::store
