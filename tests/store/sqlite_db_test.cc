// The private SQLite wrapper under SqliteStore: error mapping, the statement
// cache, transactions.

#include "../../src/store/sqlite_db.h"

#include <gtest/gtest.h>

#include "store/store_testing.h"

namespace stepd::store::internal {
namespace {

using testing::TempDir;

TEST(SqliteStatus, MapsResultCodesToStatusCodesNamingTheOperation) {
  EXPECT_EQ(SqliteStatus(SQLITE_BUSY, "locked", "Op").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(SQLITE_LOCKED, "locked", "Op").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(SQLITE_CONSTRAINT_UNIQUE, "dup", "Op").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(SqliteStatus(SQLITE_CONSTRAINT_PRIMARYKEY, "dup", "Op").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(SqliteStatus(SQLITE_CONSTRAINT_FOREIGNKEY, "fk", "Op").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteStatus(SQLITE_CONSTRAINT_CHECK, "check", "Op").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqliteStatus(SQLITE_CORRUPT, "bad", "Op").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_FULL, "full", "Op").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR_FSYNC, "io", "Op").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(SQLITE_ERROR, "syntax", "Op").code(), StatusCode::kInternal);
  EXPECT_EQ(SqliteStatus(SQLITE_BUSY, "database is locked", "CommitTransition"),
            UnavailableError("CommitTransition: database is locked (sqlite database is locked, "
                             "code 5)"));
}

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<SqliteConnection>> c =
        SqliteConnection::Open({(dir_.path() / "t.db").string(), true, 100, 2});
    ASSERT_EQ(c.status(), Status::OK());
    connection_ = std::move(c).value();
    ASSERT_EQ(connection_->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)", "Test"),
              Status::OK());
  }

  int64_t Count() {
    StatusOr<Statement> s = connection_->Prepare("SELECT count(*) FROM t", "Count");
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(s->Step().value());
    return s->Int64(0);
  }

  TempDir dir_;
  std::unique_ptr<SqliteConnection> connection_;
};

TEST_F(ConnectionTest, ConstraintViolationsComeBackAsStatus) {
  StatusOr<Statement> insert = connection_->Prepare("INSERT INTO t VALUES (?1, ?2)", "Insert");
  ASSERT_TRUE(insert.ok());
  ASSERT_EQ(insert->Bind(1, int64_t{1}).Bind(2, std::string_view("a")).Run(), Status::OK());
  StatusOr<Statement> again = connection_->Prepare("INSERT INTO t VALUES (?1, ?2)", "Insert");
  ASSERT_TRUE(again.ok());
  Status duplicate = again->Bind(1, int64_t{1}).Bind(2, std::string_view("b")).Run();
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists) << duplicate;
  EXPECT_EQ(duplicate.message().rfind("Insert: UNIQUE constraint failed: t.k", 0), 0u) << duplicate;
  StatusOr<Statement> null_value = connection_->Prepare("INSERT INTO t VALUES (?1, ?2)", "Insert");
  Status not_null = null_value->Bind(1, int64_t{2}).BindNull(2).Run();
  EXPECT_EQ(not_null.code(), StatusCode::kFailedPrecondition) << not_null;
}

TEST_F(ConnectionTest, ABindOutOfRangeIsReportedByStep) {
  StatusOr<Statement> s = connection_->Prepare("SELECT ?1", "Select");
  ASSERT_TRUE(s.ok());
  s->Bind(5, int64_t{1});
  EXPECT_EQ(s->Step().status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ConnectionTest, TheSameStatementCanBeUsedNestedAndPastTheCacheSize) {
  StatusOr<Statement> outer = connection_->Prepare("SELECT 1", "Outer");
  ASSERT_TRUE(outer.ok());
  ASSERT_TRUE(outer->Step().value());
  {
    // Same SQL while the cached one is in use: a private statement.
    StatusOr<Statement> inner = connection_->Prepare("SELECT 1", "Inner");
    ASSERT_TRUE(inner.ok());
    ASSERT_TRUE(inner->Step().value());
    EXPECT_EQ(inner->Int64(0), 1);
  }
  // More distinct statements than the cache holds (2), while one is in use.
  for (int i = 0; i < 5; ++i) {
    StatusOr<Statement> s = connection_->Prepare("SELECT " + std::to_string(i + 2), "Loop");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s->Step().value());
    EXPECT_EQ(s->Int64(0), i + 2);
  }
  EXPECT_EQ(outer->Int64(0), 1);
}

TEST_F(ConnectionTest, ATransactionRollsBackUnlessCommitted) {
  {
    StatusOr<Transaction> txn = Transaction::Begin(*connection_, true, "Test");
    ASSERT_TRUE(txn.ok());
    ASSERT_EQ(connection_->Exec("INSERT INTO t VALUES (1, 'a')", "Test"), Status::OK());
  }
  EXPECT_EQ(Count(), 0);
  {
    StatusOr<Transaction> txn = Transaction::Begin(*connection_, true, "Test");
    ASSERT_TRUE(txn.ok());
    ASSERT_EQ(connection_->Exec("INSERT INTO t VALUES (1, 'a')", "Test"), Status::OK());
    ASSERT_EQ(txn->Commit(), Status::OK());
  }
  EXPECT_EQ(Count(), 1);
}

TEST_F(ConnectionTest, ColumnsReadNullsAsUnsetAndBlobsByteForByte) {
  StatusOr<Statement> s = connection_->Prepare("SELECT NULL, ?1, ?2", "Select");
  ASSERT_TRUE(s.ok());
  s->BindBlob(1, std::string_view("a\0b", 3)).BindOptional(2, std::optional<int64_t>(7));
  ASSERT_TRUE(s->Step().value());
  EXPECT_EQ(s->OptionalText(0), std::nullopt);
  EXPECT_EQ(s->OptionalInt64(0), std::nullopt);
  EXPECT_EQ(s->Blob(1), std::string("a\0b", 3));
  EXPECT_EQ(s->OptionalInt64(2), 7);
}

}  // namespace
}  // namespace stepd::store::internal
