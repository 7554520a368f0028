#pragma once
// A thin RAII layer over the SQLite C API for SqliteStore: a Connection with
// an LRU cache of prepared statements, a Statement handle that binds
// parameters and reads columns, and the mapping of SQLite result codes to
// Status. Nothing outside src/store sees this.
//
// Thread-safety: a Connection (and every Statement from it) is used by one
// thread at a time; SqliteStore's locks guarantee that.

#include <sqlite3.h>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "stepd/base/status.h"
#include "stepd/base/status_or.h"

namespace stepd::store::internal {

// Maps a SQLite result code (extended codes understood) to a Status whose
// message is "<op>: <detail> (sqlite <code name>)".
Status SqliteStatus(int rc, std::string_view detail, std::string_view op);

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();  // resets the statement and returns it to the cache

  // Parameters are 1-based. A failed bind is reported by the next Step().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindOptional(int index, const std::optional<std::string>& text);  // NULL when unset
  Statement& BindOptional(int index, const std::optional<int64_t>& value);     // NULL when unset
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindDouble(int index, double value);
  Statement& BindNull(int index);

  // true: a row is available; false: done.
  StatusOr<bool> Step();
  // Steps to completion; for statements without result rows.
  Status Run();

  int64_t Int64(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  std::optional<int64_t> OptionalInt64(int column) const;
  double Double(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, std::string_view op);
  void NoteBind(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache entry's flag; null when the statement is owned
  std::string op_;
  int bind_error_ = SQLITE_OK;
  int bind_error_index_ = 0;
};

class Connection {
 public:
  struct Config {
    std::string path;
    bool create = false;  // create the file if missing
    int busy_timeout_ms = 5000;
    int statement_cache_size = 64;
  };
  static StatusOr<std::unique_ptr<Connection>> Open(const Config& config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more SQL statements without parameters (pragmas, DDL,
  // transaction control, migrations).
  Status Exec(std::string_view sql, std::string_view op);
  // Runs a pragma and returns the first column of its first row as text.
  StatusOr<std::string> QueryPragma(std::string_view sql, std::string_view op);

  // A cached statement for `sql` (compiled on first use). `op` names the
  // calling operation in error messages. If the cached statement is already
  // in use, a private one is compiled and finalized after use.
  StatusOr<Statement> Prepare(std::string_view sql, std::string_view op);

  sqlite3* db() const { return db_; }

 private:
  explicit Connection(sqlite3* db, int cache_size) : db_(db), cache_size_(cache_size) {}
  struct Entry {
    std::string sql;
    sqlite3_stmt* stmt;
    bool in_use = false;
  };
  void EvictIfFull();

  sqlite3* db_;
  int cache_size_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_sql_;  // keys view lru_
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class Transaction {
 public:
  static StatusOr<Transaction> Begin(Connection& connection, bool immediate, std::string_view op);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  Transaction(Connection* connection, std::string_view op) : connection_(connection), op_(op) {}
  Connection* connection_;  // null once committed, rolled back or moved from
  std::string op_;
};

}  // namespace stepd::store::internal
