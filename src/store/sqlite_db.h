#pragma once
// The SQLite engine under SqlStore (sql_connection.h): a connection with an
// LRU cache of prepared statements, and the mapping of SQLite result codes
// to Status. Nothing outside src/store sees this.
//
// Thread-safety: a connection (and every Statement from it) is used by one
// thread at a time; SqlStore's locks guarantee that.

#include <sqlite3.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sql_connection.h"
#include "stepd/base/status.h"
#include "stepd/base/status_or.h"

namespace stepd::store::internal {

// Maps a SQLite result code (extended codes understood) to a Status whose
// message is "<op>: <detail> (sqlite <code name>)".
Status SqliteStatus(int rc, std::string_view detail, std::string_view op);

// One compiled statement; cached by its connection, or private to one use
// (then it deletes itself on Release).
class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use)
      : db_(db), stmt_(stmt), in_use_(in_use) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  // Starts a use whose errors name `op`.
  Statement Use(std::string_view op);

  void BindInt64(int index, int64_t value) override;
  void BindText(int index, std::string_view text) override;
  void BindBlob(int index, std::string_view bytes) override;
  void BindDouble(int index, double value) override;
  void BindNull(int index) override;
  StatusOr<bool> Step() override;
  int64_t Int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const override;
  double Double(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string Blob(int column) const override;
  bool IsNull(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  void Release() override;

 private:
  void NoteBind(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache entry's flag; null when the statement is private
  std::string op_;
  int bind_error_ = SQLITE_OK;
  int bind_error_index_ = 0;
};

class SqliteConnection : public Connection {
 public:
  struct Config {
    std::string path;
    bool create = false;  // create the file if missing
    int busy_timeout_ms = 5000;
    int statement_cache_size = 64;
  };
  static StatusOr<std::unique_ptr<SqliteConnection>> Open(const Config& config);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  Status Exec(std::string_view sql, std::string_view op) override;
  StatusOr<Statement> Prepare(std::string_view sql, std::string_view op) override;
  int64_t Changes() override { return sqlite3_changes64(db_); }
  StatusOr<int64_t> LastInsertId(std::string_view) override {
    return sqlite3_last_insert_rowid(db_);
  }
  // BEGIN IMMEDIATE (write) or BEGIN (a deferred read: its snapshot starts at
  // the first read).
  Status Begin(bool write, std::string_view op) override;
  // On cached statements: every transaction ends here.
  Status End(bool commit, std::string_view op) override;

  // Runs a pragma and returns the first column of its first row as text.
  StatusOr<std::string> QueryPragma(std::string_view sql, std::string_view op);

  sqlite3* db() const { return db_; }

 private:
  SqliteConnection(sqlite3* db, int cache_size) : db_(db), cache_size_(cache_size) {}
  struct Entry {
    std::string sql;
    std::unique_ptr<SqliteStatement> statement;
    bool in_use = false;
  };
  void EvictIfFull();

  sqlite3* db_;
  int cache_size_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_sql_;  // keys view lru_
};

}  // namespace stepd::store::internal
