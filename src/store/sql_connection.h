#pragma once
// What SqlStore needs of a SQL engine, so that one store implementation runs
// on SQLite (sqlite_db.h) and on PostgreSQL (pg_db.h): a Connection that
// prepares cached statements, a Statement that binds parameters and reads
// columns, and transactions. Nothing outside src/store sees this.
//
// SQL is written once, in the subset both engines understand:
//   - parameters are `?1`, `?2`, ... (1-based; a number may repeat); the
//     PostgreSQL connection rewrites them to `$1`, `$2`, ...;
//   - columns are read 0-based; integers are BIGINT on PostgreSQL, and a
//     boolean result reads as 0 or 1 through Int64();
//   - where the engines differ (JSON functions, the catalog), the caller
//     asks dialect() and writes each form.
//
// Thread-safety: a Connection (and every Statement from it) is used by one
// thread at a time; SqlStore's locks guarantee that.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "stepd/base/status.h"
#include "stepd/base/status_or.h"

namespace stepd::store::internal {

enum class Dialect { kSqlite, kPostgres };

// One use of a prepared statement. Engines implement it; Statement wraps it.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  // A failed bind is reported by the next Step().
  virtual void BindInt64(int index, int64_t value) = 0;
  virtual void BindText(int index, std::string_view text) = 0;
  virtual void BindBlob(int index, std::string_view bytes) = 0;
  virtual void BindDouble(int index, double value) = 0;
  virtual void BindNull(int index) = 0;
  // true: a row is available; false: done.
  virtual StatusOr<bool> Step() = 0;
  virtual int64_t Int64(int column) const = 0;
  virtual std::string Text(int column) const = 0;
  virtual double Double(int column) const = 0;
  virtual std::string Blob(int column) const = 0;
  virtual bool IsNull(int column) const = 0;
  // The use is over: reset the statement and give it back to its
  // connection's cache (or free it when it is not cached).
  virtual void Release() = 0;
};

// A prepared statement in use; gives it back on destruction. Move-only.
class Statement {
 public:
  explicit Statement(StatementImpl* impl) : impl_(impl) {}
  Statement(Statement&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement() {
    if (impl_ != nullptr) impl_->Release();
  }

  // Parameters are 1-based.
  Statement& Bind(int index, int64_t value) {
    impl_->BindInt64(index, value);
    return *this;
  }
  Statement& Bind(int index, std::string_view text) {
    impl_->BindText(index, text);
    return *this;
  }
  Statement& BindOptional(int index, const std::optional<std::string>& text) {
    return text ? Bind(index, std::string_view(*text)) : BindNull(index);
  }
  Statement& BindOptional(int index, const std::optional<int64_t>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }
  Statement& BindBlob(int index, std::string_view bytes) {
    impl_->BindBlob(index, bytes);
    return *this;
  }
  Statement& BindDouble(int index, double value) {
    impl_->BindDouble(index, value);
    return *this;
  }
  Statement& BindNull(int index) {
    impl_->BindNull(index);
    return *this;
  }

  StatusOr<bool> Step() { return impl_->Step(); }
  // Steps to completion; for statements without result rows.
  Status Run() {
    while (true) {
      STEPD_ASSIGN_OR_RETURN(bool row, Step());
      if (!row) return Status::OK();
    }
  }

  // Columns are 0-based.
  int64_t Int64(int column) const { return impl_->Int64(column); }
  std::string Text(int column) const { return impl_->Text(column); }
  std::optional<std::string> OptionalText(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Text(column);
  }
  std::optional<int64_t> OptionalInt64(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int64(column);
  }
  double Double(int column) const { return impl_->Double(column); }
  std::string Blob(int column) const { return impl_->Blob(column); }
  bool IsNull(int column) const { return impl_->IsNull(column); }

 private:
  StatementImpl* impl_;  // null once moved from
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Runs one or more SQL statements without parameters (DDL, migrations).
  virtual Status Exec(std::string_view sql, std::string_view op) = 0;
  // A cached statement for `sql` (compiled on first use). `op` names the
  // calling operation in error messages. A statement already in use is
  // compiled again privately for a nested use.
  virtual StatusOr<Statement> Prepare(std::string_view sql, std::string_view op) = 0;
  // Rows the last INSERT, UPDATE or DELETE run on this connection changed.
  virtual int64_t Changes() = 0;
  // The id the last INSERT on this connection gave an auto-numbered key.
  virtual StatusOr<int64_t> LastInsertId(std::string_view op) = 0;

  // Opens a transaction. A write transaction excludes every other writer of
  // the database, in this process or another, until it ends (SQLite: BEGIN
  // IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so that what
  // it reads stays true until it commits. A read transaction sees one
  // consistent snapshot.
  virtual Status Begin(bool write, std::string_view op) = 0;
  // Ends the open transaction: COMMIT (commit) or ROLLBACK.
  virtual Status End(bool commit, std::string_view op) {
    return Exec(commit ? "COMMIT" : "ROLLBACK", op);
  }
};

// A transaction, rolled back on destruction unless committed.
class Transaction {
 public:
  static StatusOr<Transaction> Begin(Connection& connection, bool write, std::string_view op);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  // Commits; on failure rolls back and returns the error.
  Status Commit();

 private:
  Transaction(Connection* connection, std::string_view op) : connection_(connection), op_(op) {}
  Connection* connection_;  // null once committed, rolled back or moved from
  std::string op_;
};

}  // namespace stepd::store::internal
