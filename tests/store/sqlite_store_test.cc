// What only SqliteStore promises: the file on disk, its pragmas, migrations
// recorded in schema_migrations, refusal of foreign schemas, tamper
// detection, readers during a write held by another connection.

#include "stepd/store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <thread>
#include <vector>

#include "stepd/store/audit_chain.h"
#include "stepd/store/migrations.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

ExecutionFilter Filter(std::string machine_arn,
                       std::optional<ExecutionStatus> status = std::nullopt) {
  ExecutionFilter filter;
  filter.state_machine_arn = std::move(machine_arn);
  filter.status = status;
  return filter;
}

using testing::Audit;
using testing::Event;
using testing::Execution;
using testing::ExecutionArn;
using testing::Machine;
using testing::MachineArn;
using testing::OptionsIn;
using testing::TempDir;

// A raw connection to the store's file, as an operator (or an attacker)
// with the sqlite3 shell would have.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 2000);
  }
  ~RawDb() { sqlite3_close(db_); }
  // sqlite3_exec's result code; the error message lands in last_error().
  int Exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    last_error_ = error ? error : "";
    sqlite3_free(error);
    return rc;
  }
  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  const std::string& last_error() const { return last_error_; }

 private:
  sqlite3* db_ = nullptr;
  std::string last_error_;
};

std::unique_ptr<Store> OpenOrDie(const StoreOptions& options) {
  StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  EXPECT_EQ(store.status(), Status::OK());
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(SqliteStore, CreatesParentDirectoryAndUsesWalWithForeignKeys) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.path = (dir.path() / "a" / "b" / "stepd.db").string();
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(options.path));
  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("PRAGMA journal_mode"), "wal");
  // Foreign keys are enforced on the store's own connections: an execution
  // of a machine that does not exist cannot be inserted even bypassing the
  // existence check, because CreateExecution looks the machine up first; the
  // cascade on delete is what proves the pragma is on.
  ASSERT_EQ(store->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store->CreateExecution(Execution("m", "e"), {}), Status::OK());
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  t.events = {Event(1)};
  t.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(store->CommitTransition(t).ok());
  ASSERT_TRUE(store->PublishStateMachineVersion(MachineArn("m"), "", "", 1, {}).ok());
  StateMachineAliasRecord alias{MachineArn("m"), "prod", "", {{1, 100}}, 1, 1};
  ASSERT_EQ(store->CreateStateMachineAlias(alias, {}), Status::OK());
  Transition run_step;
  run_step.execution_arn = ExecutionArn("m", "e");
  run_step.events = {Event(2)};
  run_step.map_runs.resize(1);
  run_step.map_runs[0].arn = "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1";
  run_step.map_runs[0].execution_arn = run_step.execution_arn;
  ASSERT_TRUE(store->CommitTransition(run_step).ok());
  ASSERT_EQ(store->DeleteStateMachine(MachineArn("m"), {}), Status::OK());
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM history_chunks"), "0");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM executions"), "0");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM state_machine_revisions"), "0");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM state_machine_versions"), "0");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM state_machine_aliases"), "0");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM map_runs"), "0");
}

TEST(SqliteStore, RecordsEachAppliedMigrationWithItsChecksum) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM schema_migrations"),
            std::to_string(LatestSchemaVersion()));
  const Migration& first = EmbeddedMigrations()[0];
  EXPECT_EQ(raw.QueryText("SELECT name FROM schema_migrations WHERE version = 1"), first.name);
  EXPECT_EQ(raw.QueryText("SELECT checksum FROM schema_migrations WHERE version = 1"),
            MigrationChecksum(first));
  EXPECT_NE(raw.QueryText("SELECT applied_at FROM schema_migrations WHERE version = 1"), "0");
}

TEST(SqliteStore, ReopeningAppliesNothingAndKeepsData) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  {
    auto store = OpenOrDie(options);
    ASSERT_EQ(store->CreateStateMachine(Machine("m"), {Audit("Create", "m")}), Status::OK());
  }
  RawDb raw(options.path);
  const std::string applied_at =
      raw.QueryText("SELECT applied_at FROM schema_migrations WHERE version = 1");
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetStateMachine(MachineArn("m")).value().name, "m");
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
  EXPECT_EQ(raw.QueryText("SELECT applied_at FROM schema_migrations WHERE version = 1"),
            applied_at);
  EXPECT_EQ(store->VerifyAuditChain(), Status::OK());
}

TEST(SqliteStore, WithoutMigrateOnOpenAFreshDatabaseIsAtVersionZero) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.migrate_on_open = false;
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion().value(), 0);
  EXPECT_EQ(store->Migrate(), Status::OK());
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
}

TEST(SqliteStore, RefusesADatabaseWithANewerSchema) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  {
    RawDb raw(options.path);
    const std::string future = std::to_string(LatestSchemaVersion() + 1);
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (" + future + ", 'future', 1, 'x')"),
              SQLITE_OK);
  }
  EXPECT_EQ(OpenSqliteStore(options).status(),
            FailedPreconditionError("Migrate: database schema version " +
                                    std::to_string(LatestSchemaVersion() + 1) +
                                    " is newer than this stepd (knows up to " +
                                    std::to_string(LatestSchemaVersion()) + "); upgrade stepd"));
}

