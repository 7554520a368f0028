#pragma once
// The PostgreSQL engine under SqlStore (sql_connection.h), over libpq: a
// connection with an LRU cache of server-side prepared statements, the
// rewrite of SQLite-style parameters, reconnection, and the mapping of
// SQLSTATEs to Status. Nothing outside src/store sees this.
//
// Parameters. SQL is written with SQLite's `?NNN` (a number may repeat and
// come in any order) and bare `?` (one more than the largest number so far,
// as SQLite numbers it); both become `$NNN`. Text inside '...' and E'...'
// literals, "..." identifiers, -- and /* */ comments is left alone. So the
// jsonb operators `?`, `?|`, `?&` cannot be written: use jsonb_exists().
//
// Types. A parameter's type is declared from what is bound to it: int64 ->
// bigint, text -> text, blob -> bytea (sent binary), double -> float8, NULL
// (or nothing bound) -> unspecified, which the server infers from where the
// parameter first appears, or fails ("could not determine data type of
// parameter $1"): `?1 IS NULL OR k = ?1` bound to NULL fails, write
// `?1::bigint IS NULL OR k = ?1`. Each set of types is its own server
// statement. Assignment casts apply on INSERT/UPDATE (bigint into an integer
// column), but there is no implicit cast from text to jsonb, timestamp or
// boolean, nor from bigint to boolean: write `?1::jsonb`, `?1 <> 0`.
// Text goes in binary format (its bytes, with a length: a NUL is refused as
// INVALID_ARGUMENT instead of cutting the text), int64 and double as text.
// Syntax and type errors show at the first Step(), not at Prepare().
// Results are read as text: Int64() parses integers and numerics (truncated),
// and reads a boolean 't'/'f' as 1/0; Blob() decodes bytea's "\x.." form.
// Reading a column when no row is current gives 0, "" and IsNull() true.
//
// Plans. Each connection sets plan_cache_mode=force_custom_plan: a generic
// plan made while a table was small keeps scanning it whole as it grows.
//
// Caching. A connection keeps up to statement_cache_size statements prepared
// on the server ("s1", "s2", ...), keyed by the SQL and the types of its
// parameters, since the types are known only when the first Step() executes
// it; the least recently used is DEALLOCATEd. A Statement whose SQL is already
// in use (a nested use) runs unnamed, outside the cache.
//
// Transactions. Begin(write) is "BEGIN" then a transaction-scoped advisory
// lock (kWriteLockKey) that every writer of the database takes, so write
// transactions are serialised across processes as with SQLite's BEGIN
// IMMEDIATE; it waits up to PgConfig::lock_timeout_ms (the session's
// lock_timeout; the URL's options may set another), then fails with
// UNAVAILABLE. Begin(read) is
// a REPEATABLE READ READ ONLY snapshot. Unlike SQLite, a failed statement
// aborts the whole transaction on PostgreSQL: every later statement fails and
// COMMIT rolls back, which Exec("COMMIT") reports as an error.
//
// Reconnection. A statement that finds the connection broken (the server
// restarted) fails with UNAVAILABLE; the next one re-establishes it once
// (PQreset), forgets the prepared statements that died with the old session
// and goes on, or fails with UNAVAILABLE. Nothing is retried here. A
// transaction the connection broke inside is over: until the caller's COMMIT
// (UNAVAILABLE) or ROLLBACK (OK), every statement fails with UNAVAILABLE,
// rather than running outside any transaction.
//
// Errors. PgStatus maps SQLSTATEs: 23505 -> ALREADY_EXISTS; other class 23
// (constraints, and 23001 restrict_violation raised by the audit triggers) ->
// FAILED_PRECONDITION; 40001, 40P01, 55P03, 57014, 57P01-57P03, class 08,
// 53300 -> UNAVAILABLE; 53100, 53200, class 54 -> RESOURCE_EXHAUSTED; class 22
// -> INVALID_ARGUMENT; XX001, XX002 -> DATA_LOSS; others INTERNAL. A broken
// connection is UNAVAILABLE whatever the code. Messages never hold the
// password of the URL.
//
// Thread-safety: a connection (and every Statement from it) is used by one
// thread at a time; SqlStore's locks guarantee that.

#include <libpq-fe.h>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sql_connection.h"
#include "stepd/base/status.h"
#include "stepd/base/status_or.h"

