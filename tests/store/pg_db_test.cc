// The private PostgreSQL engine under SqlStore: the parameter rewrite, URL
// redaction, error mapping, the statement cache, transactions and
// reconnection, against a real server (postgres_testing.h).

#include "../../src/store/pg_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "store/postgres_testing.h"

namespace stepd::store::internal {
namespace {

using testing::PostgresServer;
using testing::SharedPostgres;
using namespace std::chrono_literals;

// --- Without a server --------------------------------------------------------

TEST(PgRewrite, NumbersParametersAsSqliteDoesOutsideLiteralsAndComments) {
  struct Case {
    std::string_view in, out;
    int parameters;
  };
  for (const Case& c : std::vector<Case>{
           {"SELECT 1", "SELECT 1", 0},
           {"SELECT ?1, ?2", "SELECT $1, $2", 2},
           {"?2 + ?1 + ?2", "$2 + $1 + $2", 2},
           {"?, ?, ?5, ?", "$1, $2, $5, $6", 6},
           {"x = ?10", "x = $10", 10},
           {"SELECT '?1', 'it''s ?', \"a?b\", ?1 -- ?2 it's\n, ?3 /* ?4 ' */ + ?",
            "SELECT '?1', 'it''s ?', \"a?b\", $1 -- ?2 it's\n, $3 /* ?4 ' */ + $4", 4},
           {"SELECT E'\\'?1', ?1", "SELECT E'\\'?1', $1", 1},
           {"SELECT '\\', ?1", "SELECT '\\', $1", 1},  // no backslash escapes in '...'
           {"SELECT ?1 -- ?2", "SELECT $1 -- ?2", 1},
           {"SELECT 'unterminated ?1", "SELECT 'unterminated ?1", 0},
       }) {
    PgSql rewritten = RewriteParameters(c.in);
    EXPECT_EQ(rewritten.sql, c.out) << c.in;
    EXPECT_EQ(rewritten.parameters, c.parameters) << c.in;
  }
}

TEST(PgRedact, NeverLeavesThePassword) {
  struct Case {
    std::string_view in, out;
  };
  for (const Case& c : std::vector<Case>{
           {"postgres://stepd:s3cret@db.example:5432/stepd?sslmode=require",
            "postgres://stepd:***@db.example:5432/stepd?sslmode=require"},
           {"postgresql://u:s3c%40ret@h/db", "postgresql://u:***@h/db"},
           {"postgres://u:s3c@ret@h/db", "postgres://u:***@h/db"},
           {"postgres://u:s3c?ret@h", "postgres://u:***@h"},
           {"postgres://u@h/db?password=s3cret&sslmode=disable",
            "postgres://u@h/db?password=***&sslmode=disable"},
           {"postgres://u@h/db?sslmode=disable&%70assword=s3cret",
            "postgres://u@h/db?sslmode=disable&%70assword=***"},
           {"postgres://h/db?sslpassword=s3cret", "postgres://h/db?sslpassword=***"},
           {"postgres://u@h/db", "postgres://u@h/db"},
           {"postgres://h", "postgres://h"},
           {"host=h user=u password=s3cret dbname=d", "host=h user=u password=*** dbname=d"},
           {"host=h password = 's3 c\\'ret' dbname=d", "host=h password = *** dbname=d"},
           {"password=s3cret", "password=***"},
           {"mydb", "mydb"},
           {"host=h password='s3cret", "***"},  // unterminated: unparsable
           {"host=h password", "***"},
       }) {
    std::string redacted = RedactPostgresUrl(c.in);
    EXPECT_EQ(redacted, c.out) << c.in;
    EXPECT_EQ(redacted.find("s3"), std::string::npos) << c.in;
  }
}

TEST(PgStatus, MapsSqlstatesToStatusCodesNamingTheOperation) {
  struct Case {
    std::string_view code;
    StatusCode expected;
  };
  for (const Case& c : std::vector<Case>{
           {"23505", StatusCode::kAlreadyExists},
           {"23001", StatusCode::kFailedPrecondition},
           {"23502", StatusCode::kFailedPrecondition},
           {"23503", StatusCode::kFailedPrecondition},
           {"23514", StatusCode::kFailedPrecondition},
           {"40001", StatusCode::kUnavailable},
           {"40P01", StatusCode::kUnavailable},
           {"55P03", StatusCode::kUnavailable},
           {"57014", StatusCode::kUnavailable},
           {"57P01", StatusCode::kUnavailable},
           {"57P02", StatusCode::kUnavailable},
           {"57P03", StatusCode::kUnavailable},
           {"08006", StatusCode::kUnavailable},
           {"08001", StatusCode::kUnavailable},
           {"53300", StatusCode::kUnavailable},
           {"", StatusCode::kUnavailable},
           {"53100", StatusCode::kResourceExhausted},
           {"53200", StatusCode::kResourceExhausted},
           {"54000", StatusCode::kResourceExhausted},
           {"22012", StatusCode::kInvalidArgument},
           {"22P02", StatusCode::kInvalidArgument},
           {"XX001", StatusCode::kDataLoss},
           {"XX002", StatusCode::kDataLoss},
           {"XX000", StatusCode::kInternal},
           {"42601", StatusCode::kInternal},
           {"25P02", StatusCode::kInternal},
       }) {
    EXPECT_EQ(PgStatus(c.code, "detail", "Op").code(), c.expected) << c.code;
  }
  EXPECT_EQ(PgStatus("23505", "duplicate key value violates unique constraint \"t_pkey\"",
                     "CreateExecution"),
            AlreadyExistsError("CreateExecution: duplicate key value violates unique constraint "
                               "\"t_pkey\" (postgres SQLSTATE 23505)"));
}

TEST(PgConnectionOpen, ErrorsNeverHoldThePassword) {
  // Nothing listens on port 1; a malformed string; an unparsable one.
  for (const std::string& url :
       {std::string("postgres://stepd:s3cr3tpw@127.0.0.1:1/x?connect_timeout=2"),
        std::string("postgres://stepd:s3cr3tpw@127.0.0.1:notaport/x"),
        std::string("host=127.0.0.1 port=1 password=s3cr3tpw connect_timeout=2"),
        std::string("host=127.0.0.1 password='s3cr3tpw"),
        std::string("postgres://stepd@127.0.0.1:1/x?password=s3cr3tpw&bogus=1")}) {
    StatusOr<std::unique_ptr<PgConnection>> c = PgConnection::Open({url});
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_TRUE(c.status().code() == StatusCode::kUnavailable ||
                c.status().code() == StatusCode::kInvalidArgument)
        << c.status();
    EXPECT_EQ(c.status().message().find("s3cr3tpw"), std::string::npos) << c.status();
    EXPECT_EQ(c.status().message().rfind("OpenPostgresStore: ", 0), 0u) << c.status();
  }
}

// --- Against the shared server -------------------------------------------------

// The server's prepared statements of `c`, by name, as "name: statement"; read
// with the simple protocol so as not to touch the cache.
std::vector<std::string> ServerStatements(PgConnection& c) {
  PGresult* r = PQexec(c.conn(), "SELECT name || ': ' || statement FROM pg_prepared_statements "
                                 "ORDER BY length(name), name");
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
  PQclear(r);
  return out;
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STEPD_SKIP_WITHOUT_POSTGRES();
    PostgresServer* server = SharedPostgres();
    ASSERT_NE(server, nullptr);
    url_ = server->CreateDatabase();
    ASSERT_FALSE(url_.empty());
    connection_ = Connect();
    ASSERT_NE(connection_, nullptr);
  }