TEST(SqliteStore, RefusesAnAppliedMigrationWhoseChecksumChanged) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  {
    RawDb raw(options.path);
    ASSERT_EQ(raw.Exec("UPDATE schema_migrations SET checksum = 'abc' WHERE version = 1"),
              SQLITE_OK);
  }
  const Migration& first = EmbeddedMigrations()[0];
  EXPECT_EQ(OpenSqliteStore(options).status(),
            FailedPreconditionError(
                "Migrate: migration " + MigrationLabel(1, first.name) +
                " was changed after it was applied (database has checksum abc, this stepd has " +
                MigrationChecksum(first) +
                "); migrations are append-only: restore it and put the change in a new "
                "migration"));
}

TEST(SqliteStore, AuditLogRefusesUpdatesThroughSql) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->AppendAudit({Audit("A", "x")}), Status::OK());
  RawDb raw(options.path);
  EXPECT_EQ(raw.Exec("UPDATE audit_log SET actor = 'mallory'"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.last_error(), "audit_log is append-only");
  EXPECT_EQ(raw.Exec("DELETE FROM audit_log"), SQLITE_CONSTRAINT);
}

TEST(SqliteStore, VerifyAuditChainDetectsARowAlteredByHand) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->AppendAudit({Audit("A", "x"), Audit("B", "y"), Audit("C", "z")}), Status::OK());
  ASSERT_EQ(store->VerifyAuditChain(), Status::OK());
  std::vector<AuditRecord> rows = store->ListAudit({}).value().items;
  RawDb raw(options.path);
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_update"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"), SQLITE_OK);
  AuditEntry altered = rows[1].entry;
  altered.actor = "mallory";
  EXPECT_EQ(store->VerifyAuditChain(),
            DataLossError("VerifyAuditChain: audit row 2 was altered (stored hash " + rows[1].hash +
                          " does not match its contents, " +
                          AuditRowHash(testing::kTestAuditKey, rows[0].hash, 2, altered) + ")"));
}

TEST(SqliteStore, VerifyAuditChainDetectsARowDeletedByHand) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->AppendAudit({Audit("A", "x"), Audit("B", "y"), Audit("C", "z")}), Status::OK());
  RawDb raw(options.path);
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_delete"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("DELETE FROM audit_log WHERE seq = 2"), SQLITE_OK);
  EXPECT_EQ(store->VerifyAuditChain(),
            DataLossError("VerifyAuditChain: audit row 2 is missing (next row is 3)"));
}

TEST(SqliteStore, VerifyAuditChainDetectsARowRehashedButUnlinked) {
  // An attacker who recomputes the altered row's own hash still breaks the
  // next row's link.
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->AppendAudit({Audit("A", "x"), Audit("B", "y"), Audit("C", "z")}), Status::OK());
  std::vector<AuditRecord> rows = store->ListAudit({}).value().items;
  AuditEntry altered = rows[1].entry;
  altered.actor = "mallory";
  const std::string forged = AuditRowHash(testing::kTestAuditKey, rows[0].hash, 2, altered);
  RawDb raw(options.path);
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_update"), SQLITE_OK);
  ASSERT_EQ(
      raw.Exec("UPDATE audit_log SET actor = 'mallory', hash = X'" + forged + "' WHERE seq = 2"),
      SQLITE_OK);
  EXPECT_EQ(store->VerifyAuditChain(),
            DataLossError("VerifyAuditChain: audit row 3 does not link to its predecessor "
                          "(prev_hash " +
                          rows[2].prev_hash + ", predecessor's hash " + forged + ")"));
}

TEST(SqliteStore, RefusesToOpenWithoutAnAuditKey) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.audit_key.clear();
  EXPECT_EQ(OpenSqliteStore(options).status(),
            InvalidArgumentError("OpenSqliteStore: the audit key is empty"));
}

TEST(SqliteStore, VerifyAuditChainFailsUnderAnotherKey) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  {
    auto store = OpenOrDie(options);
    ASSERT_EQ(store->AppendAudit({Audit("A", "x")}), Status::OK());
  }
  options.audit_key = "someone-else's-key";
  auto store = OpenOrDie(options);
  Status verified = store->VerifyAuditChain();
  EXPECT_EQ(verified.code(), StatusCode::kDataLoss);
  EXPECT_THAT(verified.message(), ::testing::HasSubstr("audit row 1 was altered"));
}

// A database written by a stepd that knew only schema 0001, with an
// execution, its history and an audit row chained the 0001 way.
void WriteSchema0001Database(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  RawDb raw(path);
  const Migration& first = EmbeddedMigrations()[0];
  ASSERT_EQ(raw.Exec(std::string(first.sql)), SQLITE_OK) << raw.last_error();
  ASSERT_EQ(raw.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                     "NULL, applied_at INTEGER NOT NULL, checksum TEXT NOT NULL);"
                     "INSERT INTO schema_migrations VALUES (1, '" +
                     std::string(first.name) + "', 1, '" + MigrationChecksum(first) + "')"),
            SQLITE_OK);
  ASSERT_EQ(raw.Exec("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                     "revision_id, created_at, updated_at) VALUES ('" +
                     MachineArn("m") +
                     "', 'm', 'STANDARD', '{\"StartAt\":\"P\"}', 'r', 'rev-1', 1, 1);"
                     "INSERT INTO executions (arn, state_machine_id, name, "
                     "state_machine_revision_id, status, input, start_time, updated_at, "
                     "last_event_id) VALUES ('" +
                     ExecutionArn("m", "e") +
                     "', 1, 'e', 'rev-1', 'RUNNING', '{}', 2, 2, 2);"
                     "INSERT INTO history_events VALUES (1, 1, 0, 'ExecutionStarted', 5, "
                     "'{\"input\":\"{}\"}'), (1, 2, 1, 'PassStateEntered', 6, '{\"name\":\"P\"}')"),
            SQLITE_OK)
      << raw.last_error();
  AuditEntry entry{7, "admin", "CreateStateMachine", MachineArn("m"), 0, "{}"};
  const std::string hash = LegacyAuditRowHash(kAuditGenesisHash, 1, entry);
  ASSERT_EQ(raw.Exec("INSERT INTO audit_log VALUES (1, 7, 'admin', 'CreateStateMachine', '" +
                     MachineArn("m") + "', '{}', '" + std::string(kAuditGenesisHash) + "', '" +
                     hash + "')"),
            SQLITE_OK);
}