namespace stepd::store::internal {

// The advisory lock of write transactions: "stepd" in ASCII.
inline constexpr int64_t kWriteLockKey = 0x7374657064;

// `sql` with `?NNN` and `?` rewritten to `$NNN` (see above), and the number
// of parameters (the largest number).
struct PgSql {
  std::string sql;
  int parameters = 0;
  std::vector<bool> used;  // used[n]: $n appears in sql (a NULL unnamed is sent as text)
};
PgSql RewriteParameters(std::string_view sql);

// `url` (a postgres:// URI or a key=value string) with the values of
// password and sslpassword, in the userinfo or as parameters, replaced by
// "***". A string it cannot parse comes back as "***" if it mentions a
// password.
std::string RedactPostgresUrl(std::string_view url);

// "<op>: <detail> (postgres SQLSTATE <code>)" with the code mapped as above;
// an empty code (no answer from the server) is UNAVAILABLE.
Status PgStatus(std::string_view sqlstate, std::string_view detail, std::string_view op);

struct PgConfig {
  std::string url;  // libpq URI or key=value string; application_name=stepd unless given
  int statement_cache_size = 64;
  int connect_timeout_ms = 10000;  // rounded up to seconds (libpq's unit), at least 2
  // How long a statement waits for a lock (the write lock above all) before
  // failing with UNAVAILABLE (55P03); the URL's own options override it.
  int lock_timeout_ms = 5000;
};

class PgConnection;
using PgResult = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// One use of a SQL text; cached by its connection (with its rewritten SQL),
// or private to one use (then it deletes itself on Release).
class PgStatement final : public StatementImpl {
 public:
  PgStatement(PgConnection* connection, PgSql sql, bool* in_use)
      : connection_(connection), sql_(std::move(sql)), in_use_(in_use) {}
  Statement Use(std::string_view op);

  void BindInt64(int index, int64_t value) override;
  void BindText(int index, std::string_view text) override;
  void BindBlob(int index, std::string_view bytes) override;
  void BindDouble(int index, double value) override;
  void BindNull(int index) override;
  StatusOr<bool> Step() override;
  int64_t Int64(int column) const override;
  std::string Text(int column) const override;
  double Double(int column) const override;
  std::string Blob(int column) const override;
  bool IsNull(int column) const override;
  void Release() override;

 private:
  struct Param {
    char type = 'n';  // i(nt8) t(ext) b(ytea) d(ouble) n(ull)
    std::string value;
  };
  void Set(int index, char type, std::string value);
  bool At(int column) const;  // a row is current and has this column
  Status Execute();

  PgConnection* connection_;
  PgSql sql_;
  bool* in_use_;  // the cache entry's flag; null when the statement is private
  std::string op_;
  std::vector<Param> params_;
  std::optional<int> bad_index_;  // the first out-of-range bind, reported by Step()
  bool executed_ = false;
  PgResult result_{nullptr, PQclear};
  int row_ = -1;
};

class PgConnection : public Connection {
 public:
  // Errors: INVALID_ARGUMENT for a malformed URL, UNAVAILABLE when the server
  // cannot be reached or refuses us.
  static StatusOr<std::unique_ptr<PgConnection>> Open(const PgConfig& config);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }
  // PQexec: one or more statements, no parameters.
  Status Exec(std::string_view sql, std::string_view op) override;
  StatusOr<Statement> Prepare(std::string_view sql, std::string_view op) override;
  int64_t Changes() override { return changes_; }
  // SELECT lastval().
  StatusOr<int64_t> LastInsertId(std::string_view op) override;
  Status Begin(bool write, std::string_view op) override;

  PGconn* conn() const { return conn_; }

 private:
  friend class PgStatement;
  PgConnection(PGconn* conn, int cache_size) : conn_(conn), cache_size_(cache_size) {}
  // Reconnects if needed; fails inside a transaction the connection lost
  // (`ends`: the statement is COMMIT or ROLLBACK, which ends that state).
  Status Ready(std::string_view op, bool ends);
  // The server-side statement for `sql` with these parameter types (one
  // letter per parameter, as PgStatement::Param), prepared if missing.
  StatusOr<std::string> Prepared(const std::string& sql, const std::string& types,
                                 const std::vector<Oid>& oids, std::string_view op);
  // Keeps a successful result (noting Changes()) or maps its error.
  StatusOr<PgResult> Take(PGresult* result, std::string_view op);
  Status ErrorOf(const PGresult* result, std::string_view op) const;

  PGconn* conn_;
  int cache_size_;
  int64_t changes_ = 0;
  bool in_transaction_ = false;   // Begin() succeeded, COMMIT/ROLLBACK not yet run
  bool transaction_lost_ = false;  // ... and the connection broke meanwhile

  struct Entry {  // client side: a SQL text's rewrite and statement object
    std::string sql;
    std::unique_ptr<PgStatement> statement;
    bool in_use = false;
  };
  std::list<Entry> statements_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_sql_;  // keys view statements_

  struct ServerStatement {  // server side: a prepared statement's key and name
    std::string key;        // types + '\0' + rewritten SQL
    std::string name;
  };
  std::list<ServerStatement> prepared_;  // most recently used first
  std::unordered_map<std::string_view, std::list<ServerStatement>::iterator> by_key_;
  int64_t next_name_ = 1;
};

}  // namespace stepd::store::internal