  std::unique_ptr<PgConnection> Connect(int cache_size = 64) {
    StatusOr<std::unique_ptr<PgConnection>> c = PgConnection::Open({url_, cache_size});
    EXPECT_EQ(c.status(), Status::OK());
    return c.ok() ? std::move(c).value() : nullptr;
  }

  void Exec(std::string_view sql) { ASSERT_EQ(connection_->Exec(sql, "Test"), Status::OK()) << sql; }

  // The first column of the first row, through a prepared statement.
  int64_t Int(std::string_view sql, PgConnection* c = nullptr) {
    StatusOr<Statement> s = (c ? c : connection_.get())->Prepare(sql, "Int");
    EXPECT_TRUE(s.ok());
    StatusOr<bool> row = s->Step();
    EXPECT_EQ(row.status(), Status::OK()) << sql;
    EXPECT_TRUE(row.ok() && *row) << sql;
    return s->Int64(0);
  }

  std::string url_;
  std::unique_ptr<PgConnection> connection_;
};

TEST_F(PgTest, IsThePostgresDialect) {
  EXPECT_EQ(connection_->dialect(), Dialect::kPostgres);
  PGresult* r = PQexec(connection_->conn(), "SHOW application_name");
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "stepd");
  PQclear(r);
}

TEST_F(PgTest, RoundTripsEveryType) {
  Exec("CREATE TABLE t (k bigint PRIMARY KEY, s text, b bytea, d float8, n bigint)");
  const std::string bytes("\0\x01\xff\0z\\x", 7);
  const std::string text = "héllo 'wörld' \\ ?1 $1";
  struct Row {
    int64_t k;
    double d;
  };
  for (Row row : {Row{std::numeric_limits<int64_t>::min(), 0.1},
                  Row{std::numeric_limits<int64_t>::max(), -1e300}, Row{0, 2.5e-308}}) {
    StatusOr<Statement> insert =
        connection_->Prepare("INSERT INTO t (k, s, b, d, n) VALUES (?1, ?2, ?3, ?4, ?5)", "Insert");
    ASSERT_TRUE(insert.ok());
    ASSERT_EQ(insert->Bind(1, row.k)
                  .Bind(2, std::string_view(text))
                  .BindBlob(3, bytes)
                  .BindDouble(4, row.d)
                  .BindNull(5)
                  .Run(),
              Status::OK());
    StatusOr<Statement> select = connection_->Prepare("SELECT k, s, b, d, n FROM t WHERE k = ?1", "Get");
    ASSERT_TRUE(select.ok());
    select->Bind(1, row.k);
    ASSERT_TRUE(select->Step().value());
    EXPECT_EQ(select->Int64(0), row.k);
    EXPECT_EQ(select->Text(1), text);
    EXPECT_EQ(select->Blob(2), bytes);
    EXPECT_EQ(select->Double(3), row.d);
    EXPECT_FALSE(select->IsNull(3));
    EXPECT_TRUE(select->IsNull(4));
    EXPECT_EQ(select->OptionalInt64(4), std::nullopt);
    EXPECT_EQ(select->OptionalText(1), text);
    EXPECT_FALSE(select->Step().value());
  }
  // Parameters read back directly, and an empty blob and text.
  StatusOr<Statement> echo = connection_->Prepare("SELECT ?1, ?2, ?3, ?4, ?5", "Echo");
  echo->Bind(1, int64_t{-42}).Bind(2, std::string_view("")).BindBlob(3, "").BindDouble(4, -0.5);
  ASSERT_TRUE(echo->Step().value());
  EXPECT_EQ(echo->Int64(0), -42);
  EXPECT_EQ(echo->Text(1), "");
  EXPECT_FALSE(echo->IsNull(1));
  EXPECT_EQ(echo->Blob(2), "");
  EXPECT_FALSE(echo->IsNull(2));
  EXPECT_EQ(echo->Double(3), -0.5);
  EXPECT_TRUE(echo->IsNull(4));  // never bound: NULL, as SQLite
}