TEST(SqliteStore, MigratesASchema0001DatabaseKeepingHistoryRevisionsAndTheOldAuditChain) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  WriteSchema0001Database(options.path);
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
  std::vector<HistoryEventRecord> history =
      store->GetHistory(ExecutionArn("m", "e"), {}, false).value().items;
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].type, "PassStateEntered");
  EXPECT_EQ(history[1].previous_event_id, 1);
  EXPECT_EQ(history[1].timestamp_ms, 6);
  EXPECT_EQ(history[1].details_json, R"({"name":"P"})");
  EXPECT_EQ(store->GetStateMachineDefinition(MachineArn("m"), "rev-1").value(),
            R"({"StartAt":"P"})");
  // The old rows stay verifiable; new rows start the keyed chain.
  EXPECT_EQ(store->VerifyAuditChain(), Status::OK());
  ASSERT_EQ(store->AppendAudit({Audit("A", "x")}), Status::OK());
  EXPECT_EQ(store->ListAudit({}).value().items[0].seq, 1);
  EXPECT_EQ(store->VerifyAuditChain(), Status::OK());
  // The history continues after the migrated events.
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  t.events = {Event(3)};
  EXPECT_EQ(store->CommitTransition(t).value().last_event_id, 3);

  RawDb raw(options.path);
  EXPECT_EQ(raw.Exec("UPDATE audit_log_v1 SET actor = 'mallory'"), SQLITE_CONSTRAINT);
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_v1_no_update"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("UPDATE audit_log_v1 SET actor = 'mallory'"), SQLITE_OK);
  Status verified = store->VerifyAuditChain();
  EXPECT_EQ(verified.code(), StatusCode::kDataLoss);
  EXPECT_THAT(verified.message(),
              ::testing::HasSubstr("VerifyAuditChain: audit_log_v1: audit row 1 was altered"));
}

// Applies the first `n` embedded migrations to `raw` as a stepd that knew
// only those would have, recording each.
void ApplyMigrationsUpTo(RawDb& raw, size_t n) {
  ASSERT_EQ(raw.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                     "NULL, applied_at INTEGER NOT NULL, checksum TEXT NOT NULL)"),
            SQLITE_OK);
  for (const Migration& m : EmbeddedMigrations().first(n)) {
    ASSERT_EQ(raw.Exec(std::string(m.sql)), SQLITE_OK) << raw.last_error();
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) +
                       ", '" + std::string(m.name) + "', 1, '" + MigrationChecksum(m) + "')"),
              SQLITE_OK);
  }
}

// A database written by a stepd that knew schema 0003: a machine with two
// revisions and a finished execution with its history.
void WriteSchema0003Database(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  RawDb raw(path);
  ApplyMigrationsUpTo(raw, 3);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(raw.Exec("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                     "revision_id, attributes, created_at, updated_at) VALUES ('" +
                     MachineArn("m") +
                     "', 'm', 'STANDARD', '{\"StartAt\":\"Q\"}', 'role-2', 'rev-2', "
                     "'{\"k\":2}', 1, 3);"
                     "INSERT INTO state_machine_revisions VALUES (1, 'rev-1', "
                     "'{\"StartAt\":\"P\"}', 1), (1, 'rev-2', '{\"StartAt\":\"Q\"}', 3);"
                     "INSERT INTO executions (arn, state_machine_id, name, "
                     "state_machine_revision_id, status, input, output, start_time, stop_time, "
                     "updated_at, last_event_id, started_by) VALUES ('" +
                     ExecutionArn("m", "e") +
                     "', 1, 'e', 'rev-1', 'SUCCEEDED', '{}', '{\"ok\":1}', 2, 4, 4, 1, 'admin');"
                     "INSERT INTO history_chunks (execution_id, first_event_id, last_event_id, "
                     "events) VALUES (1, 1, 1, '[[1,0,\"ExecutionStarted\",2,\"\",null]]')"),
            SQLITE_OK)
      << raw.last_error();
}

TEST(SqliteStore, MigratesASchema0003DatabaseKeepingItsExecutionsAndPublishesFromOne) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  WriteSchema0003Database(options.path);
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
  ExecutionRecord e = store->GetExecution(ExecutionArn("m", "e")).value();
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output, R"({"ok":1})");
  EXPECT_EQ(e.started_by, "admin");
  EXPECT_EQ(e.last_event_id, 1);
  EXPECT_EQ(e.state_machine_version, 0);
  EXPECT_EQ(e.state_machine_alias, "");
  EXPECT_EQ(store->GetHistory(e.arn, {}, false).value().items.size(), 1u);
  EXPECT_TRUE(store->ListStateMachineVersions(MachineArn("m"), {}).value().items.empty());
  // The first version of a migrated machine is 1, of its current revision.
  StateMachineVersionRecord v =
      store->PublishStateMachineVersion(MachineArn("m"), "rev-2", "", 10, {}).value();
  EXPECT_EQ(v.version, 1);
  StateMachineVersionRecord got = store->GetStateMachineVersion(MachineArn("m"), 1).value();
  EXPECT_EQ(got.definition, R"({"StartAt":"Q"})");
  EXPECT_EQ(got.role_arn, "role-2");
  EXPECT_EQ(got.attributes_json, R"({"k":2})");
  ExecutionFilter by_version = Filter(MachineArn("m"));
  by_version.version = 1;
  EXPECT_TRUE(store->ListExecutions(by_version, {}).value().items.empty());
  EXPECT_EQ(store->ListExecutions(Filter(MachineArn("m")), {}).value().items.size(), 1u);
  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("SELECT last_version FROM state_machines"), "1");
}

