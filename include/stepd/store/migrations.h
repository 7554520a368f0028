#pragma once
// The schema migrations compiled into this binary, from migrations/NNNN_name.sql
// (SQLite) and migrations/postgres/NNNN_name.sql (PostgreSQL) in the source
// tree (a build step embeds the file contents; editing a .sql rebuilds).
// Append-only, both sets: an applied migration must never change, its
// checksum is recorded in the database's schema_migrations table and checked
// on every start-up.

#include <span>
#include <string>
#include <string_view>

namespace stepd::store {

struct Migration {
  int version;            // NNNN from the file name; 1, 2, 3... without gaps
  std::string_view name;  // the file name's part after "NNNN_", without ".sql"
  std::string_view sql;   // the file's contents
};

// The SQLite migrations, in version order. Thread-safe; the data is static.
std::span<const Migration> EmbeddedMigrations();

// The PostgreSQL migrations, in version order: the same versions and names
// as EmbeddedMigrations() (the build refuses anything else), each the SQLite
// migration of its version translated (same tables, columns, constraints and
// indexes; see migrations/README.md for the rules). Append-only like the
// SQLite set: a new migration is a new file in both. Their SQL texts, and so
// their checksums, differ from the SQLite ones. Thread-safe; static data.
std::span<const Migration> EmbeddedPostgresMigrations();

// Version of the newest embedded migration, of either set (they have the
// same versions).
int LatestSchemaVersion();

// Lower-case hex SHA-256 of the migration's SQL text: what schema_migrations
// records.
std::string MigrationChecksum(const Migration& migration);

// "0001_initial".
std::string MigrationLabel(int version, std::string_view name);

}  // namespace stepd::store