TEST_F(PgTest, ReadsBooleansAsOneOrZeroAndAggregatesAsIntegers) {
  Exec("CREATE TABLE t (i integer, b bigint, flag boolean)");
  Exec("INSERT INTO t VALUES (1, 10, true), (2, 20, false), (3, 9000000000, NULL)");
  StatusOr<Statement> s = connection_->Prepare(
      "SELECT true, false, 1 = 1, NULL::boolean, EXISTS (SELECT 1 FROM t), "
      "count(*), max(i), sum(b), sum(i), avg(i), bool_or(flag) FROM t",
      "Aggregates");
  ASSERT_TRUE(s->Step().value());
  EXPECT_EQ(s->Int64(0), 1);
  EXPECT_EQ(s->Int64(1), 0);
  EXPECT_EQ(s->Int64(2), 1);
  EXPECT_EQ(s->Int64(3), 0);
  EXPECT_TRUE(s->IsNull(3));
  EXPECT_EQ(s->Int64(4), 1);
  EXPECT_EQ(s->Int64(5), 3);            // bigint
  EXPECT_EQ(s->Int64(6), 3);            // integer
  EXPECT_EQ(s->Int64(7), 9000000030);   // numeric
  EXPECT_EQ(s->Int64(8), 6);            // bigint
  EXPECT_EQ(s->Int64(9), 2);            // numeric 2.0000000000000000: truncated
  EXPECT_EQ(s->Double(9), 2.0);
  EXPECT_EQ(s->Int64(10), 1);
  EXPECT_EQ(s->Text(0), "t");  // Text() shows PostgreSQL's form
}