// A database written by a stepd that knew schema 0004: a machine with a
// published version, a finished parent execution with its history and two
// children of a Map Run (which had no record before 0005).
void WriteSchema0004Database(const std::string& path, const std::string& map_run_arn) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  RawDb raw(path);
  ASSERT_EQ(raw.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                     "NULL, applied_at INTEGER NOT NULL, checksum TEXT NOT NULL)"),
            SQLITE_OK);
  for (const Migration& m : EmbeddedMigrations().first(4)) {
    ASSERT_EQ(raw.Exec(std::string(m.sql)), SQLITE_OK) << raw.last_error();
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) +
                       ", '" + std::string(m.name) + "', 1, '" + MigrationChecksum(m) + "')"),
              SQLITE_OK);
  }
  ASSERT_EQ(raw.Exec("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                     "revision_id, attributes, created_at, updated_at, last_version) VALUES ('" +
                     MachineArn("m") +
                     "', 'm', 'STANDARD', '{\"StartAt\":\"P\"}', 'role', 'rev-1', '{}', 1, 1, 1);"
                     "INSERT INTO state_machine_revisions VALUES (1, 'rev-1', "
                     "'{\"StartAt\":\"P\"}', 1);"
                     "INSERT INTO state_machine_versions (state_machine_id, version, "
                     "revision_id, role_arn, created_at) VALUES (1, 1, 'rev-1', 'role', 1);"
                     "INSERT INTO executions (arn, state_machine_id, name, "
                     "state_machine_revision_id, status, input, output, start_time, stop_time, "
                     "updated_at, last_event_id, started_by, state_machine_version) VALUES ('" +
                     ExecutionArn("m", "e") +
                     "', 1, 'e', 'rev-1', 'SUCCEEDED', '{}', '{\"ok\":1}', 2, 4, 4, 1, 'admin', 1);"
                     "INSERT INTO executions (arn, state_machine_id, name, "
                     "state_machine_revision_id, status, input, start_time, updated_at, "
                     "parent_arn, map_run_arn) VALUES ('" +
                     ExecutionArn("m", "c1") + "', 1, 'c1', 'rev-1', 'SUCCEEDED', '{}', 3, 3, '" +
                     ExecutionArn("m", "e") + "', '" + map_run_arn + "'), ('" +
                     ExecutionArn("m", "c2") + "', 1, 'c2', 'rev-1', 'FAILED', '{}', 3, 3, '" +
                     ExecutionArn("m", "e") + "', '" + map_run_arn +
                     "');"
                     "INSERT INTO history_chunks (execution_id, first_event_id, last_event_id, "
                     "events) VALUES (1, 1, 1, '[[1,0,\"ExecutionStarted\",2,\"\",null]]')"),
            SQLITE_OK)
      << raw.last_error();
}

TEST(SqliteStore, MigratesASchema0004DatabaseKeepingItsRowsAndRecordsMapRunsFromThenOn) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  const std::string old_run = "arn:aws:states:us-east-1:123456789012:mapRun:m/old:1";
  WriteSchema0004Database(options.path, old_run);
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
  ExecutionRecord e = store->GetExecution(ExecutionArn("m", "e")).value();
  EXPECT_EQ(e.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(e.output, R"({"ok":1})");
  EXPECT_EQ(e.last_event_id, 1);
  EXPECT_EQ(e.state_machine_version, 1);
  EXPECT_EQ(store->GetHistory(e.arn, {}, false).value().items.size(), 1u);
  EXPECT_EQ(store->GetStateMachineVersion(MachineArn("m"), 1).value().revision_id, "rev-1");
  // The children keep their run; the run itself was never recorded.
  ExecutionFilter by_run;
  by_run.map_run_arn = old_run;
  EXPECT_EQ(store->ListExecutions(by_run, {}).value().items.size(), 2u);
  EXPECT_EQ(store->GetMapRun(old_run).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->ListMapRuns(e.arn, {}).value().items.empty());
  // A run started now is recorded, and its children counted.
  ASSERT_EQ(store->CreateExecution(Execution("m", "new"), {}), Status::OK());
  MapRunRecord run;
  run.arn = "arn:aws:states:us-east-1:123456789012:mapRun:m/new:1";
  run.execution_arn = ExecutionArn("m", "new");
  run.tolerated_failure_percentage = 5;
  run.start_time_ms = 10;
  Transition t;
  t.execution_arn = run.execution_arn;
  t.events = {Event(1)};
  t.map_runs = {run};
  ASSERT_TRUE(store->CommitTransition(t).ok());
  EXPECT_EQ(store->GetMapRun(run.arn).value().tolerated_failure_percentage, 5);
  EXPECT_EQ(store->CountMapRunExecutions(run.arn).value().running, 0);
  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM map_runs"), "1");
}

