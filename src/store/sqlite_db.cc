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

// --- Statement ---------------------------------------------------------------

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, std::string_view op)
    : db_(db), stmt_(stmt), in_use_(in_use), op_(op) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      op_(std::move(other.op_)),
      bind_error_(other.bind_error_),
      bind_error_index_(other.bind_error_index_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void Statement::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
    bind_error_index_ = index;
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  NoteBind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::BindOptional(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Statement& Statement::BindOptional(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

StatusOr<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return SqliteStatus(bind_error_, "binding parameter " + std::to_string(bind_error_index_), op_);
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), op_);
}

Status Statement::Run() {
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

int64_t Statement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::optional<int64_t> Statement::OptionalInt64(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int64(column);
}

double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// --- Connection --------------------------------------------------------------

StatusOr<std::unique_ptr<Connection>> Connection::Open(const Config& config) {
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
  return std::unique_ptr<Connection>(new Connection(db, config.statement_cache_size));
}

Connection::~Connection() {
  for (Entry& entry : lru_) sqlite3_finalize(entry.stmt);
  sqlite3_close(db_);
}

Status Connection::Exec(std::string_view sql, std::string_view op) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::OK();
  std::string detail = error ? error : sqlite3_errmsg(db_);
  sqlite3_free(error);
  return SqliteStatus(sqlite3_extended_errcode(db_), detail, op);
}

StatusOr<std::string> Connection::QueryPragma(std::string_view sql, std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement statement, Prepare(sql, op));
  STEPD_ASSIGN_OR_RETURN(bool row, statement.Step());
  if (!row) return std::string();
  return statement.Text(0);
}

void Connection::EvictIfFull() {
  // Walk from the least recently used end; skip statements in use.
  for (auto it = lru_.end(); static_cast<int>(lru_.size()) >= cache_size_ && it != lru_.begin();) {
    --it;
    if (it->in_use) continue;
    by_sql_.erase(it->sql);
    sqlite3_finalize(it->stmt);
    it = lru_.erase(it);
  }
}

StatusOr<Statement> Connection::Prepare(std::string_view sql, std::string_view op) {
  auto found = by_sql_.find(sql);
  if (found != by_sql_.end() && !found->second->in_use) {
    lru_.splice(lru_.begin(), lru_, found->second);
    Entry& entry = lru_.front();
    entry.in_use = true;
    return Statement(db_, entry.stmt, &entry.in_use, op);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), op);
  }
  if (found != by_sql_.end()) return Statement(db_, stmt, nullptr, op);  // nested use: private
  EvictIfFull();
  lru_.push_front(Entry{std::string(sql), stmt, true});
  Entry& entry = lru_.front();
  by_sql_.emplace(entry.sql, lru_.begin());
  return Statement(db_, entry.stmt, &entry.in_use, op);
}

// --- Transaction -------------------------------------------------------------

namespace {
Status RunCached(Connection& connection, std::string_view sql, std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement statement, connection.Prepare(sql, op));
  return statement.Run();
}
}  // namespace

StatusOr<Transaction> Transaction::Begin(Connection& connection, bool immediate,
                                         std::string_view op) {
  STEPD_RETURN_IF_ERROR(RunCached(connection, immediate ? "BEGIN IMMEDIATE" : "BEGIN", op));
  return Transaction(&connection, op);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), op_(std::move(other.op_)) {}

Transaction::~Transaction() {
  if (connection_ != nullptr) (void)RunCached(*connection_, "ROLLBACK", op_);
}

Status Transaction::Commit() {
  Connection* connection = std::exchange(connection_, nullptr);
  Status status = RunCached(*connection, "COMMIT", op_);
  if (!status.ok()) (void)RunCached(*connection, "ROLLBACK", op_);
  return status;
}

}  // namespace stepd::store::internal
