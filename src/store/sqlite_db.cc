#include "sqlite_db.h"

#include <utility>

namespace stepd::store::internal {

Status SqliteStatus(int rc, std::string_view detail, std::string_view op) {
  std::string message = std::string(op) + ": " + std::string(detail) + " (sqlite " +
                        sqlite3_errstr(rc) + ", code " + std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(message);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExistsError(message);
      }
      return FailedPreconditionError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(message);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return ResourceExhaustedError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return UnavailableError(message);
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return InvalidArgumentError(message);
    default:
      return InternalError(message);
  }
}

// --- SqliteStatement ---------------------------------------------------------

Statement SqliteStatement::Use(std::string_view op) {
  op_ = op;
  return Statement(this);
}

void SqliteStatement::Release() {
  if (in_use_ == nullptr) {
    delete this;
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = SQLITE_OK;
  *in_use_ = false;
}

void SqliteStatement::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
}

void SqliteStatement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
}

void SqliteStatement::BindText(int index, std::string_view text) {
  NoteBind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

void SqliteStatement::BindBlob(int index, std::string_view bytes) {
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
}

void SqliteStatement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
}

void SqliteStatement::BindNull(int index) { NoteBind(sqlite3_bind_null(stmt_, index), index); }

StatusOr<bool> SqliteStatement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return SqliteStatus(bind_error_, "binding parameter " + std::to_string(bind_error_index_), op_);
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), op_);
}

std::string SqliteStatement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string SqliteStatement::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

// --- SqliteConnection --------------------------------------------------------

StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const Config& config) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (config.create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(config.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteStatus(db ? sqlite3_extended_errcode(db) : rc,
                                 "cannot open database '" + config.path +
                                     "': " + (db ? sqlite3_errmsg(db) : "out of memory"),
                                 "OpenSqliteStore");
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, config.busy_timeout_ms);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, config.statement_cache_size));
}

SqliteConnection::~SqliteConnection() {
  lru_.clear();  // finalizes the cached statements before the database closes
  sqlite3_close(db_);
}

Status SqliteConnection::Exec(std::string_view sql, std::string_view op) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::OK();
  std::string detail = error ? error : sqlite3_errmsg(db_);
  sqlite3_free(error);
  return SqliteStatus(sqlite3_extended_errcode(db_), detail, op);
}

StatusOr<std::string> SqliteConnection::QueryPragma(std::string_view sql, std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement statement, Prepare(sql, op));
  STEPD_ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) return std::string();
  return statement.Text(0);
}

void SqliteConnection::EvictIfFull() {
  // Walk from the least recently used end; skip statements in use.
  for (auto it = lru_.end(); static_cast<int>(lru_.size()) >= cache_size_ && it != lru_.begin();) {
    --it;
    if (it->in_use) continue;
    by_sql_.erase(it->sql);
    it = lru_.erase(it);
  }
}

StatusOr<Statement> SqliteConnection::Prepare(std::string_view sql, std::string_view op) {
  auto found = by_sql_.find(sql);
  if (found != by_sql_.end() && !found->second->in_use) {
    lru_.splice(lru_.begin(), lru_, found->second);
    Entry& entry = lru_.front();
    entry.in_use = true;
    return entry.statement->Use(op);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), op);
  }
  if (found != by_sql_.end()) {  // nested use: private
    return (new SqliteStatement(db_, stmt, nullptr))->Use(op);
  }
  EvictIfFull();
  lru_.push_front(Entry{std::string(sql), nullptr, true});
  Entry& entry = lru_.front();
  entry.statement = std::make_unique<SqliteStatement>(db_, stmt, &entry.in_use);
  by_sql_.emplace(entry.sql, lru_.begin());
  return entry.statement->Use(op);
}

Status SqliteConnection::Begin(bool write, std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement statement, Prepare(write ? "BEGIN IMMEDIATE" : "BEGIN", op));
  return statement.Run();
}

Status SqliteConnection::End(bool commit, std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement statement, Prepare(commit ? "COMMIT" : "ROLLBACK", op));
  return statement.Run();
}

}  // namespace stepd::store::internal