// ListMapRuns and CountMapRunExecutions (the store's own statements) read
// through indexes: map_runs_by_execution, and 0002's executions_by_map_run.
TEST(SqliteStore, MapRunsAreListedAndTheirChildrenCountedThroughIndexes) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  auto plan = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(options.path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sql;
    std::string out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
      out += "\n";
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  };
  EXPECT_THAT(plan("SELECT r.id FROM map_runs r JOIN executions e ON e.id = r.execution_id "
                   "WHERE r.execution_id = ?1 AND r.id < ?2 ORDER BY r.id DESC LIMIT ?3"),
              ::testing::AllOf(::testing::HasSubstr("map_runs_by_execution"),
                               ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))));
  EXPECT_THAT(
      plan("SELECT status, count(*) FROM executions WHERE map_run_arn = ?1 GROUP BY status"),
      ::testing::HasSubstr("executions_by_map_run"));
}

// The statements ListExecutions prepares for a version or an alias (the
// store's own text) use the partial indexes of 0004, not a scan of every
// execution of the machine.
TEST(SqliteStore, ListingExecutionsByVersionOrAliasUsesTheirPartialIndexes) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  RawDb raw(options.path);
  const std::string select =
      "EXPLAIN QUERY PLAN SELECT e.id FROM executions e JOIN state_machines m ON m.id = "
      "e.state_machine_id WHERE e.id < ?1 AND e.map_run_arn IS NULL AND e.state_machine_id = ?3";
  const std::string order = " ORDER BY e.id DESC LIMIT ?2";
  auto plan = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(options.path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
      out += "\n";
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  };
  EXPECT_THAT(plan(select + " AND e.state_machine_version = ?6" + order),
              ::testing::HasSubstr("executions_by_version"));
  EXPECT_THAT(plan(select + " AND e.state_machine_alias = ?7" + order),
              ::testing::HasSubstr("executions_by_alias"));
}

// The query plan SQLite picks for `sql` on the database at `path`.
std::string QueryPlan(const std::string& path, const std::string& sql) {
  std::string out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr),
            SQLITE_OK)
      << sql;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    out += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// The store's statements for the Looker hub and artifacts (their text as in
// sqlite_store.cc) read through the indexes of 0011, not a scan of the table.
TEST(SqliteStore, LookerDedupListingsAndExpiryReadThroughTheirIndexes) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  const std::string deliveries =
      "SELECT id, received_ms, action, instance, webhook_id, looker_version, scheduled_plan_id, "
      "type, principal, execution_arn, duplicate_of, outcome, message FROM looker_deliveries ";
  EXPECT_THAT(
      QueryPlan(options.path,
                deliveries + "WHERE instance = ?1 AND webhook_id = ?2 AND action = ?3 "
                             "AND received_ms >= ?4 AND duplicate_of = '' AND webhook_id <> '' "
                             "AND outcome <> 'failed' ORDER BY received_ms DESC, id DESC LIMIT 1"),
      ::testing::HasSubstr("looker_deliveries_firsts"));
  EXPECT_THAT(QueryPlan(options.path, deliveries + "WHERE 1 AND (received_ms, id) < (?5, ?6) "
                                                   "ORDER BY received_ms DESC, id DESC LIMIT ?7"),
              ::testing::AllOf(::testing::HasSubstr("looker_deliveries_by_time"),
                               ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))));
  EXPECT_THAT(QueryPlan(options.path, "DELETE FROM looker_deliveries WHERE received_ms < ?1"),
              ::testing::HasSubstr("looker_deliveries_by_time"));
  EXPECT_THAT(QueryPlan(options.path,
                        "SELECT id FROM artifacts WHERE expires_ms <= ?1 "
                        "ORDER BY expires_ms, id LIMIT ?2"),
              ::testing::HasSubstr("artifacts_by_expiry"));
}

// A database written by a stepd that knew schema 0010, with a state machine.
void WriteSchema0010Database(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  RawDb raw(path);
  ASSERT_EQ(raw.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                     "NULL, applied_at INTEGER NOT NULL, checksum TEXT NOT NULL)"),
            SQLITE_OK);
  for (const Migration& m : EmbeddedMigrations().first(10)) {
    ASSERT_EQ(raw.Exec(std::string(m.sql)), SQLITE_OK) << raw.last_error();
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) +
                       ", '" + std::string(m.name) + "', 1, '" + MigrationChecksum(m) + "')"),
              SQLITE_OK);
  }
  ASSERT_EQ(raw.QueryText("SELECT count(*) FROM sqlite_master WHERE name = 'looker_deliveries'"),
            "0");
  ASSERT_EQ(raw.Exec("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                     "revision_id, attributes, created_at, updated_at) VALUES ('" +
                     MachineArn("m") +
                     "', 'm', 'STANDARD', '{\"StartAt\":\"P\"}', 'role', 'rev-1', '{}', 1, 1);"
                     "INSERT INTO state_machine_revisions VALUES (1, 'rev-1', "
                     "'{\"StartAt\":\"P\"}', 1)"),
            SQLITE_OK)
      << raw.last_error();
}

