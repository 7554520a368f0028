#pragma once
// A consistent online copy of a SQLite database, for `stepd backup`.
//
// The copy is taken with SQLite's online backup API in one step, inside one
// read transaction: in WAL mode the server keeps writing meanwhile, and the
// copy is the database as of one commit (no torn state, nothing from a
// transaction still open). It is written to a temporary file beside
// `dest_path`, checked (PRAGMA quick_check), flushed to disk and renamed into
// place, so `dest_path` is either absent or a complete copy.

#include <cstdint>
#include <string>

#include "stepd/base/status_or.h"

namespace stepd::store {

struct BackupResult {
  int64_t bytes = 0;       // size of the copy
  int64_t pages = 0;       // pages copied
  int schema_version = 0;  // highest migration applied in the copy
};

// Errors: NOT_FOUND when `source_path` does not exist (the source is never
// created); ALREADY_EXISTS when `dest_path` exists and !overwrite;
// INVALID_ARGUMENT when both name the same file; DATA_LOSS when the copy
// fails its check; UNAVAILABLE/INTERNAL for SQLite and file errors, the
// message naming the file.
StatusOr<BackupResult> BackupSqliteDatabase(const std::string& source_path,
                                            const std::string& dest_path, bool overwrite,
                                            int busy_timeout_ms = 10000);

}  // namespace stepd::store