TEST_F(PgTest, ReadingWithoutACurrentRowGivesZeroAndEmpty) {
  StatusOr<Statement> s = connection_->Prepare("SELECT 7, 'x'", "Select");
  EXPECT_EQ(s->Int64(0), 0);  // not executed yet
  EXPECT_TRUE(s->IsNull(0));
  ASSERT_TRUE(s->Step().value());
  EXPECT_EQ(s->Int64(0), 7);
  EXPECT_EQ(s->Int64(5), 0);  // no such column
  EXPECT_EQ(s->Text(5), "");
  EXPECT_FALSE(s->Step().value());
  EXPECT_EQ(s->Int64(0), 0);  // past the last row
  EXPECT_EQ(s->Text(1), "");
  EXPECT_EQ(s->Blob(1), "");
  EXPECT_EQ(s->Double(0), 0);
  EXPECT_FALSE(s->Step().value());
}

TEST_F(PgTest, ParameterTypesComeFromTheBinds) {
  Exec("CREATE TABLE t (k integer PRIMARY KEY, v text, doc jsonb, flag boolean)");
  // bigint into an integer column: an assignment cast.
  StatusOr<Statement> insert =
      connection_->Prepare("INSERT INTO t (k, v, doc, flag) VALUES (?1, ?2, ?3::jsonb, ?4 <> 0)", "Insert");
  ASSERT_EQ(insert->Bind(1, int64_t{1})
                .Bind(2, std::string_view("a"))
                .Bind(3, std::string_view("{\"x\": 1}"))
                .Bind(4, int64_t{1})
                .Run(),
            Status::OK());
  // Out of the integer range: data exception.
  StatusOr<Statement> big = connection_->Prepare("INSERT INTO t (k) VALUES (?1)", "Insert");
  EXPECT_EQ(big->Bind(1, int64_t{1} << 40).Run().code(), StatusCode::kInvalidArgument);
  // No implicit cast from text to jsonb.
  StatusOr<Statement> json = connection_->Prepare("UPDATE t SET doc = ?1", "Update");
  Status no_cast = json->Bind(1, std::string_view("{}")).Run();
  EXPECT_EQ(no_cast.code(), StatusCode::kInternal) << no_cast;
  EXPECT_NE(no_cast.message().find("SQLSTATE 42804"), std::string::npos) << no_cast;
  // A NULL has no type of its own: where the first use of the parameter does
  // not give it one, the server cannot type it, even if a later use could.
  StatusOr<Statement> filter =
      connection_->Prepare("SELECT count(*) FROM t WHERE (?1 IS NULL OR k = ?1)", "Filter");
  Status untyped = filter->BindNull(1).Step().status();
  EXPECT_EQ(untyped.code(), StatusCode::kInternal) << untyped;
  EXPECT_NE(untyped.message().find("could not determine data type of parameter $1"),
            std::string::npos)
      << untyped;
  StatusOr<Statement> lone = connection_->Prepare("SELECT ?1 IS NULL", "Lone");
  EXPECT_EQ(lone->BindNull(1).Step().status().code(), StatusCode::kInternal);
  // A cast types it.
  StatusOr<Statement> cast = connection_->Prepare(
      "SELECT count(*) FROM t WHERE (?1::bigint IS NULL OR k = ?1)", "Filter");
  StatusOr<bool> row = cast->BindNull(1).Step();
  ASSERT_TRUE(row.ok() && *row) << row.status();
  EXPECT_EQ(cast->Int64(0), 1);
  // A NULL typed by its context.
  StatusOr<Statement> context = connection_->Prepare("UPDATE t SET v = ?1 WHERE k = ?2", "Update");
  ASSERT_EQ(context->BindNull(1).Bind(2, int64_t{1}).Run(), Status::OK());
  // The same SQL with other types is another server statement.
  StatusOr<Statement> typed = connection_->Prepare("SELECT ?1 IS NULL", "Lone");
  row = typed->Bind(1, int64_t{5}).Step();
  ASSERT_TRUE(row.ok() && *row) << row.status();
  EXPECT_EQ(typed->Int64(0), 0);
  // Text with a NUL is refused, not cut.
  StatusOr<Statement> nul = connection_->Prepare("SELECT ?1", "Nul");
  Status refused = nul->Bind(1, std::string_view("a\0b", 3)).Step().status();
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << refused;
}