TEST(SqliteStore, MigratesASchema0010DatabaseToKeepLookerDeliveriesAndArtifacts) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  WriteSchema0010Database(options.path);
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
  EXPECT_EQ(store->GetStateMachine(MachineArn("m")).value().name, "m");

  LookerDeliveryRecord d;
  d.id = "dlv-1";
  d.received_ms = 10;
  d.action = "report";
  d.webhook_id = "wh-1";
  d.outcome = "started";
  ASSERT_TRUE(store->RecordLookerDelivery(d, 0).ok());
  d.id = "dlv-2";
  EXPECT_EQ(store->RecordLookerDelivery(d, 0).value().stored.duplicate_of, "dlv-1");
  ArtifactRecord a;
  a.id = "art-1";
  a.expires_ms = 5;
  ASSERT_EQ(store->CreateArtifact(a), Status::OK());
  EXPECT_EQ(store->ListExpiredArtifacts(5, 10).value().size(), 1u);

  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("SELECT name FROM schema_migrations WHERE version = 11"), "looker");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                          "('looker_deliveries_firsts', 'looker_deliveries_by_time', "
                          "'artifacts_by_expiry')"),
            "3");
}

// A database written by a stepd that knew schema 0011, with a state machine
// and a failed execution of it.
void WriteSchema0011Database(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  RawDb raw(path);
  ApplyMigrationsUpTo(raw, 11);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(raw.QueryText("SELECT count(*) FROM pragma_table_info('executions') WHERE name = "
                          "'restarted_from'"),
            "0");
  ASSERT_EQ(raw.Exec("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                     "revision_id, attributes, created_at, updated_at) VALUES ('" +
                     MachineArn("m") +
                     "', 'm', 'STANDARD', '{\"StartAt\":\"P\"}', 'role', 'rev-1', '{}', 1, 1);"
                     "INSERT INTO state_machine_revisions VALUES (1, 'rev-1', "
                     "'{\"StartAt\":\"P\"}', 1);"
                     "INSERT INTO executions (arn, state_machine_id, name, "
                     "state_machine_revision_id, status, input, error, start_time, updated_at) "
                     "VALUES ('" +
                     ExecutionArn("m", "old") +
                     "', 1, 'old', 'rev-1', 'FAILED', '{}', 'States.TaskFailed', 5, 6)"),
            SQLITE_OK)
      << raw.last_error();
}

TEST(SqliteStore, MigratesASchema0011DatabaseWhoseExecutionsWereRestartedFromNothing) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  WriteSchema0011Database(options.path);
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion().value(), LatestSchemaVersion());
  StatusOr<ExecutionRecord> old = store->GetExecution(ExecutionArn("m", "old"));
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->restarted_from, "");
  EXPECT_EQ(old->error, "States.TaskFailed");
  ExecutionRecord restart = Execution("m", "restart");
  restart.restarted_from = old->arn;
  ASSERT_EQ(store->CreateExecution(restart, {}), Status::OK());
  ExecutionFilter restarts;
  restarts.restarted_from = old->arn;
  StatusOr<Page<ExecutionRecord>> page = store->ListExecutions(restarts, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name, "restart");
  ExecutionFilter failed;
  failed.error = "States.TaskFailed";
  page = store->ListExecutions(failed, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name, "old");

  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("SELECT name FROM schema_migrations WHERE version = 12"), "restarts");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                          "('executions_by_restarted_from', 'executions_by_error', "
                          "'activity_tasks_pending', 'task_tokens_pending')"),
            "4");
  // Only restarts are in the restarts' index.
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM executions INDEXED BY "
                          "executions_by_restarted_from WHERE restarted_from IS NOT NULL"),
            "1");
}

// The statements of ListExecutions by restart or by error (their text as
// sqlite_store.cc builds it) read through the partial indexes of 0012, in
// the listing order, not a scan and a sort.
TEST(SqliteStore, ListingRestartsOrErrorsReadsThroughTheirIndexes) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  const std::string executions =
      "SELECT e.id FROM executions e JOIN state_machines m ON m.id = e.state_machine_id "
      "WHERE e.id < ?1 AND e.map_run_arn IS NULL";
  const std::string order = " ORDER BY e.id DESC LIMIT ?2";
  EXPECT_THAT(QueryPlan(options.path, executions + " AND e.restarted_from = ?13" + order),
              ::testing::AllOf(::testing::HasSubstr("executions_by_restarted_from"),
                               ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))));
  EXPECT_THAT(QueryPlan(options.path, executions + " AND e.error = ?12" + order),
              ::testing::AllOf(::testing::HasSubstr("executions_by_error"),
                               ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))));
}

// The statement of CountExecutions for one state machine (its text as
// sqlite_store.cc builds it) reads that machine's executions through an
// index that starts with state_machine_id (executions_by_machine*, or the
// (machine, name) one for a name prefix), not a scan of every execution.
TEST(SqliteStore, CountingTheExecutionsOfAMachineReadsThroughItsIndex) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  const std::string count =
      "SELECT m.arn, e.status, count(*) FROM executions e JOIN state_machines m "
      "ON m.id = e.state_machine_id WHERE e.map_run_arn IS NULL AND e.state_machine_id = ?3";
  const std::string group = " GROUP BY e.state_machine_id, e.status";
  for (const std::string& more :
       {std::string(), std::string(" AND e.start_time >= ?8 AND e.start_time < ?9"),
        std::string(" AND e.name >= ?10 AND e.name < ?11"), std::string(" AND e.error = ?12")}) {
    EXPECT_THAT(QueryPlan(options.path, count + more + group),
                ::testing::AllOf(::testing::ContainsRegex("SEARCH e USING (COVERING )?INDEX "
                                                          "[a-z0-9_]+ \\(state_machine_id=\\?"),
                                 ::testing::Not(::testing::HasSubstr("SCAN e"))))
        << more;
  }
}

