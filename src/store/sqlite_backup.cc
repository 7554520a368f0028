#include "stepd/store/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "sqlite_db.h"

namespace stepd::store {
namespace {

namespace fs = std::filesystem;
using internal::SqliteStatus;

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};

Status OpenDb(const std::string& path, int flags, int busy_timeout_ms, Db* out,
              std::string_view what) {
  int rc = sqlite3_open_v2(path.c_str(), &out->db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, out->db ? sqlite3_errmsg(out->db) : "cannot open", what);
  }
  sqlite3_busy_timeout(out->db, busy_timeout_ms);
  return Status::OK();
}

// fsync of a file or directory by path.
Status Sync(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InternalError("backup: cannot open " + path.string() + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return InternalError("backup: fsync of " + path.string() + " failed");
  return Status::OK();
}

StatusOr<BackupResult> CopyInto(const std::string& source_path, const fs::path& tmp,
                                int busy_timeout_ms) {
  Db source, dest;
  STEPD_RETURN_IF_ERROR(OpenDb(source_path, SQLITE_OPEN_READWRITE, busy_timeout_ms, &source,
                               "backup: opening " + source_path));
  STEPD_RETURN_IF_ERROR(OpenDb(tmp.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                               busy_timeout_ms, &dest, "backup: creating " + tmp.string()));
  sqlite3_backup* backup = sqlite3_backup_init(dest.db, "main", source.db, "main");
  if (backup == nullptr) {
    return SqliteStatus(sqlite3_errcode(dest.db), sqlite3_errmsg(dest.db), "backup: starting");
  }
  BackupResult result;
  // One step of every page: one read transaction, so one consistent
  // snapshot. BUSY/LOCKED (a checkpoint or a writer holding the file) are
  // retried for the busy timeout.
  int rc;
  int waited_ms = 0;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (waited_ms >= busy_timeout_ms) break;
    sqlite3_sleep(50);
    waited_ms += 50;
  }
  result.pages = sqlite3_backup_pagecount(backup);
  int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return SqliteStatus(rc, sqlite3_errmsg(dest.db), "backup: copying");
  if (finish != SQLITE_OK) {
    return SqliteStatus(finish, sqlite3_errmsg(dest.db), "backup: finishing");
  }
  // The copy must be a sound database of its own.
  sqlite3_stmt* check = nullptr;
  rc = sqlite3_prepare_v2(dest.db, "PRAGMA quick_check", -1, &check, nullptr);
  std::string verdict;
  if (rc == SQLITE_OK && sqlite3_step(check) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(check, 0);
    verdict = text ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(check);
  if (verdict != "ok") {
    return DataLossError("backup: the copy failed its integrity check: " +
                         (verdict.empty() ? std::string(sqlite3_errmsg(dest.db)) : verdict));
  }
  sqlite3_stmt* version = nullptr;
  if (sqlite3_prepare_v2(dest.db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1,
                         &version, nullptr) == SQLITE_OK &&
      sqlite3_step(version) == SQLITE_ROW) {
    result.schema_version = sqlite3_column_int(version, 0);
  }
  sqlite3_finalize(version);
  return result;
}

}  // namespace

StatusOr<BackupResult> BackupSqliteDatabase(const std::string& source_path,
                                            const std::string& dest_path, bool overwrite,
                                            int busy_timeout_ms) {
  std::error_code ec;
  if (!fs::is_regular_file(source_path, ec)) {
    return NotFoundError("backup: no database file at " + source_path);
  }
  const fs::path dest = fs::absolute(dest_path, ec);
  if (fs::exists(dest, ec)) {
    if (fs::equivalent(source_path, dest, ec)) {
      return InvalidArgumentError("backup: the copy cannot replace the database itself (" +
                                  dest_path + ")");
    }
    if (!overwrite) {
      return AlreadyExistsError("backup: " + dest_path +
                                " exists; choose another name or pass --force to replace it");
    }
  }
  if (!fs::is_directory(dest.parent_path(), ec)) {
    return NotFoundError("backup: no directory " + dest.parent_path().string());
  }
  const fs::path tmp =
      dest.parent_path() / ("." + dest.filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove(tmp, ec);
  auto cleanup = [&] {
    fs::remove(tmp, ec);
    fs::remove(fs::path(tmp.string() + "-journal"), ec);
    fs::remove(fs::path(tmp.string() + "-wal"), ec);
    fs::remove(fs::path(tmp.string() + "-shm"), ec);
  };
  StatusOr<BackupResult> result = CopyInto(source_path, tmp, busy_timeout_ms);
  if (!result.ok()) {
    cleanup();
    return result.status();
  }
  if (Status synced = Sync(tmp, false); !synced.ok()) {
    cleanup();
    return synced;
  }
  fs::rename(tmp, dest, ec);
  if (ec) {
    cleanup();
    return InternalError("backup: cannot rename the copy to " + dest.string() + ": " +
                         ec.message());
  }
  cleanup();  // a -wal/-shm the check may have left beside the temporary name
  (void)Sync(dest.parent_path(), true);
  result->bytes = static_cast<int64_t>(fs::file_size(dest, ec));
  return result;
}

}  // namespace stepd::store