TEST_F(PgTest, ErrorsMapToStatusNamingTheOperation) {
  Exec("CREATE TABLE t (k bigint PRIMARY KEY, v text NOT NULL CHECK (v <> 'bad'))");
  Exec("CREATE TABLE audit (id bigint)");
  Exec(R"(CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'restrict_violation'; END $$;
          CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            FOR EACH ROW EXECUTE FUNCTION audit_append_only())");
  Exec("INSERT INTO audit VALUES (1)");

  auto insert = [&](int64_t k, std::optional<std::string> v) {
    StatusOr<Statement> s = connection_->Prepare("INSERT INTO t VALUES (?1, ?2)", "Insert");
    return s->Bind(1, k).BindOptional(2, v).Run();
  };
  ASSERT_EQ(insert(1, "a"), Status::OK());
  Status duplicate = insert(1, "b");
  EXPECT_EQ(duplicate,
            AlreadyExistsError("Insert: duplicate key value violates unique constraint \"t_pkey\" "
                               "(postgres SQLSTATE 23505)"));
  EXPECT_EQ(insert(2, std::nullopt).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(insert(3, "bad").code(), StatusCode::kFailedPrecondition);

  Status restricted = connection_->Exec("DELETE FROM audit", "DeleteAudit");
  EXPECT_EQ(restricted, FailedPreconditionError("DeleteAudit: audit entries are append-only "
                                                "(postgres SQLSTATE 23001)"));
  StatusOr<Statement> del = connection_->Prepare("DELETE FROM audit WHERE id = ?1", "DeleteAudit");
  EXPECT_EQ(del->Bind(1, int64_t{1}).Run().code(), StatusCode::kFailedPrecondition);

  StatusOr<Statement> divide = connection_->Prepare("SELECT 1 / ?1", "Divide");
  EXPECT_EQ(divide->Bind(1, int64_t{0}).Step().status().code(), StatusCode::kInvalidArgument);
  // SQL errors show at the first Step(): statements are prepared lazily.
  StatusOr<Statement> syntax = connection_->Prepare("SELEKT 1", "Syntax");
  ASSERT_TRUE(syntax.ok());
  Status bad_sql = syntax->Step().status();
  EXPECT_EQ(bad_sql.code(), StatusCode::kInternal);
  EXPECT_EQ(bad_sql.message().rfind("Syntax: syntax error at or near \"SELEKT\"", 0), 0u) << bad_sql;
  EXPECT_EQ(connection_->Exec("SELEKT 1", "Exec").code(), StatusCode::kInternal);

  StatusOr<Statement> range = connection_->Prepare("SELECT ?1", "Range");
  range->Bind(2, int64_t{1});
  EXPECT_EQ(range->Step().status().code(), StatusCode::kInvalidArgument);
  // The failed uses left the cached statements reusable.
  EXPECT_EQ(insert(4, "d"), Status::OK());
}

TEST_F(PgTest, ChangesCountsTheLastInsertUpdateOrDelete) {
  Exec("CREATE TABLE t (k bigint PRIMARY KEY, v text)");
  StatusOr<Statement> insert = connection_->Prepare(
      "INSERT INTO t SELECT g, 'x' FROM generate_series(1, ?1) g", "Insert");
  ASSERT_EQ(insert->Bind(1, int64_t{3}).Run(), Status::OK());
  EXPECT_EQ(connection_->Changes(), 3);
  StatusOr<Statement> update = connection_->Prepare("UPDATE t SET v = ?1 WHERE k >= ?2", "Update");
  ASSERT_EQ(update->Bind(1, std::string_view("y")).Bind(2, int64_t{2}).Run(), Status::OK());
  EXPECT_EQ(connection_->Changes(), 2);
  EXPECT_EQ(Int("SELECT count(*) FROM t"), 3);
  EXPECT_EQ(connection_->Changes(), 2);  // a SELECT changes nothing
  StatusOr<Statement> none = connection_->Prepare("UPDATE t SET v = 'z' WHERE k > 100", "Update");
  ASSERT_EQ(none->Run(), Status::OK());
  EXPECT_EQ(connection_->Changes(), 0);
  Exec("DELETE FROM t WHERE k = 1");
  EXPECT_EQ(connection_->Changes(), 1);
  StatusOr<Statement> returning =
      connection_->Prepare("DELETE FROM t RETURNING k", "DeleteReturning");
  ASSERT_EQ(returning->Run(), Status::OK());
  EXPECT_EQ(connection_->Changes(), 2);
}

TEST_F(PgTest, LastInsertIdIsTheIdentityJustGiven) {
  Exec("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)");
  StatusOr<int64_t> none = connection_->LastInsertId("Last");
  EXPECT_EQ(none.status().code(), StatusCode::kInternal);  // no sequence used yet (55000)
  for (int64_t expected : {1, 2, 3}) {
    StatusOr<Statement> insert = connection_->Prepare("INSERT INTO t (v) VALUES (?1)", "Insert");
    ASSERT_EQ(insert->Bind(1, std::string_view("x")).Run(), Status::OK());
    EXPECT_EQ(connection_->LastInsertId("Last").value(), expected);
  }
}

TEST_F(PgTest, CachesServerStatementsBySqlAndTypesEvictingTheLeastRecentlyUsed) {
  std::unique_ptr<PgConnection> c = Connect(/*cache_size=*/2);
  ASSERT_NE(c, nullptr);
  auto run = [&](std::string_view sql, bool as_text) {
    StatusOr<Statement> s = c->Prepare(sql, "Run");
    if (as_text) s->Bind(1, std::string_view("5"));
    else s->Bind(1, int64_t{5});
    StatusOr<bool> row = s->Step();
    EXPECT_TRUE(row.ok() && *row) << row.status();
    return s->Int64(0);
  };
  EXPECT_EQ(run("SELECT ?1::bigint + 1", false), 6);
  EXPECT_EQ(run("SELECT ?1::bigint + 1", false), 6);
  EXPECT_EQ(ServerStatements(*c), std::vector<std::string>{"s1: SELECT $1::bigint + 1"});
  EXPECT_EQ(run("SELECT ?1::bigint + 1", true), 6);  // other types: another statement
  EXPECT_EQ(ServerStatements(*c), (std::vector<std::string>{"s1: SELECT $1::bigint + 1",
                                                            "s2: SELECT $1::bigint + 1"}));
  EXPECT_EQ(run("SELECT ?1::bigint + 2", false), 7);  // evicts s1
  EXPECT_EQ(ServerStatements(*c), (std::vector<std::string>{"s2: SELECT $1::bigint + 1",
                                                            "s3: SELECT $1::bigint + 2"}));
  EXPECT_EQ(run("SELECT ?1::bigint + 1", true), 6);   // s2 again: now the most recent
  EXPECT_EQ(run("SELECT ?1::bigint + 1", false), 6);  // s4, evicting s3
  EXPECT_EQ(ServerStatements(*c), (std::vector<std::string>{"s2: SELECT $1::bigint + 1",
                                                            "s4: SELECT $1::bigint + 1"}));
}

TEST_F(PgTest, TheSameSqlCanBeUsedNested) {
  const std::string_view sql = "SELECT g FROM generate_series(1, ?1) g";
  StatusOr<Statement> outer = connection_->Prepare(sql, "Outer");
  outer->Bind(1, int64_t{3});
  int64_t sum = 0;
  while (outer->Step().value()) {
    StatusOr<Statement> inner = connection_->Prepare(sql, "Inner");
    inner->Bind(1, outer->Int64(0));
    while (inner->Step().value()) sum += outer->Int64(0) * 10 + inner->Int64(0);
  }
  EXPECT_EQ(sum, 11 + 21 + 22 + 31 + 32 + 33);
  EXPECT_EQ(ServerStatements(*connection_).size(), 1u);  // nested uses run unnamed
  // Released, the cached statement serves the next use.
  StatusOr<Statement> again = connection_->Prepare(sql, "Again");
  again->Bind(1, int64_t{1});
  EXPECT_TRUE(again->Step().value());
  EXPECT_EQ(ServerStatements(*connection_).size(), 1u);
}

TEST_F(PgTest, AWriteTransactionExcludesOtherWritersUntilItEnds) {
  Exec("CREATE TABLE t (k bigint)");
  std::unique_ptr<PgConnection> other = Connect();
  ASSERT_NE(other, nullptr);
  // Bounded: a second writer that never got the lock fails (55P03) in 20 s.
  ASSERT_EQ(other->Exec("SET lock_timeout = '20s'", "Test"), Status::OK());

  StatusOr<Transaction> first = Transaction::Begin(*connection_, true, "First");
  ASSERT_EQ(first.status(), Status::OK());
  std::atomic<bool> began{false};
  Status second_status;
  int64_t seen = -1;
  std::thread second([&] {
    StatusOr<Transaction> t = Transaction::Begin(*other, true, "Second");
    began = true;
    second_status = t.status();
    if (!t.ok()) return;
    seen = Int("SELECT count(*) FROM t", other.get());
    second_status = t->Commit();
  });
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(began);
  // A reader is not excluded.
  std::unique_ptr<PgConnection> reader = Connect();
  EXPECT_EQ(reader->Begin(false, "Read"), Status::OK());
  EXPECT_EQ(reader->Exec("ROLLBACK", "Read"), Status::OK());

  EXPECT_EQ(connection_->Exec("INSERT INTO t VALUES (1)", "Insert"), Status::OK());
  EXPECT_EQ(first->Commit(), Status::OK());
  second.join();
  EXPECT_TRUE(began);
  EXPECT_EQ(second_status, Status::OK());
  EXPECT_EQ(seen, 1);  // it began after the first committed
}

TEST_F(PgTest, AReadTransactionIsOneSnapshotAndReadOnly) {
  Exec("CREATE TABLE t (k bigint)");
  std::unique_ptr<PgConnection> writer = Connect();
  ASSERT_EQ(connection_->Begin(false, "Read"), Status::OK());
  EXPECT_EQ(Int("SELECT count(*) FROM t"), 0);
  ASSERT_EQ(writer->Exec("INSERT INTO t VALUES (1)", "Write"), Status::OK());
  EXPECT_EQ(Int("SELECT count(*) FROM t"), 0);
  EXPECT_EQ(connection_->Exec("INSERT INTO t VALUES (2)", "WriteInRead").code(),
            StatusCode::kInternal);  // 25006 read_only_sql_transaction
  ASSERT_EQ(connection_->Exec("ROLLBACK", "Read"), Status::OK());
  EXPECT_EQ(Int("SELECT count(*) FROM t"), 1);
}

TEST_F(PgTest, AFailedStatementAbortsTheTransactionAndCommitSaysSo) {
  Exec("CREATE TABLE t (k bigint PRIMARY KEY)");
  Exec("INSERT INTO t VALUES (1)");
  StatusOr<Transaction> t = Transaction::Begin(*connection_, true, "Tx");
  ASSERT_TRUE(t.ok());
  StatusOr<Statement> insert = connection_->Prepare("INSERT INTO t VALUES (?1)", "Insert");
  ASSERT_EQ(insert->Bind(1, int64_t{2}).Run(), Status::OK());
  StatusOr<Statement> duplicate = connection_->Prepare("INSERT INTO t VALUES (?1)", "Insert");
  ASSERT_EQ(duplicate->Bind(1, int64_t{1}).Run().code(), StatusCode::kAlreadyExists);
  StatusOr<Statement> after = connection_->Prepare("SELECT count(*) FROM t", "After");
  EXPECT_EQ(after->Step().status().code(), StatusCode::kInternal);  // 25P02
  Status commit = t->Commit();
  EXPECT_EQ(commit.code(), StatusCode::kInternal) << commit;
  EXPECT_EQ(Int("SELECT count(*) FROM t"), 1);  // the insert of 2 was rolled back
}

// --- A private server, restarted ----------------------------------------------

TEST(PgReconnect, AfterARestartTheNextCallsReconnectAndReprepare) {
  STEPD_SKIP_WITHOUT_POSTGRES();
  StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Create();
  if (!server.ok() && std::getenv("STEPD_TEST_POSTGRES_URL") != nullptr) {
    GTEST_SKIP() << "needs a private server to restart: " << server.status();
  }
  ASSERT_EQ(server.status(), Status::OK());
  const std::string url = (*server)->CreateDatabase();
  StatusOr<std::unique_ptr<PgConnection>> opened = PgConnection::Open({url});
  ASSERT_EQ(opened.status(), Status::OK());
  PgConnection& c = **opened;
  ASSERT_EQ(c.Exec("CREATE TABLE t (k bigint)", "Create"), Status::OK());
  auto insert = [&](int64_t k) {
    StatusOr<Statement> s = c.Prepare("INSERT INTO t VALUES (?1)", "Insert");
    return s->Bind(1, k).Run();
  };
  ASSERT_EQ(insert(1), Status::OK());

  // Down: calls fail with UNAVAILABLE.
  ASSERT_EQ((*server)->Stop(), Status::OK());
  Status down = insert(2);
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down;
  Status still_down = insert(2);
  EXPECT_EQ(still_down.code(), StatusCode::kUnavailable) << still_down;
  EXPECT_NE(still_down.message().find("Insert: the PostgreSQL connection is lost"),
            std::string::npos)
      << still_down;

  // Up again: the statement is prepared anew on the new session.
  ASSERT_EQ((*server)->Start(), Status::OK());
  Status up = insert(3);
  if (!up.ok()) {
    EXPECT_EQ(up.code(), StatusCode::kUnavailable) << up;
    up = insert(3);
  }
  EXPECT_EQ(up, Status::OK());
  EXPECT_EQ(ServerStatements(c), std::vector<std::string>{"s2: INSERT INTO t VALUES ($1)"});

  // A restart while the connection is idle: the first call may fail.
  ASSERT_EQ((*server)->Stop(), Status::OK());
  ASSERT_EQ((*server)->Start(), Status::OK());
  Status first = insert(4);
  EXPECT_TRUE(first.ok() || first.code() == StatusCode::kUnavailable) << first;
  EXPECT_EQ(insert(5), Status::OK());

  // Inside a transaction: the transaction is over, and nothing runs outside it
  // until the caller ends it.
  {
    StatusOr<Transaction> t = Transaction::Begin(c, true, "Tx");
    ASSERT_EQ(t.status(), Status::OK());
    ASSERT_EQ(insert(6), Status::OK());
    ASSERT_EQ((*server)->Stop(), Status::OK());
    ASSERT_EQ((*server)->Start(), Status::OK());
    EXPECT_EQ(insert(7).code(), StatusCode::kUnavailable);
    Status lost = insert(7);
    EXPECT_EQ(lost.code(), StatusCode::kUnavailable) << lost;
    EXPECT_NE(lost.message().find("lost inside the transaction"), std::string::npos) << lost;
    EXPECT_EQ(t->Commit().code(), StatusCode::kUnavailable);
  }
  EXPECT_EQ(insert(8), Status::OK());
  StatusOr<Statement> keys = c.Prepare("SELECT string_agg(k::text, ',' ORDER BY k) FROM t", "Keys");
  ASSERT_TRUE(keys->Step().value());
  const std::string k = keys->Text(0);
  EXPECT_TRUE(k == "1,3,5,8" || k == "1,3,4,5,8") << k;
}

}  // namespace
}  // namespace stepd::store::internal