// The statements of ListActivityTasks for pending tasks (their text as
// sqlite_store.cc builds it) read through the partial indexes of 0012, both
// tables in the listing order, merged, not scanned and sorted.
TEST(SqliteStore, ListingPendingTasksReadsThroughTheirIndexes) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_NE(OpenOrDie(options), nullptr);
  const std::string tasks =
      "SELECT a.arn, t.execution_arn, t.task_id, t.input, t.state, coalesce(t.worker_name, ''), "
      "t.created_at, t.started_at, t.heartbeat_at, t.output, t.error, t.cause "
      "FROM activity_tasks t JOIN activities a ON a.id = t.activity_id "
      "WHERE t.state IN ('QUEUED', 'STARTED')";
  const std::string tokens =
      "SELECT t.resource, t.execution_arn, t.task_id, '{}', t.state, '', t.created_at, "
      "t.created_at, t.heartbeat_at, t.output, t.error, t.cause FROM task_tokens t "
      "WHERE t.state = 'STARTED'";
  const std::string after = " AND (t.created_at, t.execution_arn, t.task_id) > (?3, ?4, ?5)";
  for (const std::string& position : {std::string(), after}) {
    EXPECT_THAT(QueryPlan(options.path, tasks + position + " UNION ALL " + tokens + position +
                                            " ORDER BY 7, 2, 3 LIMIT ?6"),
                ::testing::AllOf(::testing::HasSubstr("activity_tasks_pending"),
                                 ::testing::HasSubstr("task_tokens_pending"),
                                 ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))))
        << position;
  }
  // Pending states named one by one read the same indexes.
  const std::string one_state = " AND t.state IN (?10)";
  EXPECT_THAT(QueryPlan(options.path, tasks + one_state + " UNION ALL " + tokens + one_state +
                                          " ORDER BY 7, 2, 3 LIMIT ?6"),
              ::testing::AllOf(::testing::HasSubstr("activity_tasks_pending"),
                               ::testing::HasSubstr("task_tokens_pending"),
                               ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))));
}

// Two stores on one file are two writers (two processes, say): the lookup
// and the insert of a delivery run in one IMMEDIATE transaction, so neither
// misses the other's first delivery.
TEST(SqliteStore, OfDeliveriesRecordedThroughTwoStoresOnOneFileExactlyOneIsTheFirst) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.busy_timeout_ms = 5000;
  options.synchronous = SyncMode::kNormal;
  auto one = OpenOrDie(options);
  auto two = OpenOrDie(options);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  constexpr int kThreadsPerStore = 3;
  constexpr int kPerThread = 10;
  std::atomic<int> firsts = 0, duplicates = 0, errors = 0;
  std::vector<std::thread> threads;
  for (Store* store : {one.get(), two.get()}) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      threads.emplace_back([&, store, t] {
        for (int i = 0; i < kPerThread; ++i) {
          LookerDeliveryRecord d;
          d.id = "dlv-" + std::to_string(reinterpret_cast<uintptr_t>(store)) + "-" +
                 std::to_string(t) + "-" + std::to_string(i);
          d.received_ms = 1000 + i;
          d.action = "report";
          d.instance = "looker.example.com";
          d.webhook_id = "wh-1";
          d.outcome = "pending";
          StatusOr<RecordedDelivery> r = store->RecordLookerDelivery(d, 0);
          if (!r.ok()) {
            ++errors;
            ADD_FAILURE() << r.status();
          } else {
            ++(r->first ? duplicates : firsts);
          }
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(firsts.load(), 1);
  EXPECT_EQ(duplicates.load(), 2 * kThreadsPerStore * kPerThread - 1);
  RawDb raw(options.path);
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM looker_deliveries WHERE duplicate_of = ''"), "1");
}

TEST(SqliteStore, ReadsProceedWhileAnotherConnectionHoldsAWriteTransaction) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.busy_timeout_ms = 1500;  // a reader that waited for the lock would take this long
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->CreateStateMachine(Machine("before"), {}), Status::OK());

  RawDb raw(options.path);
  ASSERT_EQ(raw.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                     "revision_id, created_at, updated_at) VALUES ('arn:uncommitted', "
                     "'uncommitted', 'STANDARD', '{}', '', 'r', 1, 1)"),
            SQLITE_OK);

  // A reader on another thread, while the write transaction stays open.
  StatusOr<Page<StateMachineRecord>> listed = InternalError("not run");
  StatusOr<StateMachineRecord> got = InternalError("not run");
  auto started = std::chrono::steady_clock::now();
  std::thread reader([&] {
    listed = store->ListStateMachines({});
    got = store->GetStateMachine(MachineArn("before"));
  });
  reader.join();
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, std::chrono::milliseconds(750));  // never waited for the lock
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->items.size(), 1u);  // the last committed state only
  EXPECT_EQ(listed->items[0].name, "before");
  EXPECT_TRUE(got.ok());

  // A write through the store waits for the busy timeout, then reports it.
  Status blocked = store->CreateStateMachine(Machine("blocked"), {});
  EXPECT_EQ(blocked.code(), StatusCode::kUnavailable) << blocked;
  EXPECT_EQ(blocked.message().rfind("CreateStateMachine: ", 0), 0u) << blocked;

  ASSERT_EQ(raw.Exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(store->ListStateMachines({}).value().items.size(), 2u);
  EXPECT_EQ(store->CreateStateMachine(Machine("after"), {}), Status::OK());
}

TEST(SqliteStore, ExecutionsSurviveReopenWithTheirSnapshot) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.synchronous = SyncMode::kNormal;
  {
    auto store = OpenOrDie(options);
    ASSERT_EQ(store->CreateStateMachine(Machine("m"), {}), Status::OK());
    ASSERT_EQ(store->CreateExecution(Execution("m", "e"), {}), Status::OK());
    Transition t;
    t.execution_arn = ExecutionArn("m", "e");
    t.events = {Event(1, "ExecutionStarted")};
    t.update.snapshot = "resume-here";
    ASSERT_TRUE(store->CommitTransition(t).ok());
  }
  auto store = OpenOrDie(options);
  ExecutionRecord e = store->GetExecution(ExecutionArn("m", "e")).value();
  EXPECT_EQ(e.snapshot, "resume-here");
  EXPECT_EQ(e.last_event_id, 1);
  EXPECT_EQ(store->ListExecutions(Filter("", ExecutionStatus::kRunning), {}).value().items.size(),
            1u);
}

// Under a steady stream of commits a PASSIVE checkpoint never catches the
// writer, so without the store's help the WAL never starts over.
TEST(SqliteStore, TheWalStartsOverUnderSteadyWritesInsteadOfGrowingWithoutBound) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.synchronous = SyncMode::kNormal;
  options.wal_limit_bytes = 512 * 1024;
  const int64_t limit = options.wal_limit_bytes;
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->CreateStateMachine(Machine("m"), {}), Status::OK());
  const std::string snapshot(16 * 1024, 's');
  const std::string wal = options.path + "-wal";
  int64_t next_event = 1;
  auto commit = [&](const std::string& name) {
    Transition t;
    t.execution_arn = ExecutionArn("m", name);
    t.events = {Event(next_event++, "PassStateEntered")};
    t.update.snapshot = snapshot;
    ASSERT_TRUE(store->CommitTransition(t).ok());
  };
  ASSERT_EQ(store->CreateExecution(Execution("m", "e"), {}), Status::OK());
  // About 64 MiB through the WAL, without pause.
  for (int i = 0; i < 4000; ++i) commit("e");
  // A commit after the checkpointer's next round finds the WAL started over
  // and cut back to the limit.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  uintmax_t size = std::filesystem::file_size(wal);
  while (size > 2 * static_cast<uintmax_t>(limit) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    commit("e");
    size = std::filesystem::file_size(wal);
  }
  EXPECT_LE(size, 2 * static_cast<uintmax_t>(limit));
  EXPECT_EQ(store->GetExecution(ExecutionArn("m", "e")).value().last_event_id, next_event - 1);
}

TEST(SqliteStore, ACommittedTransitionSurvivesKill9) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child commits, tells the parent, and waits to be killed mid-life:
    // no destructor, no checkpoint, no clean close.
    close(ready[0]);
    StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(options);
    if (!store.ok()) _exit(1);
    if (!(*store)->CreateStateMachine(Machine("m"), {}).ok()) _exit(2);
    if (!(*store)->CreateExecution(Execution("m", "e"), {Audit("StartExecution", "e")}).ok()) {
      _exit(3);
    }
    Transition t;
    t.execution_arn = ExecutionArn("m", "e");
    t.events = {Event(1, "ExecutionStarted"), Event(2)};
    t.update.snapshot = "at-2";
    t.audit = {Audit("Step", "e")};
    if (!(*store)->CommitTransition(t).ok()) _exit(4);
    char byte = 'k';
    if (write(ready[1], &byte, 1) != 1) _exit(5);
    while (true) pause();
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "child failed before committing";
  close(ready[0]);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  ExecutionRecord e = store->GetExecution(ExecutionArn("m", "e")).value();
  EXPECT_EQ(e.last_event_id, 2);
  EXPECT_EQ(e.snapshot, "at-2");
  EXPECT_EQ(store->GetHistory(e.arn, {}, false).value().items.size(), 2u);
  EXPECT_EQ(store->ListAudit({}).value().items.size(), 2u);
  EXPECT_EQ(store->VerifyAuditChain(), Status::OK());
}

TEST(SqliteStore, RefusesBadOptions) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.reader_connections = 0;
  EXPECT_EQ(OpenSqliteStore(options).status(),
            InvalidArgumentError("OpenSqliteStore: reader_connections must be at least 1, got 0"));
  options = OptionsIn(dir);
  options.path = "";
  EXPECT_EQ(OpenSqliteStore(options).status(),
            InvalidArgumentError("OpenSqliteStore: path is empty"));
}

TEST(SqliteStore, AFileThatIsNotADatabaseIsDataLoss) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.path = (dir.path() / "junk.db").string();
  {
    FILE* f = std::fopen(options.path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a sqlite database, it is a text file of some length........", f);
    std::fclose(f);
  }
  Status status = OpenSqliteStore(options).status();
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status;
  EXPECT_EQ(status.message().rfind("OpenSqliteStore: ", 0), 0u) << status;
}

TEST(SqliteStore, SmallStatementCacheStillServesNestedAndRepeatedQueries) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  options.statement_cache_size = 1;
  auto store = OpenOrDie(options);
  ASSERT_EQ(store->CreateStateMachine(Machine("m"), {Audit("A", "m")}), Status::OK());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(store->CreateExecution(Execution("m", "e" + std::to_string(i)), {Audit("S", "e")}),
              Status::OK());
  }
  EXPECT_EQ(store->ListExecutions(Filter(MachineArn("m")), {2, ""}).value().items.size(), 2u);
  EXPECT_EQ(store->VerifyAuditChain(), Status::OK());
}

}  // namespace
}  // namespace stepd::store
