#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pg_db.h"
#include "sqlite_db.h"
#include "stepd/base/json.h"
#include "stepd/store/audit_chain.h"
#include "stepd/store/migrations.h"
#include "store_checks.h"

namespace stepd::store {
namespace {

using internal::Connection;
using internal::Dialect;
using internal::Statement;
using internal::TokenKind;
using internal::Transaction;

// Reads a page from `s`, which selects `limit` + 1 rows whose first column
// is the id the page is keyed on: up to `limit` items made by `read`, and
// the token to continue after the last one when the extra row came.
template <typename T, typename Read>
StatusOr<Page<T>> ReadIdPage(Statement& s, int limit, TokenKind kind, Read read) {
  Page<T> result;
  int64_t last_id = 0;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(kind, last_id);
      break;
    }
    last_id = s.Int64(0);
    result.items.push_back(read(s));
  }
  return result;
}

constexpr char kMachineColumns[] =
    "SELECT id, arn, name, type, definition, role_arn, revision_id, attributes, status, "
    "created_at, updated_at FROM state_machines ";

constexpr char kExecutionColumns[] =
    "SELECT e.id, e.arn, m.arn, e.name, e.state_machine_revision_id, e.status, e.input, e.output, "
    "e.error, e.cause, e.start_time, e.stop_time, e.redrive_count, e.redrive_time, e.attributes, "
    "e.snapshot, e.last_event_id, e.updated_at, e.wake_at, e.started_by, e.parent_arn, "
    "e.map_run_arn, e.tasks_pending, e.state_machine_version, e.state_machine_alias, "
    "e.started_by_execution_arn, e.restarted_from "
    "FROM executions e JOIN state_machines m ON m.id = e.state_machine_id ";

StateMachineRecord ReadMachine(const Statement& row) {
  StateMachineRecord m;
  m.arn = row.Text(1);
  m.name = row.Text(2);
  m.type = ParseStateMachineType(row.Text(3)).value_or(StateMachineType::kStandard);
  m.definition = row.Text(4);
  m.role_arn = row.Text(5);
  m.revision_id = row.Text(6);
  m.attributes_json = row.Text(7);
  m.status = ParseStateMachineStatus(row.Text(8)).value_or(StateMachineStatus::kActive);
  m.created_at_ms = row.Int64(9);
  m.updated_at_ms = row.Int64(10);
  return m;
}

// The smallest string greater than every string that starts with `prefix`,
// byte for byte; nullopt when none is (`prefix` is all 0xff bytes).
std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

// The conditions of an ExecutionFilter over `executions e`, as ListExecutions
// and CountExecutions put them after their WHERE: one fixed SQL text per
// filter shape, so that each shape gets its index and its cached statement.
// Values are always bound, as ?3 to ?13 (?1 and ?2 are left to the
// statement). `machine_id` is the internal id of filter.state_machine_arn
// (0: any machine). Keeps a reference to `filter`.
class ExecutionConditions {
 public:
  ExecutionConditions(const ExecutionFilter& filter, int64_t machine_id, Dialect dialect)
      : filter_(filter), machine_id_(machine_id) {
    sql_ = filter.map_run_arn.empty() ? "e.map_run_arn IS NULL" : "e.map_run_arn = ?5";
    if (machine_id != 0) sql_ += " AND e.state_machine_id = ?3";
    if (filter.status) sql_ += " AND e.status = ?4";
    if (filter.version != 0) sql_ += " AND e.state_machine_version = ?6";
    if (!filter.alias.empty()) sql_ += " AND e.state_machine_alias = ?7";
    if (filter.redriven) {
      sql_ += *filter.redriven ? " AND e.redrive_count > 0" : " AND e.redrive_count = 0";
    }
    if (filter.started_after_ms) sql_ += " AND e.start_time >= ?8";
    if (filter.started_before_ms) sql_ += " AND e.start_time < ?9";
    // A name prefix as a range of names: the BINARY collation compares
    // bytes, so this is exact where LIKE or GLOB would need their wildcards
    // escaped (and LIKE folds ASCII case).
    // PostgreSQL: the successor may not be UTF-8 (text must be), and
    // starts_with compares bytes too.
    if (!filter.name_prefix.empty()) {
      if (dialect == Dialect::kPostgres) {
        sql_ += " AND starts_with(e.name, ?10)";
      } else {
        past_prefix_ = PrefixSuccessor(filter.name_prefix);
        sql_ += " AND e.name >= ?10";
        if (past_prefix_) sql_ += " AND e.name < ?11";
      }
    }
    if (!filter.error.empty()) sql_ += " AND e.error = ?12";
    if (!filter.restarted_from.empty()) sql_ += " AND e.restarted_from = ?13";
  }

  const std::string& sql() const { return sql_; }

  void Bind(Statement& s) const {
    if (machine_id_ != 0) s.Bind(3, machine_id_);
    if (filter_.status) s.Bind(4, ExecutionStatusName(*filter_.status));
    if (!filter_.map_run_arn.empty()) s.Bind(5, filter_.map_run_arn);
    if (filter_.version != 0) s.Bind(6, filter_.version);
    if (!filter_.alias.empty()) s.Bind(7, filter_.alias);
    if (filter_.started_after_ms) s.Bind(8, *filter_.started_after_ms);
    if (filter_.started_before_ms) s.Bind(9, *filter_.started_before_ms);
    if (!filter_.name_prefix.empty()) s.Bind(10, filter_.name_prefix);
    if (past_prefix_) s.Bind(11, *past_prefix_);
    if (!filter_.error.empty()) s.Bind(12, filter_.error);
    if (!filter_.restarted_from.empty()) s.Bind(13, filter_.restarted_from);
  }

 private:
  const ExecutionFilter& filter_;
  const int64_t machine_id_;
  std::optional<std::string> past_prefix_;
  std::string sql_;
};

ExecutionRecord ReadExecution(const Statement& row) {
  ExecutionRecord e;
  e.arn = row.Text(1);
  e.state_machine_arn = row.Text(2);
  e.name = row.Text(3);
  e.state_machine_revision_id = row.Text(4);
  e.status = ParseExecutionStatus(row.Text(5)).value_or(ExecutionStatus::kRunning);
  e.input = row.Text(6);
  e.output = row.OptionalText(7);
  e.error = row.OptionalText(8);
  e.cause = row.OptionalText(9);
  e.start_time_ms = row.Int64(10);
  e.stop_time_ms = row.OptionalInt64(11);
  e.redrive_count = static_cast<int>(row.Int64(12));
  e.redrive_time_ms = row.OptionalInt64(13);
  e.attributes_json = row.Text(14);
  e.snapshot = row.Blob(15);
  e.last_event_id = row.Int64(16);
  e.updated_at_ms = row.Int64(17);
  e.wake_at_ms = row.OptionalInt64(18);
  e.started_by = row.Text(19);
  e.parent_arn = row.OptionalText(20).value_or("");
  e.map_run_arn = row.OptionalText(21).value_or("");
  e.tasks_pending = static_cast<int>(row.Int64(22));
  e.state_machine_version = row.OptionalInt64(23).value_or(0);
  e.state_machine_alias = row.OptionalText(24).value_or("");
  e.started_by_execution_arn = row.OptionalText(25).value_or("");
  e.restarted_from = row.OptionalText(26).value_or("");
  return e;
}

class SqlStore final : public Store {
 public:
  SqlStore(const StoreOptions& options, Clock* clock, Dialect dialect)
      : options_(options), clock_(clock), dialect_(dialect) {}
  ~SqlStore() override {
    {
      std::lock_guard lock(checkpoint_mu_);
      closing_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  }

  // Opens the connections (and, when asked, migrates).
  Status Open();

  Status Migrate() override;
  StatusOr<int> SchemaVersion() override;

  Status CreateStateMachine(const StateMachineRecord& machine,
                            const std::vector<AuditEntry>& audit) override;
  StatusOr<StateMachineRecord> GetStateMachine(std::string_view arn) override;
  StatusOr<Page<StateMachineRecord>> ListStateMachines(const PageRequest& page) override;
  StatusOr<std::string> GetStateMachineDefinition(std::string_view arn,
                                                  std::string_view revision_id) override;
  Status UpdateStateMachine(const StateMachineRecord& machine,
                            const std::vector<AuditEntry>& audit) override;
  Status DeleteStateMachine(std::string_view arn, const std::vector<AuditEntry>& audit) override;

  StatusOr<StateMachineVersionRecord> PublishStateMachineVersion(
      std::string_view machine_arn, std::string_view expected_revision,
      const std::string& description, int64_t now_ms,
      const std::vector<AuditEntry>& audit) override;
  StatusOr<StateMachineVersionRecord> GetStateMachineVersion(std::string_view machine_arn,
                                                             int64_t version) override;
  StatusOr<Page<StateMachineVersionRecord>> ListStateMachineVersions(
      std::string_view machine_arn, const PageRequest& page) override;
  Status DeleteStateMachineVersion(std::string_view machine_arn, int64_t version,
                                   const std::vector<AuditEntry>& audit) override;
  Status CreateStateMachineAlias(const StateMachineAliasRecord& alias,
                                 const std::vector<AuditEntry>& audit) override;
  StatusOr<StateMachineAliasRecord> GetStateMachineAlias(std::string_view machine_arn,
                                                         std::string_view name) override;
  StatusOr<Page<StateMachineAliasRecord>> ListStateMachineAliases(std::string_view machine_arn,
                                                                  const PageRequest& page) override;
  Status UpdateStateMachineAlias(const StateMachineAliasRecord& alias,
                                 const std::vector<AuditEntry>& audit) override;
  Status DeleteStateMachineAlias(std::string_view machine_arn, std::string_view name,
                                 const std::vector<AuditEntry>& audit) override;

  Status CreateExecution(const ExecutionRecord& execution,
                         const std::vector<AuditEntry>& audit) override;
  StatusOr<ExecutionRecord> GetExecution(std::string_view arn) override;
  StatusOr<Page<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter,
                                                 const PageRequest& page) override;
  StatusOr<std::vector<ExecutionCount>> CountExecutions(const ExecutionFilter& filter) override;
  Status CommitTransitions(std::span<const TransitionGroup> groups,
                           std::vector<Status>* results) override;
  StatusOr<std::vector<RunningExecution>> ListRunningExecutions() override;
  Status HeartbeatNode(const NodeRecord& node) override;
  StatusOr<std::vector<NodeRecord>> ListNodes() override;
  StatusOr<std::vector<RunningExecution>> ClaimExecutions(std::string_view node_id, int64_t now_ms,
                                                          int limit, bool include_own) override;
  StatusOr<RunningExecution> ClaimExecution(std::string_view arn,
                                            std::string_view node_id) override;
  StatusOr<std::string> GetExecutionOwner(std::string_view arn) override;
  StatusOr<bool> AcquireLease(std::string_view name, std::string_view holder, int64_t now_ms,
                              int64_t expires_ms) override;
  Status ReleaseLease(std::string_view name, std::string_view holder) override;
  StatusOr<Page<HistoryEventRecord>> GetHistory(std::string_view execution_arn,
                                                const PageRequest& page, bool reverse) override;

  StatusOr<MapRunRecord> GetMapRun(std::string_view arn) override;
  StatusOr<Page<MapRunRecord>> ListMapRuns(std::string_view execution_arn,
                                           const PageRequest& page) override;
  StatusOr<MapRunExecutionCounts> CountMapRunExecutions(std::string_view arn) override;

  Status CreateActivity(const ActivityRecord& activity,
                        const std::vector<AuditEntry>& audit) override;
  StatusOr<ActivityRecord> GetActivity(std::string_view arn) override;
  StatusOr<Page<ActivityRecord>> ListActivities(const PageRequest& page) override;
  Status DeleteActivity(std::string_view arn, const std::vector<AuditEntry>& audit) override;
  Status UpdateAttributes(std::string_view arn, const std::string& attributes_json,
                          const std::vector<AuditEntry>& audit) override;
  StatusOr<ActivityTaskRecord> EnqueueActivityTask(const ActivityTaskRecord& task) override;
  StatusOr<std::optional<ActivityTaskRecord>> ClaimActivityTask(std::string_view activity_arn,
                                                                std::string_view worker_name,
                                                                std::string_view token_hash,
                                                                int64_t now_ms) override;
  StatusOr<ActivityTaskRecord> GetActivityTaskByToken(std::string_view token_hash) override;
  StatusOr<ActivityTaskRecord> FinishActivityTask(std::string_view token_hash,
                                                  const ActivityTaskRecord& update) override;
  StatusOr<ActivityTaskRecord> HeartbeatActivityTask(std::string_view token_hash,
                                                     int64_t now_ms) override;
  Status CloseActivityTask(std::string_view execution_arn, int64_t task_id) override;
  StatusOr<Page<ActivityTaskRecord>> ListActivityTasks(const ActivityTaskFilter& filter,
                                                       const PageRequest& page) override;
  StatusOr<ActivityTaskRecord> RegisterTaskToken(const ActivityTaskRecord& task,
                                                 std::string_view token_hash,
                                                 bool* recorded_now = nullptr) override;

  Status CreateConnection(const ConnectionRecord& connection,
                          const std::vector<AuditEntry>& audit) override;
  StatusOr<ConnectionRecord> GetConnection(std::string_view name) override;
  StatusOr<ConnectionRecord> GetConnectionByArn(std::string_view arn) override;
  StatusOr<Page<ConnectionRecord>> ListConnections(const ConnectionFilter& filter,
                                                   const PageRequest& page) override;
  StatusOr<int64_t> UpdateConnection(const ConnectionRecord& connection,
                                     const std::vector<AuditEntry>& audit) override;
  Status DeleteConnection(std::string_view arn, const std::vector<AuditEntry>& audit) override;
  Status ReplaceSealedParameters(const std::vector<SealedParametersUpdate>& updates,
                                 const std::vector<AuditEntry>& audit) override;

  StatusOr<RecordedDelivery> RecordLookerDelivery(const LookerDeliveryRecord& delivery,
                                                  int64_t dedup_since_ms) override;
  Status UpdateLookerDelivery(std::string_view id, std::string_view outcome,
                              std::string_view execution_arn, std::string_view message) override;
  StatusOr<LookerDeliveryRecord> GetLookerDelivery(std::string_view id) override;
  StatusOr<Page<LookerDeliveryRecord>> ListLookerDeliveries(const LookerDeliveryFilter& filter,
                                                            const PageRequest& page) override;
  StatusOr<int64_t> DeleteLookerDeliveriesBefore(int64_t received_before_ms) override;

  Status CreateArtifact(const ArtifactRecord& artifact) override;
  StatusOr<ArtifactRecord> GetArtifact(std::string_view id) override;
  Status SetArtifactExecution(std::string_view id, std::string_view execution_arn) override;
  StatusOr<std::vector<ArtifactRecord>> ListExpiredArtifacts(int64_t now_ms, size_t limit) override;
  Status DeleteArtifact(std::string_view id) override;

  Status CreateSchedule(const ScheduleRecord& schedule,
                        const std::vector<AuditEntry>& audit) override;
  StatusOr<ScheduleRecord> GetSchedule(std::string_view name) override;
  StatusOr<std::vector<ScheduleRecord>> ListSchedules() override;
  StatusOr<int64_t> UpdateSchedule(const ScheduleRecord& schedule,
                                   const std::vector<AuditEntry>& audit) override;
  Status DeleteSchedule(std::string_view name, const std::vector<AuditEntry>& audit) override;

  Status AppendAudit(const std::vector<AuditEntry>& audit) override;
  StatusOr<Page<AuditRecord>> ListAudit(const PageRequest& page) override;
  StatusOr<Page<AuditRecord>> QueryAudit(const AuditQuery& query,
                                         const PageRequest& page) override;
  // QueryAudit, naming `op` in errors (ListAudit is the query of every row).
  StatusOr<Page<AuditRecord>> QueryAuditAs(std::string_view op, const AuditQuery& query,
                                           const PageRequest& page);
  StatusOr<AuditHead> GetAuditHead() override;
  Status VerifyAuditChain() override;

  StatusOr<std::optional<int64_t>> GetNotificationCursor() override;
  StatusOr<std::vector<AuditRecord>> ListAuditTransitionsAfter(
      int64_t after_seq, const std::vector<std::string>& actions, int limit) override;
  StatusOr<std::vector<int64_t>> EnqueueNotifications(
      int64_t cursor, const std::vector<NotificationRecord>& items) override;
  StatusOr<std::vector<NotificationRecord>> ListDueNotifications(int64_t now_ms,
                                                                 int limit) override;
  Status RecordNotificationAttempt(int64_t id, const NotificationAttempt& attempt) override;
  StatusOr<NotificationRecord> GetNotification(int64_t id) override;
  StatusOr<Page<NotificationRecord>> ListNotifications(const NotificationFilter& filter,
                                                       const PageRequest& page) override;
  StatusOr<int64_t> CountNotifications(NotificationStatus status) override;
  StatusOr<NotificationRecord> RetryNotification(int64_t id, int64_t now_ms,
                                                 const std::vector<AuditEntry>& audit) override;
  StatusOr<bool> PutNotificationSink(const NotificationSinkRecord& sink,
                                     const std::vector<AuditEntry>& audit) override;
  StatusOr<std::vector<NotificationSinkRecord>> ListNotificationSinks() override;
  Status DeleteNotificationSink(std::string_view name,
                                const std::vector<AuditEntry>& audit) override;
  StatusOr<bool> PutNotificationRule(const NotificationRuleRecord& rule,
                                     const std::vector<AuditEntry>& audit) override;
  StatusOr<std::vector<NotificationRuleRecord>> ListNotificationRules() override;
  Status DeleteNotificationRule(std::string_view name,
                                const std::vector<AuditEntry>& audit) override;

 private:
  // A reader connection borrowed from the pool for one call.
  class ReaderLease {
   public:
    ReaderLease(SqlStore* store, std::unique_ptr<Connection> connection)
        : store_(store), connection_(std::move(connection)) {}
    ReaderLease(ReaderLease&&) = default;
    ~ReaderLease() {
      if (connection_) store_->ReturnReader(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    SqlStore* store_;
    std::unique_ptr<Connection> connection_;
  };

  ReaderLease AcquireReader();
  void ReturnReader(std::unique_ptr<Connection> connection);
  StatusOr<std::unique_ptr<Connection>> OpenConnection(bool writer);
  // A SQLite connection with its pragmas set.
  StatusOr<std::unique_ptr<internal::SqliteConnection>> OpenSqlite(bool writer);
  // SQLite: the directory, the writer and its pragmas, the checkpointer.
  Status OpenSqliteFiles();

  // Internal id of the machine `arn` with its status; NOT_FOUND otherwise.
  StatusOr<std::pair<int64_t, StateMachineStatus>> FindMachine(Connection& c, std::string_view arn,
                                                               std::string_view op);
  StatusOr<StateMachineRecord> ReadMachineByArn(Connection& c, std::string_view arn,
                                                std::string_view op);
  StatusOr<ExecutionRecord> ReadExecutionByArn(Connection& c, std::string_view arn,
                                               std::string_view op);
  // The internal id of the machine `filter` names (0: none), after the
  // checks ListExecutions and CountExecutions share (see Store).
  StatusOr<int64_t> FilterMachine(Connection& c, const ExecutionFilter& filter,
                                  std::string_view op);
  // Appends `audit` to the chain inside the writer's open transaction.
  Status AppendAuditLocked(const std::vector<AuditEntry>& audit, std::string_view op);
  // Inserts `execution` (after the checks of CreateExecution) inside the
  // writer's open transaction, with its last_event_id (0 for
  // CreateExecution); its internal id in *id.
  Status InsertExecutionLocked(const ExecutionRecord& execution, std::string_view op, int64_t* id,
                               int64_t last_event_id = 0, int64_t updated_at_ms = -1);
  Status RecordRevisionLocked(int64_t machine_id, const StateMachineRecord& machine,
                              std::string_view op);
  Status InsertHistoryLocked(int64_t execution_id, const Transition& transition,
                             std::string_view op);
  // Applies one transition inside the writer's open transaction.
  Status ApplyTransitionLocked(const Transition& transition);
  // What every transition does once its execution is written: closes its
  // tasks, writes its map runs, appends its audit rows.
  Status FinishTransitionLocked(int64_t execution_id, const Transition& transition);
  // Inserts `run` of execution `execution_id`, or updates the stored run of
  // its arn (all but the start time).
  Status UpsertMapRunLocked(int64_t execution_id, const MapRunRecord& run, std::string_view op);
  // The task a token was handed out for, with its table (activity_tasks or
  // task_tokens), inside the writer's open transaction.
  StatusOr<std::pair<ActivityTaskRecord, const char*>> FindTokenLocked(std::string_view token_hash,
                                                                       std::string_view op);
  Status CloseActivityTaskLocked(std::string_view execution_arn, int64_t task_id,
                                 std::string_view op);
  Status ApplyNextMigration(bool* done);
  // The machine `alias` belongs to, after CreateStateMachineAlias's and
  // UpdateStateMachineAlias's checks of it and of the versions its routes
  // name; `exists`: whether the alias must exist already (else must not).
  StatusOr<int64_t> CheckAliasLocked(const StateMachineAliasRecord& alias, bool exists,
                                     std::string_view op);
  // The stored revision of connection `arn` inside the writer's open
  // transaction, checked against `expected` (NOT_FOUND, ABORTED).
  Status CheckConnectionRevisionLocked(std::string_view arn, int64_t expected, std::string_view op);

  // A cached statement without parameters, run on the writer.
  Status RunStatement(std::string_view sql, std::string_view op) {
    STEPD_ASSIGN_OR_RETURN(Statement statement, writer_->Prepare(sql, op));
    return statement.Run();
  }

  // Forgets the cached chain head: after a rollback it may be ahead of the
  // database. writer_mu_ held.
  void ForgetAuditHead() { audit_seq_ = -1; }
  // Commits a transaction that may have appended audit rows.
  Status CommitAudited(Transaction& txn) {
    Status committed = txn.Commit();
    if (!committed.ok()) ForgetAuditHead();
    return committed;
  }

  // RecordLookerDelivery's group commit: concurrent callers queue their
  // deliveries; one of them (the leader) records every queued one in one
  // transaction while the others wait, so that deliveries cost one fsync per
  // batch instead of one each.
  struct QueuedDelivery {
    const LookerDeliveryRecord* delivery;
    int64_t dedup_since_ms;
    StatusOr<RecordedDelivery> result = InternalError("not recorded");
    bool done = false;
  };
  // Records `batch` in one transaction; a failure of the transaction fails
  // every delivery of it. writer_mu_ not held.
  void RecordDeliveryBatch(const std::vector<QueuedDelivery*>& batch);
  // One delivery inside the open write transaction (writer_mu_ held).
  StatusOr<RecordedDelivery> RecordOneDelivery(const LookerDeliveryRecord& delivery,
                                               int64_t dedup_since_ms);

  std::mutex delivery_mu_;
  std::condition_variable delivery_cv_;
  std::vector<QueuedDelivery*> delivery_queue_;  // guarded by delivery_mu_
  bool delivery_leader_ = false;                 // guarded by delivery_mu_

  const StoreOptions options_;
  Clock* const clock_;
  const Dialect dialect_;
  // The migrations of this store's dialect.
  std::span<const Migration> Migrations() const {
    return dialect_ == Dialect::kSqlite ? EmbeddedMigrations() : EmbeddedPostgresMigrations();
  }
  // Other processes write the database too (PostgreSQL): what the writer
  // caches between transactions (the audit chain's head, machines' ids) is
  // forgotten when a write transaction begins, and read again under its lock.
  // So may other handles with a node_id on one SQLite file.
  bool shared() const { return dialect_ == Dialect::kPostgres || !options_.node_id.empty(); }
  // Opens a write transaction on writer_ (writer_mu_ held).
  StatusOr<Transaction> BeginWrite(std::string_view op) {
    STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer_, true, op));
    if (shared()) {
      ForgetAuditHead();
      writer_machines_.clear();
    }
    return txn;
  }

  // The one write path: every write transaction runs on writer_ under writer_mu_.
  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by writer_mu_
  // The audit chain's head (last seq and hash), cached between writes; -1:
  // read it from the database first.
  int64_t audit_seq_ = -1;               // guarded by writer_mu_
  std::string audit_hash_;               // guarded by writer_mu_ (hex)
  std::string audit_raw_;                // guarded by writer_mu_ (the same 32 bytes)
  std::unique_ptr<AuditMac> audit_mac_;  // guarded by writer_mu_
  // State machines' ids and statuses by ARN, as the writer last saw them
  // (every change of either goes through the writer, which updates this).
  std::unordered_map<std::string, std::pair<int64_t, StateMachineStatus>>
      writer_machines_;  // guarded by writer_mu_

  // Checkpoints run here, on a connection of their own, so that commits
  // never wait for one (the writer's automatic checkpoints are off).
  void CheckpointLoop();
  std::unique_ptr<internal::SqliteConnection> checkpointer_;  // SQLite only
  std::thread checkpoint_thread_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool closing_ = false;  // guarded by checkpoint_mu_

  std::mutex readers_mu_;
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mu_
};

StatusOr<std::unique_ptr<Connection>> SqlStore::OpenConnection(bool writer) {
  if (dialect_ == Dialect::kPostgres) {
    internal::PgConfig config;
    config.url = options_.url;
    config.statement_cache_size = options_.statement_cache_size;
    config.lock_timeout_ms = options_.busy_timeout_ms;
    STEPD_ASSIGN_OR_RETURN(std::unique_ptr<internal::PgConnection> c,
                           internal::PgConnection::Open(config));
    return std::unique_ptr<Connection>(std::move(c));
  }
  STEPD_ASSIGN_OR_RETURN(std::unique_ptr<internal::SqliteConnection> c, OpenSqlite(writer));
  return std::unique_ptr<Connection>(std::move(c));
}

StatusOr<std::unique_ptr<internal::SqliteConnection>> SqlStore::OpenSqlite(bool writer) {
  internal::SqliteConnection::Config config{options_.path, writer, options_.busy_timeout_ms,
                                            options_.statement_cache_size};
  STEPD_ASSIGN_OR_RETURN(std::unique_ptr<internal::SqliteConnection> c,
                         internal::SqliteConnection::Open(config));
  constexpr std::string_view kOp = "OpenSqliteStore";
  // WAL lets readers proceed during a write; the writer connection sets it
  // (it is persistent in the file), readers only check.
  // 8 KiB pages for a new database (history rows of a few KiB pack better
  // than in 4 KiB pages); an existing one keeps its page size.
  if (writer) STEPD_RETURN_IF_ERROR(c->Exec("PRAGMA page_size=8192", kOp));
  STEPD_ASSIGN_OR_RETURN(std::string mode, c->QueryPragma("PRAGMA journal_mode=WAL", kOp));
  if (mode != "wal") {
    return FailedPreconditionError("OpenSqliteStore: database '" + options_.path +
                                   "' cannot use WAL journal mode (got '" + mode + "')");
  }
  // FULL (the default) fsyncs the WAL at every commit: a transition the
  // runtime was told is committed survives power loss, not only kill -9.
  STEPD_RETURN_IF_ERROR(c->Exec(options_.synchronous == SyncMode::kFull
                                    ? "PRAGMA synchronous=FULL"
                                    : "PRAGMA synchronous=NORMAL",
                                kOp));
  STEPD_RETURN_IF_ERROR(c->Exec("PRAGMA foreign_keys=ON", kOp));
  if (!writer) STEPD_RETURN_IF_ERROR(c->Exec("PRAGMA query_only=ON", kOp));
  return c;
}

Status SqlStore::Open() {
  const std::string op = dialect_ == Dialect::kSqlite ? "OpenSqliteStore" : "OpenPostgresStore";
  if (dialect_ == Dialect::kSqlite && options_.path.empty()) {
    return InvalidArgumentError(op + ": path is empty");
  }
  if (dialect_ == Dialect::kPostgres && options_.url.empty()) {
    return InvalidArgumentError(op + ": url is empty");
  }
  if (options_.reader_connections < 1) {
    return InvalidArgumentError(op + ": reader_connections must be at least 1, got " +
                                std::to_string(options_.reader_connections));
  }
  if (options_.busy_timeout_ms < 0) {
    return InvalidArgumentError(op + ": busy_timeout_ms must not be negative, got " +
                                std::to_string(options_.busy_timeout_ms));
  }
  if (options_.audit_key.empty()) return InvalidArgumentError(op + ": the audit key is empty");
  if (options_.statement_cache_size < 1) {
    return InvalidArgumentError(op + ": statement_cache_size must be at least 1, got " +
                                std::to_string(options_.statement_cache_size));
  }
  audit_mac_ = std::make_unique<AuditMac>(options_.audit_key);
  if (dialect_ == Dialect::kSqlite) {
    STEPD_RETURN_IF_ERROR(OpenSqliteFiles());
  } else {
    STEPD_ASSIGN_OR_RETURN(writer_, OpenConnection(/*writer=*/true));
  }
  if (options_.migrate_on_open) STEPD_RETURN_IF_ERROR(Migrate());
  for (int i = 0; i < options_.reader_connections; ++i) {
    STEPD_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, OpenConnection(/*writer=*/false));
    idle_readers_.push_back(std::move(reader));
  }
  return Status::OK();
}

Status SqlStore::OpenSqliteFiles() {
  constexpr std::string_view kOp = "OpenSqliteStore";
  std::filesystem::path parent = std::filesystem::path(options_.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return UnavailableError(std::string(kOp) + ": cannot create directory '" + parent.string() +
                              "': " + ec.message());
    }
  }
  STEPD_ASSIGN_OR_RETURN(writer_, OpenConnection(/*writer=*/true));
  STEPD_RETURN_IF_ERROR(writer_->Exec("PRAGMA wal_autocheckpoint=0", kOp));
  // When the WAL starts over, its file is cut back to this size.
  STEPD_RETURN_IF_ERROR(
      writer_->Exec("PRAGMA journal_size_limit=" + std::to_string(options_.wal_limit_bytes), kOp));
  // Group commits touch many pages: room for them without spilling (64 MiB).
  STEPD_RETURN_IF_ERROR(writer_->Exec("PRAGMA cache_size=-65536", kOp));
  STEPD_RETURN_IF_ERROR(writer_->Exec("PRAGMA temp_store=MEMORY", kOp));
  STEPD_ASSIGN_OR_RETURN(checkpointer_, OpenSqlite(/*writer=*/false));
  checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
  return Status::OK();
}

// New WAL frames per pass below which the writer is held for the last step.
constexpr int kWalCatchUpFrames = 256;

void SqlStore::CheckpointLoop() {
  // WAL frames (one page each) beyond which the WAL is made to start over.
  int page_size = 8192;
  if (auto size = checkpointer_->QueryPragma("PRAGMA page_size", "Checkpoint"); size.ok()) {
    page_size = std::max(512, std::atoi(size->c_str()));
  }
  const int64_t restart_frames = std::max<int64_t>(1, options_.wal_limit_bytes / page_size);
  std::unique_lock lock(checkpoint_mu_);
  while (!closing_) {
    checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (closing_) break;
    lock.unlock();
    // PASSIVE: copies what it can without waiting for readers or the
    // writer; the WAL restarts from its beginning once all of it is copied.
    int log_frames = 0, checkpointed = 0;
    sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                              &checkpointed);
    // Under a steady stream of commits the writer always has appended more
    // by the time a PASSIVE checkpoint ends, so the WAL would never start
    // over and would grow without bound. Past the limit the checkpointer
    // catches up without stopping the writer, then holds the writer for one
    // last short checkpoint (the few frames written meanwhile and an fsync of
    // pages mostly synced already): the next commit then writes the WAL from
    // its beginning again.
    if (log_frames >= restart_frames) {
      // Each pass copies what the writer appended during the previous one.
      for (int i = 0; i < 8; ++i) {
        const int copied_before = checkpointed;
        sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  &log_frames, &checkpointed);
        if (checkpointed - copied_before <= kWalCatchUpFrames) break;
      }
      std::lock_guard writer(writer_mu_);
      sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                &log_frames, &checkpointed);
    }
    lock.lock();
  }
}

SqlStore::ReaderLease SqlStore::AcquireReader() {
  std::unique_lock lock(readers_mu_);
  reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
  std::unique_ptr<Connection> c = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return ReaderLease(this, std::move(c));
}

void SqlStore::ReturnReader(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(readers_mu_);
    idle_readers_.push_back(std::move(connection));
  }
  reader_returned_.notify_one();
}

// --- Schema -------------------------------------------------------------------

Status SqlStore::Migrate() {
  constexpr std::string_view kOp = "Migrate";
  std::lock_guard lock(writer_mu_);
  {
    // Under the write lock: several stepd nodes may start together.
    STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer_, true, kOp));
    STEPD_RETURN_IF_ERROR(writer_->Exec(
        dialect_ == Dialect::kSqlite
            ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name "
              "TEXT NOT NULL, applied_at INTEGER NOT NULL, checksum TEXT NOT NULL)"
            : "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name "
              "TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT NOT NULL)",
        kOp));
    STEPD_RETURN_IF_ERROR(txn.Commit());
  }
  // One migration per transaction; each round re-reads what is applied, so a
  // second process migrating at the same time finds the work done.
  for (bool done = false; !done;) STEPD_RETURN_IF_ERROR(ApplyNextMigration(&done));
  return Status::OK();
}

Status SqlStore::ApplyNextMigration(bool* done) {
  constexpr std::string_view kOp = "Migrate";
  std::span<const Migration> known = Migrations();
  const int latest = LatestSchemaVersion();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  int applied = 0;
  {
    STEPD_ASSIGN_OR_RETURN(Statement rows,
                           writer_->Prepare("SELECT version, name, checksum FROM "
                                            "schema_migrations ORDER BY version DESC",
                                            kOp));
    bool first = true;
    while (true) {
      STEPD_ASSIGN_OR_RETURN(bool row, rows.Step());
      if (!row) break;
      const int64_t version = rows.Int64(0);
      if (first) {
        if (version > latest) {
          return FailedPreconditionError("Migrate: database schema version " +
                                         std::to_string(version) +
                                         " is newer than this stepd (knows up to " +
                                         std::to_string(latest) + "); upgrade stepd");
        }
        applied = static_cast<int>(version);
        first = false;
      }
      if (version < 1) {
        return FailedPreconditionError("Migrate: schema_migrations holds invalid version " +
                                       std::to_string(version));
      }
      const Migration& migration = known[static_cast<size_t>(version - 1)];
      const std::string checksum = MigrationChecksum(migration);
      if (rows.Text(2) != checksum) {
        return FailedPreconditionError(
            "Migrate: migration " + MigrationLabel(migration.version, migration.name) +
            " was changed after it was applied (database has checksum " + rows.Text(2) +
            ", this stepd has " + checksum +
            "); migrations are append-only: restore it and put the change in a new migration");
      }
    }
  }
  {
    STEPD_ASSIGN_OR_RETURN(Statement count,
                           writer_->Prepare("SELECT count(*) FROM schema_migrations", kOp));
    STEPD_ASSIGN_OR_RETURN(bool row, count.Step());
    if (row && count.Int64(0) != applied) {
      return FailedPreconditionError("Migrate: schema_migrations has gaps (" +
                                     std::to_string(count.Int64(0)) + " rows for schema version " +
                                     std::to_string(applied) + ")");
    }
  }
  if (applied >= latest) {
    *done = true;
    return txn.Commit();
  }
  const Migration& next = known[static_cast<size_t>(applied)];
  const std::string label = MigrationLabel(next.version, next.name);
  STEPD_RETURN_IF_ERROR(writer_->Exec(next.sql, "Migrate: applying migration " + label));
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO schema_migrations (version, name, applied_at, checksum) "
                       "VALUES (?1, ?2, ?3, ?4)",
                       kOp));
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now().time_since_epoch())
          .count();
  insert.Bind(1, int64_t{next.version})
      .Bind(2, next.name)
      .Bind(3, now_ms)
      .Bind(4, MigrationChecksum(next));
  STEPD_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

StatusOr<int> SqlStore::SchemaVersion() {
  constexpr std::string_view kOp = "SchemaVersion";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement exists,
      reader->Prepare(dialect_ == Dialect::kSqlite
                          ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                            "'schema_migrations'"
                          : "SELECT 1 FROM information_schema.tables WHERE table_schema = "
                            "current_schema() AND table_name = 'schema_migrations'",
                      kOp));
  STEPD_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  STEPD_ASSIGN_OR_RETURN(
      Statement max,
      reader->Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations", kOp));
  STEPD_ASSIGN_OR_RETURN(bool row, max.Step());
  return row ? static_cast<int>(max.Int64(0)) : 0;
}

// --- Helpers ------------------------------------------------------------------

StatusOr<std::pair<int64_t, StateMachineStatus>> SqlStore::FindMachine(Connection& c,
                                                                          std::string_view arn,
                                                                          std::string_view op) {
  const bool writer = &c == writer_.get();
  if (writer) {
    auto it = writer_machines_.find(std::string(arn));
    if (it != writer_machines_.end()) return it->second;
  }
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT id, status FROM state_machines WHERE arn = ?1", op));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::StateMachineNotFound(op, arn);
  auto found = std::make_pair(
      s.Int64(0), ParseStateMachineStatus(s.Text(1)).value_or(StateMachineStatus::kActive));
  if (writer) writer_machines_[std::string(arn)] = found;
  return found;
}

StatusOr<StateMachineRecord> SqlStore::ReadMachineByArn(Connection& c, std::string_view arn,
                                                           std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare(std::string(kMachineColumns) + "WHERE arn = ?1", op));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::StateMachineNotFound(op, arn);
  return ReadMachine(s);
}

StatusOr<ExecutionRecord> SqlStore::ReadExecutionByArn(Connection& c, std::string_view arn,
                                                          std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare(std::string(kExecutionColumns) + "WHERE e.arn = ?1", op));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ExecutionNotFound(op, arn);
  return ReadExecution(s);
}

StatusOr<int64_t> SqlStore::FilterMachine(Connection& c, const ExecutionFilter& filter,
                                             std::string_view op) {
  if (filter.state_machine_arn.empty()) {
    if (filter.version != 0 || !filter.alias.empty()) {
      return internal::VersionFilterWithoutMachine(op);
    }
    return 0;
  }
  STEPD_ASSIGN_OR_RETURN(auto machine, FindMachine(c, filter.state_machine_arn, op));
  return machine.first;
}

namespace {
// The audit chain works on hex hashes; the table keeps the 32 bytes.
std::string HexToBytes(std::string_view hex) {
  auto nibble = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

std::string BytesToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// Audit rows go in with multi-row INSERTs of these sizes (largest first):
// one statement per row costs more than the row.
constexpr size_t kAuditChunks[] = {16, 4, 1};

const std::string& AuditInsertSql(size_t rows) {
  static const auto* sql = new std::map<size_t, std::string>([] {
    std::map<size_t, std::string> m;
    for (size_t n : kAuditChunks) {
      std::string s =
          "INSERT INTO audit_log (seq, timestamp, actor, action, target, event_id, details, "
          "prev_hash, hash) VALUES ";
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) s += ", ";
        s += "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
      }
      m[n] = std::move(s);
    }
    return m;
  }());
  return sql->at(rows);
}
}  // namespace

Status SqlStore::AppendAuditLocked(const std::vector<AuditEntry>& audit, std::string_view op) {
  if (audit_seq_ < 0) {
    STEPD_ASSIGN_OR_RETURN(
        Statement last,
        writer_->Prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", op));
    STEPD_ASSIGN_OR_RETURN(bool row, last.Step());
    audit_seq_ = row ? last.Int64(0) : 0;
    audit_raw_ = row ? last.Blob(1) : HexToBytes(kAuditGenesisHash);
    audit_hash_ = BytesToHex(audit_raw_);
  }
  if (audit.empty()) return Status::OK();
  // The chain's links are computed first; the rows then go in by chunks.
  std::vector<std::string> hashes(audit.size());
  std::vector<std::string> raws(audit.size());
  for (size_t i = 0; i < audit.size(); ++i) {
    hashes[i] = audit_mac_->RowHash(i == 0 ? audit_hash_ : hashes[i - 1],
                                    audit_seq_ + 1 + static_cast<int64_t>(i), audit[i], &raws[i]);
  }
  size_t done = 0;
  while (done < audit.size()) {
    size_t n = 1;
    for (size_t chunk : kAuditChunks) {
      if (audit.size() - done >= chunk) {
        n = chunk;
        break;
      }
    }
    auto insert = writer_->Prepare(AuditInsertSql(n), op);
    Status inserted = insert.status();
    if (inserted.ok()) {
      int p = 1;
      for (size_t i = done; i < done + n; ++i, p += 9) {
        const AuditEntry& entry = audit[i];
        insert->Bind(p, audit_seq_ + 1 + static_cast<int64_t>(i))
            .Bind(p + 1, entry.timestamp_ms)
            .Bind(p + 2, entry.actor)
            .Bind(p + 3, entry.action)
            .Bind(p + 4, entry.target)
            .BindOptional(
                p + 5, entry.event_id > 0 ? std::optional<int64_t>(entry.event_id) : std::nullopt)
            .Bind(p + 6, entry.details_json)
            .BindBlob(p + 7, i == 0 ? audit_raw_ : raws[i - 1])
            .BindBlob(p + 8, raws[i]);
      }
      inserted = insert->Run();
    }
    if (!inserted.ok()) {
      // Rows of this call may already be in the (to be rolled back) transaction.
      ForgetAuditHead();
      return inserted;
    }
    done += n;
  }
  audit_seq_ += static_cast<int64_t>(audit.size());
  audit_hash_ = std::move(hashes.back());
  audit_raw_ = std::move(raws.back());
  return Status::OK();
}

Status SqlStore::RecordRevisionLocked(int64_t machine_id, const StateMachineRecord& machine,
                                         std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO state_machine_revisions (state_machine_id, revision_id, "
                       "definition, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                       op));
  insert.Bind(1, machine_id)
      .Bind(2, machine.revision_id)
      .Bind(3, machine.definition)
      .Bind(4, machine.updated_at_ms);
  return insert.Run();
}

// --- State machines -------------------------------------------------------------

Status SqlStore::CreateStateMachine(const StateMachineRecord& machine,
                                       const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateStateMachine";
  STEPD_RETURN_IF_ERROR(internal::ValidateStateMachine(kOp, machine));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement taken,
        writer_->Prepare("SELECT arn = ?1 FROM state_machines WHERE arn = ?1 OR name = ?2", kOp));
    taken.Bind(1, machine.arn).Bind(2, machine.name);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row) {
      return taken.Int64(0) ? internal::StateMachineArnTaken(kOp, machine.arn)
                            : internal::StateMachineNameTaken(kOp, machine.name);
    }
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                       "revision_id, attributes, status, created_at, updated_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                       kOp));
  insert.Bind(1, machine.arn)
      .Bind(2, machine.name)
      .Bind(3, StateMachineTypeName(machine.type))
      .Bind(4, machine.definition)
      .Bind(5, machine.role_arn)
      .Bind(6, machine.revision_id)
      .Bind(7, machine.attributes_json)
      .Bind(8, StateMachineStatusName(machine.status))
      .Bind(9, machine.created_at_ms)
      .Bind(10, machine.updated_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, writer_->LastInsertId(kOp));
  STEPD_RETURN_IF_ERROR(RecordRevisionLocked(machine_id, machine, kOp));
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<StateMachineRecord> SqlStore::GetStateMachine(std::string_view arn) {
  ReaderLease reader = AcquireReader();
  return ReadMachineByArn(*reader, arn, "GetStateMachine");
}

StatusOr<Page<StateMachineRecord>> SqlStore::ListStateMachines(const PageRequest& page) {
  constexpr std::string_view kOp = "ListStateMachines";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kStateMachines, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare(std::string(kMachineColumns) + "WHERE id > ?1 ORDER BY id LIMIT ?2", kOp));
  s.Bind(1, after.position).Bind(2, int64_t{limit} + 1);
  return ReadIdPage<StateMachineRecord>(s, limit, TokenKind::kStateMachines, ReadMachine);
}

StatusOr<std::string> SqlStore::GetStateMachineDefinition(std::string_view arn,
                                                             std::string_view revision_id) {
  constexpr std::string_view kOp = "GetStateMachineDefinition";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*reader, arn, kOp));
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare("SELECT definition FROM state_machine_revisions WHERE "
                                         "state_machine_id = ?1 AND revision_id = ?2",
                                         kOp));
  s.Bind(1, found.first).Bind(2, revision_id);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return NotFoundError(std::string(kOp) + ": state machine '" + std::string(arn) +
                         "' has no revision '" + std::string(revision_id) + "'");
  }
  return s.Text(0);
}

Status SqlStore::UpdateStateMachine(const StateMachineRecord& machine,
                                       const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateStateMachine";
  if (machine.definition.empty()) {
    return InvalidArgumentError("UpdateStateMachine: state machine definition is empty");
  }
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*writer_, machine.arn, kOp));
  writer_machines_.erase(machine.arn);
  if (found.second == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(kOp, machine.arn);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare("UPDATE state_machines SET definition = ?2, role_arn = ?3, "
                       "revision_id = ?4, attributes = ?5, updated_at = ?6 WHERE id = ?1",
                       kOp));
  update.Bind(1, found.first)
      .Bind(2, machine.definition)
      .Bind(3, machine.role_arn)
      .Bind(4, machine.revision_id)
      .Bind(5, machine.attributes_json)
      .Bind(6, machine.updated_at_ms);
  STEPD_RETURN_IF_ERROR(update.Run());
  STEPD_RETURN_IF_ERROR(RecordRevisionLocked(found.first, machine, kOp));
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

Status SqlStore::DeleteStateMachine(std::string_view arn, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteStateMachine";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*writer_, arn, kOp));
  writer_machines_.erase(std::string(arn));
  bool running = false;
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           writer_->Prepare("SELECT EXISTS (SELECT 1 FROM executions WHERE "
                                            "state_machine_id = ?1 AND status = 'RUNNING')",
                                            kOp));
    s.Bind(1, found.first);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    running = row && s.Int64(0) != 0;
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement change,
      writer_->Prepare(running ? "UPDATE state_machines SET status = 'DELETING' WHERE id = ?1"
                               : "DELETE FROM state_machines WHERE id = ?1",
                       kOp));
  change.Bind(1, found.first);
  STEPD_RETURN_IF_ERROR(change.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

// --- Versions and aliases ---------------------------------------------------------

namespace {
constexpr char kVersionColumns[] =
    "SELECT v.version, v.revision_id, v.role_arn, v.description, v.attributes, v.created_at "
    "FROM state_machine_versions v ";

StateMachineVersionRecord ReadVersion(const Statement& s, std::string_view machine_arn) {
  StateMachineVersionRecord v;
  v.state_machine_arn = std::string(machine_arn);
  v.version = s.Int64(0);
  v.revision_id = s.Text(1);
  v.role_arn = s.Text(2);
  v.description = s.Text(3);
  v.attributes_json = s.Text(4);
  v.created_at_ms = s.Int64(5);
  return v;
}

// An alias's routing as stored: [[version, weight], ...].
std::string EncodeRouting(const std::vector<AliasRoute>& routing) {
  Json out = Json::array();
  for (const AliasRoute& route : routing) out.push_back(Json::array({route.version, route.weight}));
  return out.dump();
}

StatusOr<std::vector<AliasRoute>> DecodeRouting(std::string_view op, std::string_view text) {
  std::vector<AliasRoute> out;
  try {
    for (const Json& route : Json::parse(text)) {
      out.push_back(AliasRoute{route.at(0).get<int64_t>(), route.at(1).get<int>()});
    }
  } catch (const std::exception& ex) {
    return DataLossError(std::string(op) + ": a stored alias routing is malformed: " + ex.what());
  }
  return out;
}

constexpr char kAliasColumns[] =
    "SELECT name, description, routing, created_at, updated_at FROM state_machine_aliases ";

StatusOr<StateMachineAliasRecord> ReadAlias(const Statement& s, std::string_view machine_arn,
                                            std::string_view op) {
  StateMachineAliasRecord a;
  a.state_machine_arn = std::string(machine_arn);
  a.name = s.Text(0);
  a.description = s.Text(1);
  STEPD_ASSIGN_OR_RETURN(a.routing, DecodeRouting(op, s.Text(2)));
  a.created_at_ms = s.Int64(3);
  a.updated_at_ms = s.Int64(4);
  return a;
}
}  // namespace

StatusOr<StateMachineVersionRecord> SqlStore::PublishStateMachineVersion(
    std::string_view machine_arn, std::string_view expected_revision,
    const std::string& description, int64_t now_ms, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "PublishStateMachineVersion";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*writer_, machine_arn, kOp));
  if (found.second == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(kOp, machine_arn);
  }
  StateMachineVersionRecord published;
  published.state_machine_arn = std::string(machine_arn);
  int64_t last_version = 0;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare("SELECT revision_id, role_arn, attributes, last_version "
                                      "FROM state_machines WHERE id = ?1",
                                      kOp));
    s.Bind(1, found.first);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::StateMachineNotFound(kOp, machine_arn);
    published.revision_id = s.Text(0);
    published.role_arn = s.Text(1);
    published.attributes_json = s.Text(2);
    last_version = s.Int64(3);
  }
  if (!expected_revision.empty() && expected_revision != published.revision_id) {
    return internal::StaleRevision(kOp, machine_arn, published.revision_id, expected_revision);
  }
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare(std::string(kVersionColumns) +
                                          "WHERE v.state_machine_id = ?1 AND v.revision_id = ?2 "
                                          "ORDER BY v.version DESC LIMIT 1",
                                      kOp));
    s.Bind(1, found.first).Bind(2, published.revision_id);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) return ReadVersion(s, machine_arn);  // published already: nothing written
  }
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare("SELECT count(*) FROM state_machine_versions WHERE state_machine_id = ?1",
                         kOp));
    s.Bind(1, found.first);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.Int64(0) >= internal::kMaxStateMachineVersions) {
      return internal::TooManyVersions(kOp, machine_arn);
    }
  }
  published.version = last_version + 1;
  published.description = description;
  published.created_at_ms = now_ms;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement insert,
        writer_->Prepare("INSERT INTO state_machine_versions (state_machine_id, version, "
                         "revision_id, role_arn, description, attributes, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         kOp));
    insert.Bind(1, found.first)
        .Bind(2, published.version)
        .Bind(3, published.revision_id)
        .Bind(4, published.role_arn)
        .Bind(5, published.description)
        .Bind(6, published.attributes_json)
        .Bind(7, published.created_at_ms);
    STEPD_RETURN_IF_ERROR(insert.Run());
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement bump,
      writer_->Prepare("UPDATE state_machines SET last_version = ?2 WHERE id = ?1", kOp));
  bump.Bind(1, found.first).Bind(2, published.version);
  STEPD_RETURN_IF_ERROR(bump.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(
      internal::WithTarget(audit, internal::VersionArn(machine_arn, published.version)), kOp));
  STEPD_RETURN_IF_ERROR(CommitAudited(txn));
  return published;
}

StatusOr<StateMachineVersionRecord> SqlStore::GetStateMachineVersion(
    std::string_view machine_arn, int64_t version) {
  constexpr std::string_view kOp = "GetStateMachineVersion";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*reader, machine_arn, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare("SELECT v.version, v.revision_id, v.role_arn, v.description, v.attributes, "
                      "v.created_at, r.definition FROM state_machine_versions v "
                      "JOIN state_machine_revisions r ON r.state_machine_id = v.state_machine_id "
                      "AND r.revision_id = v.revision_id "
                      "WHERE v.state_machine_id = ?1 AND v.version = ?2",
                      kOp));
  s.Bind(1, found.first).Bind(2, version);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::VersionNotFound(kOp, machine_arn, version);
  StateMachineVersionRecord v = ReadVersion(s, machine_arn);
  v.definition = s.Text(6);
  return v;
}

StatusOr<Page<StateMachineVersionRecord>> SqlStore::ListStateMachineVersions(
    std::string_view machine_arn, const PageRequest& page) {
  constexpr std::string_view kOp = "ListStateMachineVersions";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kVersions, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*reader, machine_arn, kOp));
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kVersionColumns) +
                                             "WHERE v.state_machine_id = ?1 AND v.version < ?2 "
                                             "ORDER BY v.version DESC LIMIT ?3",
                                         kOp));
  s.Bind(1, found.first)
      .Bind(2, after.has_position ? after.position : INT64_MAX)
      .Bind(3, int64_t{limit} + 1);
  Page<StateMachineVersionRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodePageToken(TokenKind::kVersions, result.items.back().version);
      break;
    }
    result.items.push_back(ReadVersion(s, machine_arn));
  }
  return result;
}

Status SqlStore::DeleteStateMachineVersion(std::string_view machine_arn, int64_t version,
                                              const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteStateMachineVersion";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*writer_, machine_arn, kOp));
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare(dialect_ == Dialect::kSqlite
                             ? "SELECT DISTINCT a.name FROM state_machine_aliases a, "
                               "json_each(a.routing) r WHERE a.state_machine_id = ?1 AND "
                               "json_extract(r.value, '$[0]') = ?2 ORDER BY a.name"
                             : "SELECT DISTINCT a.name FROM state_machine_aliases a, "
                               "jsonb_array_elements(a.routing::jsonb) r WHERE "
                               "a.state_machine_id = ?1 AND (r.value->>0)::bigint = ?2 "
                               "ORDER BY a.name",
                         kOp));
    s.Bind(1, found.first).Bind(2, version);
    std::vector<std::string> aliases;
    while (true) {
      STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      aliases.push_back(s.Text(0));
    }
    if (!aliases.empty()) return internal::VersionRoutedTo(kOp, machine_arn, version, aliases);
  }
  STEPD_ASSIGN_OR_RETURN(Statement del, writer_->Prepare("DELETE FROM state_machine_versions WHERE "
                                                         "state_machine_id = ?1 AND version = ?2",
                                                         kOp));
  del.Bind(1, found.first).Bind(2, version);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) {
    return internal::VersionNotFound(kOp, machine_arn, version);
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<int64_t> SqlStore::CheckAliasLocked(const StateMachineAliasRecord& alias, bool exists,
                                                std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*writer_, alias.state_machine_arn, op));
  if (found.second == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(op, alias.state_machine_arn);
  }
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           writer_->Prepare("SELECT 1 FROM state_machine_aliases WHERE "
                                            "state_machine_id = ?1 AND name = ?2",
                                            op));
    s.Bind(1, found.first).Bind(2, alias.name);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (exists && !row) return internal::AliasNotFound(op, alias.state_machine_arn, alias.name);
    if (!exists && row) return internal::AliasNameTaken(op, alias.state_machine_arn, alias.name);
  }
  for (const AliasRoute& route : alias.routing) {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           writer_->Prepare("SELECT 1 FROM state_machine_versions WHERE "
                                            "state_machine_id = ?1 AND version = ?2",
                                            op));
    s.Bind(1, found.first).Bind(2, route.version);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::VersionNotFound(op, alias.state_machine_arn, route.version);
  }
  return found.first;
}

Status SqlStore::CreateStateMachineAlias(const StateMachineAliasRecord& alias,
                                            const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateStateMachineAlias";
  STEPD_RETURN_IF_ERROR(internal::ValidateAlias(kOp, alias));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, CheckAliasLocked(alias, /*exists=*/false, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO state_machine_aliases (state_machine_id, name, description, "
                       "routing, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       kOp));
  insert.Bind(1, machine_id)
      .Bind(2, alias.name)
      .Bind(3, alias.description)
      .Bind(4, EncodeRouting(alias.routing))
      .Bind(5, alias.created_at_ms)
      .Bind(6, alias.updated_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<StateMachineAliasRecord> SqlStore::GetStateMachineAlias(std::string_view machine_arn,
                                                                    std::string_view name) {
  constexpr std::string_view kOp = "GetStateMachineAlias";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*reader, machine_arn, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare(std::string(kAliasColumns) + "WHERE state_machine_id = ?1 AND name = ?2",
                      kOp));
  s.Bind(1, found.first).Bind(2, name);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::AliasNotFound(kOp, machine_arn, name);
  return ReadAlias(s, machine_arn, kOp);
}

StatusOr<Page<StateMachineAliasRecord>> SqlStore::ListStateMachineAliases(
    std::string_view machine_arn, const PageRequest& page) {
  constexpr std::string_view kOp = "ListStateMachineAliases";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(std::string after,
                         internal::DecodeNamePageToken(kOp, TokenKind::kAliases, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*reader, machine_arn, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare(std::string(kAliasColumns) + "WHERE state_machine_id = ?1 AND name > ?2 "
                                                   "ORDER BY name LIMIT ?3",
                      kOp));
  s.Bind(1, found.first).Bind(2, after).Bind(3, int64_t{limit} + 1);
  Page<StateMachineAliasRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodeNamePageToken(TokenKind::kAliases, result.items.back().name);
      break;
    }
    STEPD_ASSIGN_OR_RETURN(StateMachineAliasRecord alias, ReadAlias(s, machine_arn, kOp));
    result.items.push_back(std::move(alias));
  }
  return result;
}

Status SqlStore::UpdateStateMachineAlias(const StateMachineAliasRecord& alias,
                                            const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateStateMachineAlias";
  STEPD_RETURN_IF_ERROR(internal::ValidateAlias(kOp, alias));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, CheckAliasLocked(alias, /*exists=*/true, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare("UPDATE state_machine_aliases SET description = ?3, routing = ?4, "
                       "updated_at = ?5 WHERE state_machine_id = ?1 AND name = ?2",
                       kOp));
  update.Bind(1, machine_id)
      .Bind(2, alias.name)
      .Bind(3, alias.description)
      .Bind(4, EncodeRouting(alias.routing))
      .Bind(5, alias.updated_at_ms);
  STEPD_RETURN_IF_ERROR(update.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

Status SqlStore::DeleteStateMachineAlias(std::string_view machine_arn, std::string_view name,
                                            const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteStateMachineAlias";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindMachine(*writer_, machine_arn, kOp));
  STEPD_ASSIGN_OR_RETURN(Statement del, writer_->Prepare("DELETE FROM state_machine_aliases WHERE "
                                                         "state_machine_id = ?1 AND name = ?2",
                                                         kOp));
  del.Bind(1, found.first).Bind(2, name);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) return internal::AliasNotFound(kOp, machine_arn, name);
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

// --- Executions -------------------------------------------------------------------

Status SqlStore::InsertExecutionLocked(const ExecutionRecord& execution, std::string_view op,
                                          int64_t* id, int64_t last_event_id,
                                          int64_t updated_at_ms) {
  STEPD_ASSIGN_OR_RETURN(auto machine, FindMachine(*writer_, execution.state_machine_arn, op));
  if (machine.second == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(op, execution.state_machine_arn);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare(
          "INSERT INTO executions (arn, state_machine_id, name, state_machine_revision_id, "
          "status, input, output, error, cause, start_time, stop_time, redrive_count, "
          "redrive_time, attributes, snapshot, last_event_id, updated_at, wake_at, started_by, "
          "parent_arn, map_run_arn, tasks_pending, state_machine_version, state_machine_alias, "
          "started_by_execution_arn, restarted_from, owner_node) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?21, ?22, "
          "?16, ?17, ?18, ?19, ?20, ?23, ?24, ?25, ?26, ?27) ON CONFLICT DO NOTHING",
          op));
  auto optional_text = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  insert.Bind(1, execution.arn)
      .Bind(2, machine.first)
      .Bind(3, execution.name)
      .Bind(4, execution.state_machine_revision_id)
      .Bind(5, ExecutionStatusName(execution.status))
      .Bind(6, execution.input)
      .BindOptional(7, execution.output)
      .BindOptional(8, execution.error)
      .BindOptional(9, execution.cause)
      .Bind(10, execution.start_time_ms)
      .BindOptional(11, execution.stop_time_ms)
      .Bind(12, int64_t{execution.redrive_count})
      .BindOptional(13, execution.redrive_time_ms)
      .Bind(14, execution.attributes_json)
      .BindBlob(15, execution.snapshot)
      .BindOptional(16, execution.wake_at_ms)
      .Bind(17, execution.started_by)
      .BindOptional(18, optional_text(execution.parent_arn))
      .BindOptional(19, optional_text(execution.map_run_arn))
      .Bind(20, int64_t{execution.tasks_pending})
      .Bind(21, last_event_id)
      .Bind(22, updated_at_ms >= 0 ? updated_at_ms : execution.start_time_ms)
      .BindOptional(23, execution.state_machine_version != 0
                            ? std::optional<int64_t>(execution.state_machine_version)
                            : std::nullopt)
      .BindOptional(24, optional_text(execution.state_machine_alias))
      .BindOptional(25, optional_text(execution.started_by_execution_arn))
      .BindOptional(26, optional_text(execution.restarted_from))
      // A Map Run's children belong to their parent's owner.
      .BindOptional(27, optional_text(execution.parent_arn.empty() ? options_.node_id : ""));
  // A taken ARN or name inserts nothing (a failed statement would end a
  // PostgreSQL transaction): then say which one is taken.
  STEPD_RETURN_IF_ERROR(insert.Run());
  if (writer_->Changes() == 0) {
    STEPD_ASSIGN_OR_RETURN(Statement taken,
                           writer_->Prepare("SELECT arn = ?1 FROM executions WHERE arn = ?1 OR "
                                            "(state_machine_id = ?2 AND name = ?3)",
                                            op));
    taken.Bind(1, execution.arn).Bind(2, machine.first).Bind(3, execution.name);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row && taken.Int64(0)) return internal::ExecutionArnTaken(op, execution.arn);
    return internal::ExecutionNameTaken(op, execution.name, execution.state_machine_arn);
  }
  STEPD_ASSIGN_OR_RETURN(*id, writer_->LastInsertId(op));
  return Status::OK();
}

Status SqlStore::CreateExecution(const ExecutionRecord& execution,
                                    const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateExecution";
  STEPD_RETURN_IF_ERROR(internal::ValidateExecution(kOp, execution));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  int64_t id = 0;
  STEPD_RETURN_IF_ERROR(InsertExecutionLocked(execution, kOp, &id));
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<ExecutionRecord> SqlStore::GetExecution(std::string_view arn) {
  ReaderLease reader = AcquireReader();
  return ReadExecutionByArn(*reader, arn, "GetExecution");
}

StatusOr<Page<ExecutionRecord>> SqlStore::ListExecutions(const ExecutionFilter& filter,
                                                            const PageRequest& page) {
  constexpr std::string_view kOp = "ListExecutions";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kExecutions, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, FilterMachine(*reader, filter, kOp));
  const ExecutionConditions where(filter, machine_id, dialect_);
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kExecutionColumns) + "WHERE e.id < ?1 AND " +
                                             where.sql() + " ORDER BY e.id DESC LIMIT ?2",
                                         kOp));
  s.Bind(1, after.has_position ? after.position : INT64_MAX).Bind(2, int64_t{limit} + 1);
  where.Bind(s);
  return ReadIdPage<ExecutionRecord>(s, limit, TokenKind::kExecutions, ReadExecution);
}

StatusOr<std::vector<ExecutionCount>> SqlStore::CountExecutions(const ExecutionFilter& filter) {
  constexpr std::string_view kOp = "CountExecutions";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, FilterMachine(*reader, filter, kOp));
  const ExecutionConditions where(filter, machine_id, dialect_);
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare("SELECT m.arn, e.status, count(*) FROM executions e JOIN state_machines m "
                      "ON m.id = e.state_machine_id WHERE " +
                          where.sql() +
                          (dialect_ == Dialect::kSqlite
                               ? " GROUP BY e.state_machine_id, e.status"
                               : " GROUP BY e.state_machine_id, m.arn, e.status"),
                      kOp));
  where.Bind(s);
  std::vector<ExecutionCount> counts;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (std::optional<ExecutionStatus> status = ParseExecutionStatus(s.Text(1))) {
      counts.push_back({s.Text(0), *status, s.Int64(2)});
    }
  }
  std::sort(counts.begin(), counts.end(), [](const ExecutionCount& a, const ExecutionCount& b) {
    return std::tie(a.state_machine_arn, a.status) < std::tie(b.state_machine_arn, b.status);
  });
  return counts;
}

Status SqlStore::InsertHistoryLocked(int64_t execution_id, const Transition& transition,
                                        std::string_view op) {
  const std::vector<HistoryEventRecord>& events = transition.events;
  if (events.empty()) return Status::OK();
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO history_chunks (execution_id, first_event_id, last_event_id, "
                       "events) VALUES (?1, ?2, ?3, ?4)",
                       op));
  insert.Bind(1, execution_id)
      .Bind(2, events.front().event_id)
      .Bind(3, events.back().event_id)
      .Bind(4,
            transition.events_chunk.empty() ? EncodeHistoryChunk(events) : transition.events_chunk);
  return insert.Run();
}

Status SqlStore::ApplyTransitionLocked(const Transition& transition) {
  constexpr std::string_view kOp = "CommitTransition";
  int64_t execution_id = 0;
  int64_t last_event_id = 0;
  const ExecutionUpdate& u = transition.update;
  if (transition.create) {
    // A new execution is inserted as the transition leaves it: one INSERT,
    // no UPDATE of the row (and its indexes) just written.
    ExecutionRecord r = *transition.create;
    if (u.status) r.status = *u.status;
    if (u.output) r.output = u.output;
    if (u.error) r.error = u.error;
    if (u.cause) r.cause = u.cause;
    if (u.stop_time_ms) r.stop_time_ms = u.stop_time_ms;
    if (u.redrive_count) r.redrive_count = *u.redrive_count;
    if (u.redrive_time_ms) r.redrive_time_ms = u.redrive_time_ms;
    if (u.snapshot) r.snapshot = *u.snapshot;
    if (u.wake_at_ms) r.wake_at_ms = *u.wake_at_ms;
    if (u.tasks_pending) r.tasks_pending = *u.tasks_pending;
    const int64_t last = transition.events.empty() ? 0 : transition.events.back().event_id;
    if (!transition.events.empty() && transition.events.front().event_id != 1) {
      return internal::CheckTransitionEvents(transition, 0);
    }
    STEPD_RETURN_IF_ERROR(InsertExecutionLocked(
        r, kOp, &execution_id, last,
        transition.updated_at_ms > 0 ? transition.updated_at_ms : r.start_time_ms));
    STEPD_RETURN_IF_ERROR(InsertHistoryLocked(execution_id, transition, kOp));
    return FinishTransitionLocked(execution_id, transition);
  }
  if (options_.node_id.empty()) {
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare("SELECT id, last_event_id FROM executions WHERE arn = ?1", kOp));
    s.Bind(1, transition.execution_arn);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::ExecutionNotFound(kOp, transition.execution_arn);
    execution_id = s.Int64(0);
    last_event_id = s.Int64(1);
  } else {
    // Several nodes: only the owner (a Map Run child's: its parent's) writes.
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare("SELECT e.id, e.last_event_id, coalesce(p.owner_node, e.owner_node) "
                         "FROM executions e LEFT JOIN executions p ON p.arn = e.parent_arn "
                         "WHERE e.arn = ?1",
                         kOp));
    s.Bind(1, transition.execution_arn);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::ExecutionNotFound(kOp, transition.execution_arn);
    execution_id = s.Int64(0);
    last_event_id = s.Int64(1);
    std::optional<std::string> owner = s.OptionalText(2);
    if (owner && *owner != options_.node_id) {
      return AbortedError(std::string(kOp) + ": execution '" + transition.execution_arn +
                          "' is owned by node '" + *owner + "'");
    }
  }
  STEPD_RETURN_IF_ERROR(internal::CheckTransitionEvents(transition, last_event_id));
  STEPD_RETURN_IF_ERROR(InsertHistoryLocked(execution_id, transition, kOp));
  const int64_t new_last =
      transition.events.empty() ? last_event_id : transition.events.back().event_id;
  // Each optional column keeps its value when its "set" flag is 0.
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare("UPDATE executions SET last_event_id = ?2, updated_at = ?3, "
                       "status = CASE WHEN ?4 <> 0 THEN ?5 ELSE status END, "
                       "output = CASE WHEN ?6 <> 0 THEN ?7 WHEN ?24 <> 0 THEN NULL ELSE output END, "
                       "error = CASE WHEN ?8 <> 0 THEN ?9 WHEN ?24 <> 0 THEN NULL ELSE error END, "
                       "cause = CASE WHEN ?10 <> 0 THEN ?11 WHEN ?24 <> 0 THEN NULL ELSE cause END, "
                       "stop_time = CASE WHEN ?12 <> 0 THEN ?13 WHEN ?24 <> 0 THEN NULL ELSE stop_time END, "
                       "redrive_count = CASE WHEN ?14 <> 0 THEN ?15 ELSE redrive_count END, "
                       "redrive_time = CASE WHEN ?16 <> 0 THEN ?17 ELSE redrive_time END, "
                       "snapshot = CASE WHEN ?18 <> 0 THEN ?19 ELSE snapshot END, "
                       "wake_at = CASE WHEN ?20 <> 0 THEN ?21 ELSE wake_at END, "
                       "tasks_pending = CASE WHEN ?22 <> 0 THEN ?23 ELSE tasks_pending END "
                       "WHERE id = ?1",
                       kOp));
  update.Bind(1, execution_id).Bind(2, new_last).Bind(3, transition.updated_at_ms);
  update.Bind(4, int64_t{u.status.has_value()})
      .Bind(5, u.status ? ExecutionStatusName(*u.status) : std::string_view("RUNNING"));
  update.Bind(6, int64_t{u.output.has_value()}).BindOptional(7, u.output);
  update.Bind(8, int64_t{u.error.has_value()}).BindOptional(9, u.error);
  update.Bind(10, int64_t{u.cause.has_value()}).BindOptional(11, u.cause);
  update.Bind(12, int64_t{u.stop_time_ms.has_value()}).BindOptional(13, u.stop_time_ms);
  update.Bind(14, int64_t{u.redrive_count.has_value()})
      .Bind(15, int64_t{u.redrive_count.value_or(0)});
  update.Bind(16, int64_t{u.redrive_time_ms.has_value()}).BindOptional(17, u.redrive_time_ms);
  update.Bind(18, int64_t{u.snapshot.has_value()})
      .BindBlob(19, u.snapshot ? std::string_view(*u.snapshot) : std::string_view());
  update.Bind(20, int64_t{u.wake_at_ms.has_value()})
      .BindOptional(21, u.wake_at_ms ? *u.wake_at_ms : std::optional<int64_t>());
  update.Bind(22, int64_t{u.tasks_pending.has_value()})
      .Bind(23, int64_t{u.tasks_pending.value_or(0)});
  update.Bind(24, int64_t{u.reopen});
  STEPD_RETURN_IF_ERROR(update.Run());
  return FinishTransitionLocked(execution_id, transition);
}

Status SqlStore::FinishTransitionLocked(int64_t execution_id, const Transition& transition) {
  constexpr std::string_view kOp = "CommitTransition";
  for (int64_t task_id : transition.closed_tasks) {
    STEPD_RETURN_IF_ERROR(CloseActivityTaskLocked(transition.execution_arn, task_id, kOp));
  }
  for (const MapRunRecord& run : transition.map_runs) {
    STEPD_RETURN_IF_ERROR(UpsertMapRunLocked(execution_id, run, kOp));
  }
  return AppendAuditLocked(transition.audit, kOp);
}

Status SqlStore::UpsertMapRunLocked(int64_t execution_id, const MapRunRecord& run,
                                       std::string_view op) {
  // A run of another execution is left alone (the WHERE) and reported.
  STEPD_ASSIGN_OR_RETURN(
      Statement upsert,
      writer_->Prepare(
          "INSERT INTO map_runs (arn, execution_id, status, max_concurrency, "
          "tolerated_failure_count, tolerated_failure_percentage, total_items, total_executions, "
          "started_at, stopped_at, redrive_count, redriven_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
          "ON CONFLICT (arn) DO UPDATE SET status = excluded.status, "
          "max_concurrency = excluded.max_concurrency, "
          "tolerated_failure_count = excluded.tolerated_failure_count, "
          "tolerated_failure_percentage = excluded.tolerated_failure_percentage, "
          "total_items = excluded.total_items, total_executions = excluded.total_executions, "
          "stopped_at = excluded.stopped_at, redrive_count = excluded.redrive_count, "
          "redriven_at = excluded.redriven_at "
          "WHERE map_runs.execution_id = excluded.execution_id",
          op));
  upsert.Bind(1, run.arn)
      .Bind(2, execution_id)
      .Bind(3, MapRunStatusName(run.status))
      .Bind(4, run.max_concurrency)
      .Bind(5, run.tolerated_failure_count)
      .BindDouble(6, run.tolerated_failure_percentage)
      .Bind(7, run.total_items)
      .Bind(8, run.total_executions)
      .Bind(9, run.start_time_ms)
      .BindOptional(10, run.stop_time_ms)
      .Bind(11, run.redrive_count)
      .BindOptional(12, run.redrive_time_ms);
  STEPD_RETURN_IF_ERROR(upsert.Run());
  if (writer_->Changes() != 0) return Status::OK();
  STEPD_ASSIGN_OR_RETURN(Statement owner,
                         writer_->Prepare("SELECT e.arn FROM map_runs r JOIN executions e ON "
                                          "e.id = r.execution_id WHERE r.arn = ?1",
                                          op));
  owner.Bind(1, run.arn);
  STEPD_ASSIGN_OR_RETURN(bool row, owner.Step());
  if (!row) return InternalError(std::string(op) + ": map run '" + run.arn + "' was not written");
  return internal::MapRunOfAnotherExecution(op, run.arn, owner.Text(0), run.execution_arn);
}

Status SqlStore::CommitTransitions(std::span<const TransitionGroup> groups,
                                      std::vector<Status>* results) {
  constexpr std::string_view kOp = "CommitTransition";
  results->assign(groups.size(), Status::OK());
  std::vector<bool> pending(groups.size(), true);
  for (size_t i = 0; i < groups.size(); ++i) {
    for (const Transition& t : groups[i]) {
      Status v = internal::ValidateTransition(t);
      if (!v.ok()) {
        (*results)[i] = std::move(v);
        pending[i] = false;
        break;
      }
    }
  }
  std::lock_guard lock(writer_mu_);
  // Optimistic: all groups in one transaction without savepoints (a
  // savepoint copies every page it touches first). A group that fails makes
  // the transaction start over without it; such failures (a name already
  // taken, a replayed commit) are rare.
  while (true) {
    if (audit_seq_ < 0) {
      // Load the head now, so that a retry restores it without a query.
      STEPD_RETURN_IF_ERROR(AppendAuditLocked({}, kOp));
    }
    const int64_t audit_seq = audit_seq_;
    const std::string audit_hash = audit_hash_;
    const std::string audit_raw = audit_raw_;
    auto txn = BeginWrite(kOp);
    if (!txn.ok()) return txn.status();
    std::optional<size_t> failed;
    Status applied;
    for (size_t i = 0; i < groups.size() && !failed; ++i) {
      if (!pending[i]) continue;
      for (const Transition& t : groups[i]) {
        applied = ApplyTransitionLocked(t);
        if (!applied.ok()) {
          failed = i;
          break;
        }
      }
    }
    if (!failed) return CommitAudited(*txn);
    // The transaction rolls back (txn's destructor); so does the chain head.
    ForgetAuditHead();
    const StatusCode code = applied.code();
    const bool group_error = code == StatusCode::kAlreadyExists ||
                             code == StatusCode::kFailedPrecondition ||
                             code == StatusCode::kNotFound || code == StatusCode::kInvalidArgument ||
                             code == StatusCode::kAborted;
    // Anything but an error of the request itself (I/O, disk full, busy)
    // fails the whole commit.
    if (!group_error) return applied;
    audit_seq_ = audit_seq;
    audit_hash_ = audit_hash;
    audit_raw_ = audit_raw;
    (*results)[*failed] = std::move(applied);
    pending[*failed] = false;
  }
}

StatusOr<std::vector<RunningExecution>> SqlStore::ListRunningExecutions() {
  constexpr std::string_view kOp = "ListRunningExecutions";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare("SELECT arn, wake_at, tasks_pending FROM executions WHERE "
                                         "status = 'RUNNING' AND parent_arn IS NULL ORDER BY id",
                                         kOp));
  std::vector<RunningExecution> out;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(RunningExecution{s.Text(0), s.OptionalInt64(1), static_cast<int>(s.Int64(2))});
  }
  return out;
}

// --- Nodes --------------------------------------------------------------------

Status SqlStore::HeartbeatNode(const NodeRecord& node) {
  constexpr std::string_view kOp = "HeartbeatNode";
  if (node.node_id.empty()) return InvalidArgumentError("HeartbeatNode: the node id is empty");
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      writer_->Prepare("INSERT INTO nodes (node_id, address, started_ms, heartbeat_ms, expires_ms) "
                       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (node_id) DO UPDATE SET "
                       "address = excluded.address, started_ms = excluded.started_ms, "
                       "heartbeat_ms = excluded.heartbeat_ms, expires_ms = excluded.expires_ms",
                       kOp));
  s.Bind(1, node.node_id)
      .Bind(2, node.address)
      .Bind(3, node.started_ms)
      .Bind(4, node.heartbeat_ms)
      .Bind(5, node.expires_ms);
  STEPD_RETURN_IF_ERROR(s.Run());
  return txn.Commit();
}

StatusOr<std::vector<NodeRecord>> SqlStore::ListNodes() {
  constexpr std::string_view kOp = "ListNodes";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare("SELECT node_id, address, started_ms, "
                                                      "heartbeat_ms, expires_ms FROM nodes "
                                                      "ORDER BY node_id",
                                                      kOp));
  std::vector<NodeRecord> out;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(NodeRecord{s.Text(0), s.Text(1), s.Int64(2), s.Int64(3), s.Int64(4)});
  }
  return out;
}

StatusOr<std::vector<RunningExecution>> SqlStore::ClaimExecutions(std::string_view node_id,
                                                                  int64_t now_ms, int limit,
                                                                  bool include_own) {
  constexpr std::string_view kOp = "ClaimExecutions";
  if (node_id.empty()) return InvalidArgumentError("ClaimExecutions: the node id is empty");
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  std::vector<std::pair<int64_t, RunningExecution>> claimed;
  {
    // The write lock is held: no other node claims or commits meanwhile.
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare("SELECT e.id, e.arn, e.wake_at, e.tasks_pending FROM executions e "
                         "LEFT JOIN nodes n ON n.node_id = e.owner_node WHERE e.status = "
                         "'RUNNING' AND e.parent_arn IS NULL AND ((e.owner_node = ?1 AND ?3 <> 0) "
                         "OR e.owner_node IS NULL OR (e.owner_node <> ?1 AND (n.node_id IS NULL "
                         "OR n.expires_ms <= ?2))) ORDER BY e.id LIMIT ?4",
                         kOp));
    s.Bind(1, node_id).Bind(2, now_ms).Bind(3, int64_t{include_own}).Bind(4, int64_t{limit});
    while (true) {
      STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      claimed.emplace_back(
          s.Int64(0), RunningExecution{s.Text(1), s.OptionalInt64(2), static_cast<int>(s.Int64(3))});
    }
  }
  for (const auto& [id, execution] : claimed) {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare("UPDATE executions SET owner_node = ?2 WHERE id = ?1", kOp));
    s.Bind(1, id).Bind(2, node_id);
    STEPD_RETURN_IF_ERROR(s.Run());
  }
  STEPD_RETURN_IF_ERROR(txn.Commit());
  std::vector<RunningExecution> out;
  for (auto& [id, execution] : claimed) out.push_back(std::move(execution));
  return out;
}

StatusOr<RunningExecution> SqlStore::ClaimExecution(std::string_view arn,
                                                    std::string_view node_id) {
  constexpr std::string_view kOp = "ClaimExecution";
  if (node_id.empty()) return InvalidArgumentError("ClaimExecution: the node id is empty");
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  RunningExecution out;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare("SELECT status, parent_arn, wake_at, tasks_pending FROM "
                                      "executions WHERE arn = ?1",
                                      kOp));
    s.Bind(1, arn);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::ExecutionNotFound(kOp, arn);
    if (s.Text(0) != "RUNNING" || !s.IsNull(1)) {
      return FailedPreconditionError(std::string(kOp) + ": execution '" + std::string(arn) +
                                     (s.IsNull(1) ? "' is " + s.Text(0)
                                                  : std::string("' is a Map Run's child")));
    }
    out = RunningExecution{std::string(arn), s.OptionalInt64(2), static_cast<int>(s.Int64(3))};
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement s, writer_->Prepare("UPDATE executions SET owner_node = ?2 WHERE arn = ?1", kOp));
  s.Bind(1, arn).Bind(2, node_id);
  STEPD_RETURN_IF_ERROR(s.Run());
  STEPD_RETURN_IF_ERROR(txn.Commit());
  return out;
}

StatusOr<std::string> SqlStore::GetExecutionOwner(std::string_view arn) {
  constexpr std::string_view kOp = "GetExecutionOwner";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare("SELECT coalesce(p.owner_node, e.owner_node, '') FROM executions e LEFT "
                      "JOIN executions p ON p.arn = e.parent_arn WHERE e.arn = ?1",
                      kOp));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ExecutionNotFound(kOp, arn);
  return s.Text(0);
}

StatusOr<bool> SqlStore::AcquireLease(std::string_view name, std::string_view holder,
                                      int64_t now_ms, int64_t expires_ms) {
  constexpr std::string_view kOp = "AcquireLease";
  if (name.empty() || holder.empty()) {
    return InvalidArgumentError("AcquireLease: the lease name and holder must not be empty");
  }
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      writer_->Prepare("INSERT INTO leases (name, holder, acquired_ms, expires_ms) VALUES (?1, "
                       "?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                       "acquired_ms = CASE WHEN leases.holder = excluded.holder THEN "
                       "leases.acquired_ms ELSE excluded.acquired_ms END, expires_ms = "
                       "excluded.expires_ms WHERE leases.holder = excluded.holder OR "
                       "leases.expires_ms <= ?3",
                       kOp));
  s.Bind(1, name).Bind(2, holder).Bind(3, now_ms).Bind(4, expires_ms);
  STEPD_RETURN_IF_ERROR(s.Run());
  const bool held = writer_->Changes() > 0;
  STEPD_RETURN_IF_ERROR(txn.Commit());
  return held;
}

Status SqlStore::ReleaseLease(std::string_view name, std::string_view holder) {
  constexpr std::string_view kOp = "ReleaseLease";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement s, writer_->Prepare("DELETE FROM leases WHERE name = ?1 AND holder = ?2", kOp));
  s.Bind(1, name).Bind(2, holder);
  STEPD_RETURN_IF_ERROR(s.Run());
  return txn.Commit();
}

StatusOr<Page<HistoryEventRecord>> SqlStore::GetHistory(std::string_view execution_arn,
                                                           const PageRequest& page, bool reverse) {
  constexpr std::string_view kOp = "GetHistory";
  const TokenKind kind = reverse ? TokenKind::kHistoryReverse : TokenKind::kHistory;
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after, internal::DecodePageToken(kOp, kind, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  int64_t execution_id = 0;
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           reader->Prepare("SELECT id FROM executions WHERE arn = ?1", kOp));
    s.Bind(1, execution_arn);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::ExecutionNotFound(kOp, execution_arn);
    execution_id = s.Int64(0);
  }
  // Chunks overlapping the wanted ids, in order; events outside the range
  // are skipped while decoding.
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare(reverse ? "SELECT events FROM history_chunks WHERE execution_id = ?1 AND "
                                "first_event_id < ?2 ORDER BY first_event_id DESC"
                              : "SELECT events FROM history_chunks WHERE execution_id = ?1 AND "
                                "last_event_id > ?2 ORDER BY first_event_id",
                      kOp));
  const int64_t start = after.has_position ? after.position : (reverse ? INT64_MAX : 0);
  s.Bind(1, execution_id).Bind(2, start);
  Page<HistoryEventRecord> result;
  bool more = false;
  while (!more) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    STEPD_ASSIGN_OR_RETURN(std::vector<HistoryEventRecord> events,
                           internal::DecodeHistoryChunk(kOp, s.Text(0)));
    if (reverse) std::reverse(events.begin(), events.end());
    for (HistoryEventRecord& e : events) {
      if (reverse ? e.event_id >= start : e.event_id <= start) continue;
      if (static_cast<int>(result.items.size()) == limit) {
        more = true;
        break;
      }
      result.items.push_back(std::move(e));
    }
  }
  if (more) result.next_token = internal::EncodePageToken(kind, result.items.back().event_id);
  return result;
}

// --- Map Runs ------------------------------------------------------------------------

namespace {
constexpr char kMapRunColumns[] =
    "SELECT r.id, r.arn, e.arn, r.status, r.max_concurrency, r.tolerated_failure_count, "
    "r.tolerated_failure_percentage, r.total_items, r.total_executions, r.started_at, "
    "r.stopped_at, r.redrive_count, r.redriven_at FROM map_runs r "
    "JOIN executions e ON e.id = r.execution_id ";

MapRunRecord ReadMapRun(const Statement& s) {
  MapRunRecord r;
  r.arn = s.Text(1);
  r.execution_arn = s.Text(2);
  r.status = ParseMapRunStatus(s.Text(3)).value_or(MapRunStatus::kRunning);
  r.max_concurrency = s.Int64(4);
  r.tolerated_failure_count = s.Int64(5);
  r.tolerated_failure_percentage = s.Double(6);
  r.total_items = s.Int64(7);
  r.total_executions = s.Int64(8);
  r.start_time_ms = s.Int64(9);
  r.stop_time_ms = s.OptionalInt64(10);
  r.redrive_count = s.Int64(11);
  r.redrive_time_ms = s.OptionalInt64(12);
  return r;
}
}  // namespace

StatusOr<MapRunRecord> SqlStore::GetMapRun(std::string_view arn) {
  constexpr std::string_view kOp = "GetMapRun";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kMapRunColumns) + "WHERE r.arn = ?1", kOp));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::MapRunNotFound(kOp, arn);
  return ReadMapRun(s);
}

StatusOr<Page<MapRunRecord>> SqlStore::ListMapRuns(std::string_view execution_arn,
                                                      const PageRequest& page) {
  constexpr std::string_view kOp = "ListMapRuns";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kMapRuns, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  int64_t execution_id = 0;
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           reader->Prepare("SELECT id FROM executions WHERE arn = ?1", kOp));
    s.Bind(1, execution_arn);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::ExecutionNotFound(kOp, execution_arn);
    execution_id = s.Int64(0);
  }
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare(std::string(kMapRunColumns) +
                                                          "WHERE r.execution_id = ?1 AND r.id < ?2 "
                                                          "ORDER BY r.id DESC LIMIT ?3",
                                                      kOp));
  s.Bind(1, execution_id)
      .Bind(2, after.has_position ? after.position : INT64_MAX)
      .Bind(3, int64_t{limit} + 1);
  return ReadIdPage<MapRunRecord>(s, limit, TokenKind::kMapRuns, ReadMapRun);
}

StatusOr<MapRunExecutionCounts> SqlStore::CountMapRunExecutions(std::string_view arn) {
  constexpr std::string_view kOp = "CountMapRunExecutions";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           reader->Prepare("SELECT 1 FROM map_runs WHERE arn = ?1", kOp));
    s.Bind(1, arn);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::MapRunNotFound(kOp, arn);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement s, reader->Prepare("SELECT status, count(*) FROM executions WHERE map_run_arn = ?1 "
                                   "GROUP BY status",
                                   kOp));
  s.Bind(1, arn);
  MapRunExecutionCounts counts;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (std::optional<ExecutionStatus> status = ParseExecutionStatus(s.Text(0))) {
      internal::CountMapRunChildren(*status, s.Int64(1), &counts);
    }
  }
  return counts;
}

// --- Activities ----------------------------------------------------------------------

namespace {
constexpr char kActivityColumns[] = "SELECT id, arn, name, attributes, created_at FROM activities ";

ActivityRecord ReadActivity(const Statement& s) {
  return ActivityRecord{s.Text(1), s.Text(2), s.Text(3), s.Int64(4)};
}

constexpr char kActivityTaskColumns[] =
    "SELECT a.arn, t.execution_arn, t.task_id, t.input, t.state, coalesce(t.worker_name, ''), "
    "t.created_at, t.started_at, t.heartbeat_at, t.output, t.error, t.cause "
    "FROM activity_tasks t JOIN activities a ON a.id = t.activity_id ";

// task_tokens rows read as ActivityTaskRecords: activity_arn is the Task's
// Resource, started when recorded.
constexpr char kTaskTokenColumns[] =
    "SELECT t.resource, t.execution_arn, t.task_id, '{}', t.state, '', t.created_at, "
    "t.created_at, t.heartbeat_at, t.output, t.error, t.cause FROM task_tokens t ";

ActivityTaskRecord ReadActivityTask(const Statement& s) {
  ActivityTaskRecord t;
  t.activity_arn = s.Text(0);
  t.execution_arn = s.Text(1);
  t.task_id = s.Int64(2);
  t.input = s.Text(3);
  t.state = ParseActivityTaskState(s.Text(4)).value_or(ActivityTaskState::kClosed);
  t.worker_name = s.Text(5);
  t.created_at_ms = s.Int64(6);
  t.started_at_ms = s.OptionalInt64(7);
  t.heartbeat_at_ms = s.OptionalInt64(8);
  t.output = s.OptionalText(9);
  t.error = s.OptionalText(10);
  t.cause = s.OptionalText(11);
  return t;
}
}  // namespace

Status SqlStore::CreateActivity(const ActivityRecord& activity,
                                   const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateActivity";
  STEPD_RETURN_IF_ERROR(internal::ValidateActivity(kOp, activity));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement taken,
        writer_->Prepare("SELECT arn = ?1 FROM activities WHERE arn = ?1 OR name = ?2", kOp));
    taken.Bind(1, activity.arn).Bind(2, activity.name);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row) {
      return taken.Int64(0) ? internal::ActivityArnTaken(kOp, activity.arn)
                            : internal::ActivityNameTaken(kOp, activity.name);
    }
  }
  STEPD_ASSIGN_OR_RETURN(Statement insert,
                         writer_->Prepare("INSERT INTO activities (arn, name, attributes, "
                                          "created_at) VALUES (?1, ?2, ?3, ?4)",
                                          kOp));
  insert.Bind(1, activity.arn)
      .Bind(2, activity.name)
      .Bind(3, activity.attributes_json)
      .Bind(4, activity.created_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<ActivityRecord> SqlStore::GetActivity(std::string_view arn) {
  constexpr std::string_view kOp = "GetActivity";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kActivityColumns) + "WHERE arn = ?1", kOp));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ActivityNotFound(kOp, arn);
  return ReadActivity(s);
}

StatusOr<Page<ActivityRecord>> SqlStore::ListActivities(const PageRequest& page) {
  constexpr std::string_view kOp = "ListActivities";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kActivities, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare(std::string(kActivityColumns) + "WHERE id > ?1 ORDER BY id LIMIT ?2", kOp));
  s.Bind(1, after.position).Bind(2, int64_t{limit} + 1);
  return ReadIdPage<ActivityRecord>(s, limit, TokenKind::kActivities, ReadActivity);
}

Status SqlStore::DeleteActivity(std::string_view arn, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteActivity";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(Statement del,
                         writer_->Prepare("DELETE FROM activities WHERE arn = ?1", kOp));
  del.Bind(1, arn);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) return internal::ActivityNotFound(kOp, arn);
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

Status SqlStore::UpdateAttributes(std::string_view arn, const std::string& attributes_json,
                                     const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateAttributes";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  int changed = 0;
  for (const char* sql : {"UPDATE state_machines SET attributes = ?2 WHERE arn = ?1",
                          "UPDATE activities SET attributes = ?2 WHERE arn = ?1"}) {
    STEPD_ASSIGN_OR_RETURN(Statement update, writer_->Prepare(sql, kOp));
    update.Bind(1, arn).Bind(2, attributes_json);
    STEPD_RETURN_IF_ERROR(update.Run());
    changed += writer_->Changes();
  }
  if (changed == 0) return internal::ResourceNotFound(kOp, arn);
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<ActivityTaskRecord> SqlStore::EnqueueActivityTask(const ActivityTaskRecord& task) {
  constexpr std::string_view kOp = "EnqueueActivityTask";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement known,
                           writer_->Prepare(std::string(kActivityTaskColumns) +
                                                "WHERE t.execution_arn = ?1 AND t.task_id = ?2",
                                            kOp));
    known.Bind(1, task.execution_arn).Bind(2, task.task_id);
    STEPD_ASSIGN_OR_RETURN(bool row, known.Step());
    if (row) return ReadActivityTask(known);
  }
  int64_t activity_id = 0;
  {
    STEPD_ASSIGN_OR_RETURN(Statement find,
                           writer_->Prepare("SELECT id FROM activities WHERE arn = ?1", kOp));
    find.Bind(1, task.activity_arn);
    STEPD_ASSIGN_OR_RETURN(bool row, find.Step());
    if (!row) return internal::ActivityNotFound(kOp, task.activity_arn);
    activity_id = find.Int64(0);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO activity_tasks (activity_id, execution_arn, task_id, input, "
                       "state, created_at) VALUES (?1, ?2, ?3, ?4, 'QUEUED', ?5)",
                       kOp));
  insert.Bind(1, activity_id)
      .Bind(2, task.execution_arn)
      .Bind(3, task.task_id)
      .Bind(4, task.input)
      .Bind(5, task.created_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());
  STEPD_RETURN_IF_ERROR(txn.Commit());
  ActivityTaskRecord queued = task;
  queued.state = ActivityTaskState::kQueued;
  return queued;
}

StatusOr<ActivityTaskRecord> SqlStore::RegisterTaskToken(const ActivityTaskRecord& task,
                                                            std::string_view token_hash,
                                                            bool* recorded_now) {
  constexpr std::string_view kOp = "RegisterTaskToken";
  if (recorded_now) *recorded_now = false;
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement known,
                           writer_->Prepare(std::string(kTaskTokenColumns) +
                                                "WHERE t.execution_arn = ?1 AND t.task_id = ?2",
                                            kOp));
    known.Bind(1, task.execution_arn).Bind(2, task.task_id);
    STEPD_ASSIGN_OR_RETURN(bool row, known.Step());
    if (row) return ReadActivityTask(known);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO task_tokens (token_hash, execution_arn, task_id, resource, "
                       "state, created_at, heartbeat_at) VALUES (?1, ?2, ?3, ?4, 'STARTED', ?5, ?5)",
                       kOp));
  insert.BindBlob(1, token_hash)
      .Bind(2, task.execution_arn)
      .Bind(3, task.task_id)
      .Bind(4, task.activity_arn)
      .Bind(5, task.created_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());  // ALREADY_EXISTS: the token is another task's
  STEPD_RETURN_IF_ERROR(txn.Commit());
  if (recorded_now) *recorded_now = true;
  ActivityTaskRecord recorded = task;
  recorded.input = "{}";
  recorded.state = ActivityTaskState::kStarted;
  recorded.started_at_ms = task.created_at_ms;
  recorded.heartbeat_at_ms = task.created_at_ms;
  return recorded;
}

StatusOr<std::optional<ActivityTaskRecord>> SqlStore::ClaimActivityTask(
    std::string_view activity_arn, std::string_view worker_name, std::string_view token_hash,
    int64_t now_ms) {
  constexpr std::string_view kOp = "ClaimActivityTask";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  int64_t id = 0;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement oldest,
        writer_->Prepare("SELECT t.id FROM activity_tasks t JOIN activities a ON a.id = "
                         "t.activity_id WHERE a.arn = ?1 AND t.state = 'QUEUED' ORDER BY t.id "
                         "LIMIT 1",
                         kOp));
    oldest.Bind(1, activity_arn);
    STEPD_ASSIGN_OR_RETURN(bool row, oldest.Step());
    if (!row) return std::optional<ActivityTaskRecord>();
    id = oldest.Int64(0);
  }
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement claim,
        writer_->Prepare("UPDATE activity_tasks SET state = 'STARTED', token_hash = ?2, "
                         "worker_name = ?3, started_at = ?4, heartbeat_at = ?4 WHERE id = ?1",
                         kOp));
    claim.Bind(1, id).BindBlob(2, token_hash).Bind(3, worker_name).Bind(4, now_ms);
    STEPD_RETURN_IF_ERROR(claim.Run());
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement read, writer_->Prepare(std::string(kActivityTaskColumns) + "WHERE t.id = ?1", kOp));
  read.Bind(1, id);
  STEPD_ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return InternalError("ClaimActivityTask: the claimed task vanished");
  ActivityTaskRecord claimed = ReadActivityTask(read);
  STEPD_RETURN_IF_ERROR(txn.Commit());
  return std::optional<ActivityTaskRecord>(std::move(claimed));
}

StatusOr<ActivityTaskRecord> SqlStore::GetActivityTaskByToken(std::string_view token_hash) {
  constexpr std::string_view kOp = "GetActivityTaskByToken";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare(std::string(kActivityTaskColumns) + "WHERE t.token_hash = ?1", kOp));
  s.BindBlob(1, token_hash);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) return ReadActivityTask(s);
  STEPD_ASSIGN_OR_RETURN(
      Statement t, reader->Prepare(std::string(kTaskTokenColumns) + "WHERE t.token_hash = ?1", kOp));
  t.BindBlob(1, token_hash);
  STEPD_ASSIGN_OR_RETURN(row, t.Step());
  if (!row) return internal::TaskTokenNotFound(kOp);
  return ReadActivityTask(t);
}

StatusOr<std::pair<ActivityTaskRecord, const char*>> SqlStore::FindTokenLocked(
    std::string_view token_hash, std::string_view op) {
  for (const auto& [columns, table] :
       {std::pair{kActivityTaskColumns, "activity_tasks"}, {kTaskTokenColumns, "task_tokens"}}) {
    STEPD_ASSIGN_OR_RETURN(
        Statement read, writer_->Prepare(std::string(columns) + "WHERE t.token_hash = ?1", op));
    read.BindBlob(1, token_hash);
    STEPD_ASSIGN_OR_RETURN(bool row, read.Step());
    if (row) return std::pair<ActivityTaskRecord, const char*>(ReadActivityTask(read), table);
  }
  return internal::TaskTokenNotFound(op);
}

StatusOr<ActivityTaskRecord> SqlStore::FinishActivityTask(std::string_view token_hash,
                                                             const ActivityTaskRecord& update) {
  constexpr std::string_view kOp = "FinishActivityTask";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindTokenLocked(token_hash, kOp));
  auto& [task, table] = found;
  if (task.state != ActivityTaskState::kStarted) return internal::TaskNotStarted(kOp, task.state);
  STEPD_ASSIGN_OR_RETURN(
      Statement finish,
      writer_->Prepare(std::string("UPDATE ") + table +
                           " SET state = ?2, output = ?3, error = ?4, cause = ?5 "
                           "WHERE token_hash = ?1",
                       kOp));
  finish.BindBlob(1, token_hash)
      .Bind(2, ActivityTaskStateName(update.state))
      .BindOptional(3, update.output)
      .BindOptional(4, update.error)
      .BindOptional(5, update.cause);
  STEPD_RETURN_IF_ERROR(finish.Run());
  STEPD_RETURN_IF_ERROR(txn.Commit());
  task.state = update.state;
  task.output = update.output;
  task.error = update.error;
  task.cause = update.cause;
  return task;
}

StatusOr<ActivityTaskRecord> SqlStore::HeartbeatActivityTask(std::string_view token_hash,
                                                                int64_t now_ms) {
  constexpr std::string_view kOp = "HeartbeatActivityTask";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(auto found, FindTokenLocked(token_hash, kOp));
  auto& [task, table] = found;
  if (task.state != ActivityTaskState::kStarted) return internal::TaskNotStarted(kOp, task.state);
  STEPD_ASSIGN_OR_RETURN(
      Statement beat,
      writer_->Prepare(
          std::string("UPDATE ") + table + " SET heartbeat_at = ?2 WHERE token_hash = ?1", kOp));
  beat.BindBlob(1, token_hash).Bind(2, now_ms);
  STEPD_RETURN_IF_ERROR(beat.Run());
  STEPD_RETURN_IF_ERROR(txn.Commit());
  task.heartbeat_at_ms = now_ms;
  return task;
}

Status SqlStore::CloseActivityTask(std::string_view execution_arn, int64_t task_id) {
  std::lock_guard lock(writer_mu_);
  return CloseActivityTaskLocked(execution_arn, task_id, "CloseActivityTask");
}

Status SqlStore::CloseActivityTaskLocked(std::string_view execution_arn, int64_t task_id,
                                            std::string_view op) {
  for (const char* sql :
       {"UPDATE activity_tasks SET state = 'CLOSED' WHERE execution_arn = ?1 AND task_id = ?2",
        "UPDATE task_tokens SET state = 'CLOSED' WHERE execution_arn = ?1 AND task_id = ?2"}) {
    STEPD_ASSIGN_OR_RETURN(Statement close, writer_->Prepare(sql, op));
    close.Bind(1, execution_arn).Bind(2, task_id);
    STEPD_RETURN_IF_ERROR(close.Run());
  }
  return Status::OK();
}

StatusOr<Page<ActivityTaskRecord>> SqlStore::ListActivityTasks(const ActivityTaskFilter& filter,
                                                                  const PageRequest& page) {
  constexpr std::string_view kOp = "ListActivityTasks";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::TaskPosition after, internal::DecodeTaskPageToken(kOp, page));
  // Both tables, each read in the listing order and merged (UNION ALL with
  // the ORDER BY of the compound). When only pending states are asked for,
  // the conditions of the partial indexes of 0012 are written out as there,
  // so that only pending rows are read; other states scan the tables.
  // task_tokens never holds QUEUED.
  const std::vector<ActivityTaskState> states = internal::SelectedTaskStates(filter);
  const bool pending =
      states == std::vector{ActivityTaskState::kQueued, ActivityTaskState::kStarted};
  const bool only_pending = std::all_of(states.begin(), states.end(), [](ActivityTaskState s) {
    return s == ActivityTaskState::kQueued || s == ActivityTaskState::kStarted;
  });
  std::string task_states = only_pending ? "t.state IN ('QUEUED', 'STARTED')" : "1 = 1";
  std::string token_states = only_pending ? "t.state = 'STARTED'" : "1 = 1";
  constexpr int kFirstState = 10;
  if (!pending) {
    std::string list;
    for (size_t i = 0; i < states.size(); ++i) {
      list += (i ? ", ?" : "?") + std::to_string(kFirstState + i);
    }
    task_states += " AND t.state IN (" + list + ")";
    token_states += " AND t.state IN (" + list + ")";
  }
  std::string conditions;
  if (!filter.execution_arn.empty()) conditions += " AND t.execution_arn = ?2";
  if (after.has_position) {
    conditions += " AND (t.created_at, t.execution_arn, t.task_id) > (?3, ?4, ?5)";
  }
  std::string sql = std::string(kActivityTaskColumns) + "WHERE " + task_states + conditions;
  if (!filter.activity_arn.empty()) sql += " AND a.arn = ?1";
  sql += " UNION ALL " + std::string(kTaskTokenColumns) + "WHERE " + token_states + conditions;
  if (!filter.activity_arn.empty()) sql += " AND t.resource = ?1";
  sql += " ORDER BY 7, 2, 3 LIMIT ?6";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare(sql, kOp));
  if (!filter.activity_arn.empty()) s.Bind(1, filter.activity_arn);
  if (!filter.execution_arn.empty()) s.Bind(2, filter.execution_arn);
  if (after.has_position) {
    s.Bind(3, after.created_at_ms).Bind(4, after.execution_arn).Bind(5, after.task_id);
  }
  s.Bind(6, int64_t{limit} + 1);
  if (!pending) {
    for (size_t i = 0; i < states.size(); ++i) {
      s.Bind(kFirstState + static_cast<int>(i), ActivityTaskStateName(states[i]));
    }
  }
  Page<ActivityTaskRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodeTaskPageToken(result.items.back());
      break;
    }
    result.items.push_back(ReadActivityTask(s));
  }
  return result;
}

// --- Connections ---------------------------------------------------------------------

namespace {
constexpr char kConnectionColumns[] =
    "SELECT id, arn, name, description, authorization_type, state, state_reason, "
    "auth_parameters, sealed_parameters, revision, created_at, updated_at, authorized_at "
    "FROM connections ";

ConnectionRecord ReadConnection(const Statement& s) {
  ConnectionRecord c;
  c.arn = s.Text(1);
  c.name = s.Text(2);
  c.description = s.Text(3);
  c.authorization_type =
      ParseConnectionAuthorizationType(s.Text(4)).value_or(ConnectionAuthorizationType::kBasic);
  c.state = ParseConnectionState(s.Text(5)).value_or(ConnectionState::kDeauthorized);
  c.state_reason = s.Text(6);
  c.auth_parameters_json = s.Text(7);
  c.sealed_parameters = s.IsNull(8) ? std::string() : s.Blob(8);
  c.revision = s.Int64(9);
  c.created_at_ms = s.Int64(10);
  c.updated_at_ms = s.Int64(11);
  c.authorized_at_ms = s.OptionalInt64(12);
  return c;
}

void BindSealed(Statement& s, int index, const std::string& sealed) {
  if (sealed.empty()) {
    s.BindNull(index);
  } else {
    s.BindBlob(index, sealed);
  }
}
}  // namespace

Status SqlStore::CreateConnection(const ConnectionRecord& connection,
                                     const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateConnection";
  STEPD_RETURN_IF_ERROR(internal::ValidateConnection(kOp, connection));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement taken,
        writer_->Prepare("SELECT arn = ?1 FROM connections WHERE arn = ?1 OR name = ?2", kOp));
    taken.Bind(1, connection.arn).Bind(2, connection.name);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row) {
      return taken.Int64(0) ? internal::ConnectionArnTaken(kOp, connection.arn)
                            : internal::ConnectionNameTaken(kOp, connection.name);
    }
  }
  {
    STEPD_ASSIGN_OR_RETURN(Statement count,
                           writer_->Prepare("SELECT count(*) FROM connections", kOp));
    STEPD_ASSIGN_OR_RETURN(bool row, count.Step());
    if (row && count.Int64(0) >= internal::kMaxConnections) {
      return internal::TooManyConnections(kOp);
    }
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO connections (arn, name, description, authorization_type, "
                       "state, state_reason, auth_parameters, sealed_parameters, revision, "
                       "created_at, updated_at, authorized_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11)",
                       kOp));
  insert.Bind(1, connection.arn)
      .Bind(2, connection.name)
      .Bind(3, connection.description)
      .Bind(4, ConnectionAuthorizationTypeName(connection.authorization_type))
      .Bind(5, ConnectionStateName(connection.state))
      .Bind(6, connection.state_reason)
      .Bind(7, connection.auth_parameters_json);
  BindSealed(insert, 8, connection.sealed_parameters);
  insert.Bind(9, connection.created_at_ms)
      .Bind(10, connection.updated_at_ms)
      .BindOptional(11, connection.authorized_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<ConnectionRecord> SqlStore::GetConnection(std::string_view name) {
  constexpr std::string_view kOp = "GetConnection";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kConnectionColumns) + "WHERE name = ?1", kOp));
  s.Bind(1, name);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ConnectionNotFound(kOp, name);
  return ReadConnection(s);
}

StatusOr<ConnectionRecord> SqlStore::GetConnectionByArn(std::string_view arn) {
  constexpr std::string_view kOp = "GetConnectionByArn";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kConnectionColumns) + "WHERE arn = ?1", kOp));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ConnectionNotFound(kOp, arn);
  return ReadConnection(s);
}

StatusOr<Page<ConnectionRecord>> SqlStore::ListConnections(const ConnectionFilter& filter,
                                                              const PageRequest& page) {
  constexpr std::string_view kOp = "ListConnections";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(std::string after,
                         internal::DecodeNamePageToken(kOp, TokenKind::kConnections, page));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kConnectionColumns) +
                                             "WHERE name > ?1 AND substr(name, 1, length(?2)) = ?2 "
                                             "AND (?3 = '' OR state = ?3) ORDER BY name LIMIT ?4",
                                         kOp));
  s.Bind(1, after)
      .Bind(2, filter.name_prefix)
      .Bind(3, filter.state ? ConnectionStateName(*filter.state) : std::string_view(""))
      .Bind(4, int64_t{limit} + 1);
  Page<ConnectionRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodeNamePageToken(TokenKind::kConnections, result.items.back().name);
      break;
    }
    result.items.push_back(ReadConnection(s));
  }
  return result;
}

Status SqlStore::CheckConnectionRevisionLocked(std::string_view arn, int64_t expected,
                                                  std::string_view op) {
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         writer_->Prepare("SELECT revision FROM connections WHERE arn = ?1", op));
  s.Bind(1, arn);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ConnectionNotFound(op, arn);
  if (s.Int64(0) != expected) {
    return internal::ConnectionRevisionChanged(op, arn, s.Int64(0), expected);
  }
  return Status::OK();
}

StatusOr<int64_t> SqlStore::UpdateConnection(const ConnectionRecord& connection,
                                                const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateConnection";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_RETURN_IF_ERROR(CheckConnectionRevisionLocked(connection.arn, connection.revision, kOp));
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare("UPDATE connections SET description = ?2, authorization_type = ?3, "
                       "state = ?4, state_reason = ?5, auth_parameters = ?6, "
                       "sealed_parameters = ?7, updated_at = ?8, authorized_at = ?9, "
                       "revision = revision + 1 WHERE arn = ?1",
                       kOp));
  update.Bind(1, connection.arn)
      .Bind(2, connection.description)
      .Bind(3, ConnectionAuthorizationTypeName(connection.authorization_type))
      .Bind(4, ConnectionStateName(connection.state))
      .Bind(5, connection.state_reason)
      .Bind(6, connection.auth_parameters_json);
  BindSealed(update, 7, connection.sealed_parameters);
  update.Bind(8, connection.updated_at_ms).BindOptional(9, connection.authorized_at_ms);
  STEPD_RETURN_IF_ERROR(update.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  STEPD_RETURN_IF_ERROR(CommitAudited(txn));
  return connection.revision + 1;
}

Status SqlStore::DeleteConnection(std::string_view arn, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteConnection";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(Statement del,
                         writer_->Prepare("DELETE FROM connections WHERE arn = ?1", kOp));
  del.Bind(1, arn);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) return internal::ConnectionNotFound(kOp, arn);
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

Status SqlStore::ReplaceSealedParameters(const std::vector<SealedParametersUpdate>& updates,
                                            const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "ReplaceSealedParameters";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  for (const SealedParametersUpdate& u : updates) {
    STEPD_RETURN_IF_ERROR(CheckConnectionRevisionLocked(u.arn, u.revision, kOp));
    STEPD_ASSIGN_OR_RETURN(
        Statement update,
        writer_->Prepare("UPDATE connections SET sealed_parameters = ?2, revision = revision + 1 "
                         "WHERE arn = ?1",
                         kOp));
    update.Bind(1, u.arn);
    BindSealed(update, 2, u.sealed_parameters);
    STEPD_RETURN_IF_ERROR(update.Run());
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

// --- Looker Action Hub deliveries ------------------------------------------------------

namespace {
constexpr char kDeliveryColumns[] =
    "SELECT id, received_ms, action, instance, webhook_id, looker_version, scheduled_plan_id, "
    "type, principal, execution_arn, duplicate_of, outcome, message FROM looker_deliveries ";

LookerDeliveryRecord ReadDelivery(const Statement& s) {
  LookerDeliveryRecord d;
  d.id = s.Text(0);
  d.received_ms = s.Int64(1);
  d.action = s.Text(2);
  d.instance = s.Text(3);
  d.webhook_id = s.Text(4);
  d.looker_version = s.Text(5);
  d.scheduled_plan_id = s.Text(6);
  d.type = s.Text(7);
  d.principal = s.Text(8);
  d.execution_arn = s.Text(9);
  d.duplicate_of = s.Text(10);
  d.outcome = s.Text(11);
  d.message = s.Text(12);
  return d;
}
}  // namespace

StatusOr<RecordedDelivery> SqlStore::RecordLookerDelivery(const LookerDeliveryRecord& delivery,
                                                             int64_t dedup_since_ms) {
  STEPD_RETURN_IF_ERROR(internal::ValidateLookerDelivery("RecordLookerDelivery", delivery));
  QueuedDelivery mine{&delivery, dedup_since_ms};
  std::unique_lock lock(delivery_mu_);
  delivery_queue_.push_back(&mine);
  while (!mine.done) {
    if (delivery_leader_) {
      delivery_cv_.wait(lock);
      continue;
    }
    delivery_leader_ = true;
    std::vector<QueuedDelivery*> batch;
    batch.swap(delivery_queue_);
    lock.unlock();
    RecordDeliveryBatch(batch);
    lock.lock();
    for (QueuedDelivery* queued : batch) queued->done = true;
    delivery_leader_ = false;
    delivery_cv_.notify_all();
  }
  return std::move(mine.result);
}

void SqlStore::RecordDeliveryBatch(const std::vector<QueuedDelivery*>& batch) {
  constexpr std::string_view kOp = "RecordLookerDelivery";
  std::lock_guard lock(writer_mu_);
  auto fail_all = [&batch](const Status& status) {
    for (QueuedDelivery* queued : batch) queued->result = status;
  };
  // IMMEDIATE: the lookups and the inserts see no other writer in between,
  // also one of another process on the same file. In order, so that a later
  // delivery of the batch is a duplicate of an earlier one.
  StatusOr<Transaction> txn = BeginWrite(kOp);
  if (!txn.ok()) return fail_all(txn.status());
  for (QueuedDelivery* queued : batch) {
    queued->result = RecordOneDelivery(*queued->delivery, queued->dedup_since_ms);
    const StatusCode code = queued->result.status().code();
    if (!queued->result.ok() && code != StatusCode::kAlreadyExists) {
      return fail_all(queued->result.status());  // rolled back with txn
    }
  }
  if (Status committed = txn->Commit(); !committed.ok()) fail_all(committed);
}

StatusOr<RecordedDelivery> SqlStore::RecordOneDelivery(const LookerDeliveryRecord& delivery,
                                                          int64_t dedup_since_ms) {
  constexpr std::string_view kOp = "RecordLookerDelivery";
  {
    STEPD_ASSIGN_OR_RETURN(Statement taken,
                           writer_->Prepare("SELECT 1 FROM looker_deliveries WHERE id = ?1", kOp));
    taken.Bind(1, delivery.id);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row) return internal::LookerDeliveryIdTaken(kOp, delivery.id);
  }
  RecordedDelivery result;
  result.stored = delivery;
  if (!delivery.webhook_id.empty()) {
    // The conditions of index looker_deliveries_firsts spelled out, so that
    // it serves the lookup.
    STEPD_ASSIGN_OR_RETURN(
        Statement first,
        writer_->Prepare(std::string(kDeliveryColumns) +
                             "WHERE instance = ?1 AND webhook_id = ?2 AND action = ?3 "
                             "AND received_ms >= ?4 AND duplicate_of = '' AND webhook_id <> '' "
                             "AND outcome <> 'failed' ORDER BY received_ms DESC, id DESC LIMIT 1",
                         kOp));
    first.Bind(1, delivery.instance)
        .Bind(2, delivery.webhook_id)
        .Bind(3, delivery.action)
        .Bind(4, dedup_since_ms);
    STEPD_ASSIGN_OR_RETURN(bool row, first.Step());
    if (row) {
      result.first = ReadDelivery(first);
      result.stored = internal::AsDuplicateOf(delivery, *result.first);
    }
  }
  const LookerDeliveryRecord& d = result.stored;
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO looker_deliveries (id, received_ms, action, instance, "
                       "webhook_id, looker_version, scheduled_plan_id, type, principal, "
                       "execution_arn, duplicate_of, outcome, message) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                       kOp));
  insert.Bind(1, d.id)
      .Bind(2, d.received_ms)
      .Bind(3, d.action)
      .Bind(4, d.instance)
      .Bind(5, d.webhook_id)
      .Bind(6, d.looker_version)
      .Bind(7, d.scheduled_plan_id)
      .Bind(8, d.type)
      .Bind(9, d.principal)
      .Bind(10, d.execution_arn)
      .Bind(11, d.duplicate_of)
      .Bind(12, d.outcome)
      .Bind(13, d.message);
  STEPD_RETURN_IF_ERROR(insert.Run());
  return result;
}

Status SqlStore::UpdateLookerDelivery(std::string_view id, std::string_view outcome,
                                         std::string_view execution_arn, std::string_view message) {
  constexpr std::string_view kOp = "UpdateLookerDelivery";
  STEPD_RETURN_IF_ERROR(internal::ValidateLookerDeliveryOutcome(kOp, outcome));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Statement update,
                         writer_->Prepare("UPDATE looker_deliveries SET outcome = ?2, "
                                          "execution_arn = ?3, message = ?4 WHERE id = ?1",
                                          kOp));
  update.Bind(1, id).Bind(2, outcome).Bind(3, execution_arn).Bind(4, message);
  STEPD_RETURN_IF_ERROR(update.Run());
  if (writer_->Changes() == 0) return internal::LookerDeliveryNotFound(kOp, id);
  return Status::OK();
}

StatusOr<LookerDeliveryRecord> SqlStore::GetLookerDelivery(std::string_view id) {
  constexpr std::string_view kOp = "GetLookerDelivery";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kDeliveryColumns) + "WHERE id = ?1", kOp));
  s.Bind(1, id);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::LookerDeliveryNotFound(kOp, id);
  return ReadDelivery(s);
}

StatusOr<Page<LookerDeliveryRecord>> SqlStore::ListLookerDeliveries(
    const LookerDeliveryFilter& filter, const PageRequest& page) {
  constexpr std::string_view kOp = "ListLookerDeliveries";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::TimeIdPosition after,
                         internal::DecodeTimeIdPageToken(kOp, TokenKind::kLookerDeliveries, page));
  // One SQL text per filter shape; every value is a parameter.
  std::string sql = std::string(kDeliveryColumns) + "WHERE 1 = 1";
  if (!filter.action.empty()) sql += " AND action = ?1";
  if (!filter.instance.empty()) sql += " AND instance = ?2";
  if (!filter.webhook_id.empty()) sql += " AND webhook_id = ?3";
  if (filter.since_ms != 0) sql += " AND received_ms >= ?4";
  if (after.has_position) sql += " AND (received_ms, id) < (?5, ?6)";
  sql += " ORDER BY received_ms DESC, id DESC LIMIT ?7";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare(sql, kOp));
  if (!filter.action.empty()) s.Bind(1, filter.action);
  if (!filter.instance.empty()) s.Bind(2, filter.instance);
  if (!filter.webhook_id.empty()) s.Bind(3, filter.webhook_id);
  if (filter.since_ms != 0) s.Bind(4, filter.since_ms);
  if (after.has_position) s.Bind(5, after.time_ms).Bind(6, after.id);
  s.Bind(7, int64_t{limit} + 1);
  Page<LookerDeliveryRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      const LookerDeliveryRecord& last = result.items.back();
      result.next_token =
          internal::EncodeTimeIdPageToken(TokenKind::kLookerDeliveries, last.received_ms, last.id);
      break;
    }
    result.items.push_back(ReadDelivery(s));
  }
  return result;
}

StatusOr<int64_t> SqlStore::DeleteLookerDeliveriesBefore(int64_t received_before_ms) {
  constexpr std::string_view kOp = "DeleteLookerDeliveriesBefore";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(
      Statement del, writer_->Prepare("DELETE FROM looker_deliveries WHERE received_ms < ?1", kOp));
  del.Bind(1, received_before_ms);
  STEPD_RETURN_IF_ERROR(del.Run());
  return int64_t{writer_->Changes()};
}

// --- Artifacts ---------------------------------------------------------------------------

namespace {
constexpr char kArtifactColumns[] =
    "SELECT id, created_ms, expires_ms, size, sha256, mimetype, extension, filename, source, "
    "state_machine_arn, execution_arn FROM artifacts ";

ArtifactRecord ReadArtifact(const Statement& s) {
  ArtifactRecord a;
  a.id = s.Text(0);
  a.created_ms = s.Int64(1);
  a.expires_ms = s.Int64(2);
  a.size = s.Int64(3);
  a.sha256 = s.Text(4);
  a.mimetype = s.Text(5);
  a.extension = s.Text(6);
  a.filename = s.Text(7);
  a.source = s.Text(8);
  a.state_machine_arn = s.Text(9);
  a.execution_arn = s.Text(10);
  return a;
}
}  // namespace

Status SqlStore::CreateArtifact(const ArtifactRecord& artifact) {
  constexpr std::string_view kOp = "CreateArtifact";
  STEPD_RETURN_IF_ERROR(internal::ValidateArtifact(kOp, artifact));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement taken,
                           writer_->Prepare("SELECT 1 FROM artifacts WHERE id = ?1", kOp));
    taken.Bind(1, artifact.id);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row) return internal::ArtifactIdTaken(kOp, artifact.id);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO artifacts (id, created_ms, expires_ms, size, sha256, "
                       "mimetype, extension, filename, source, state_machine_arn, execution_arn) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                       kOp));
  insert.Bind(1, artifact.id)
      .Bind(2, artifact.created_ms)
      .Bind(3, artifact.expires_ms)
      .Bind(4, artifact.size)
      .Bind(5, artifact.sha256)
      .Bind(6, artifact.mimetype)
      .Bind(7, artifact.extension)
      .Bind(8, artifact.filename)
      .Bind(9, artifact.source)
      .Bind(10, artifact.state_machine_arn)
      .Bind(11, artifact.execution_arn);
  STEPD_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

StatusOr<ArtifactRecord> SqlStore::GetArtifact(std::string_view id) {
  constexpr std::string_view kOp = "GetArtifact";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kArtifactColumns) + "WHERE id = ?1", kOp));
  s.Bind(1, id);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ArtifactNotFound(kOp, id);
  return ReadArtifact(s);
}

Status SqlStore::SetArtifactExecution(std::string_view id, std::string_view execution_arn) {
  constexpr std::string_view kOp = "SetArtifactExecution";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare("UPDATE artifacts SET execution_arn = ?2 WHERE id = ?1", kOp));
  update.Bind(1, id).Bind(2, execution_arn);
  STEPD_RETURN_IF_ERROR(update.Run());
  if (writer_->Changes() == 0) return internal::ArtifactNotFound(kOp, id);
  return Status::OK();
}

StatusOr<std::vector<ArtifactRecord>> SqlStore::ListExpiredArtifacts(int64_t now_ms,
                                                                        size_t limit) {
  constexpr std::string_view kOp = "ListExpiredArtifacts";
  std::vector<ArtifactRecord> result;
  if (limit == 0) return result;
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s, reader->Prepare(std::string(kArtifactColumns) +
                                       "WHERE expires_ms <= ?1 ORDER BY expires_ms, id LIMIT ?2",
                                   kOp));
  s.Bind(1, now_ms).Bind(
      2, static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max())));
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    result.push_back(ReadArtifact(s));
  }
  return result;
}

Status SqlStore::DeleteArtifact(std::string_view id) {
  constexpr std::string_view kOp = "DeleteArtifact";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Statement del,
                         writer_->Prepare("DELETE FROM artifacts WHERE id = ?1", kOp));
  del.Bind(1, id);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) return internal::ArtifactNotFound(kOp, id);
  return Status::OK();
}

// --- Schedules -------------------------------------------------------------------------

namespace {
constexpr char kScheduleColumns[] =
    "SELECT name, description, state_machine_arn, qualifier, input, expression, timezone, "
    "start_ms, end_ms, enabled, catch_up, source, next_fire_ms, last_fire_ms, "
    "last_execution_arn, last_error, revision, created_at, updated_at FROM schedules ";

ScheduleRecord ReadSchedule(const Statement& s) {
  ScheduleRecord r;
  r.name = s.Text(0);
  r.description = s.Text(1);
  r.state_machine_arn = s.Text(2);
  r.qualifier = s.Text(3);
  r.input = s.Text(4);
  r.expression = s.Text(5);
  r.timezone = s.Text(6);
  r.start_ms = s.OptionalInt64(7);
  r.end_ms = s.OptionalInt64(8);
  r.enabled = s.Int64(9) != 0;
  r.catch_up = ParseScheduleCatchUp(s.Text(10)).value_or(ScheduleCatchUp::kLast);
  r.source = s.Text(11);
  r.next_fire_ms = s.OptionalInt64(12);
  r.last_fire_ms = s.OptionalInt64(13);
  r.last_execution_arn = s.Text(14);
  r.last_error = s.Text(15);
  r.revision = s.Int64(16);
  r.created_at_ms = s.Int64(17);
  r.updated_at_ms = s.Int64(18);
  return r;
}

// Binds ?2.. ?17 in the order of the UPDATE below (?1 is the name).
void BindScheduleFields(Statement& s, const ScheduleRecord& r) {
  s.Bind(2, r.description)
      .Bind(3, r.state_machine_arn)
      .Bind(4, r.qualifier)
      .Bind(5, r.input)
      .Bind(6, r.expression)
      .Bind(7, r.timezone)
      .BindOptional(8, r.start_ms)
      .BindOptional(9, r.end_ms)
      .Bind(10, int64_t{r.enabled ? 1 : 0})
      .Bind(11, ScheduleCatchUpName(r.catch_up))
      .Bind(12, r.source)
      .BindOptional(13, r.next_fire_ms)
      .BindOptional(14, r.last_fire_ms)
      .Bind(15, r.last_execution_arn)
      .Bind(16, r.last_error)
      .Bind(17, r.updated_at_ms);
}
}  // namespace

Status SqlStore::CreateSchedule(const ScheduleRecord& schedule,
                                   const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateSchedule";
  STEPD_RETURN_IF_ERROR(internal::ValidateSchedule(kOp, schedule));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement taken,
                           writer_->Prepare("SELECT 1 FROM schedules WHERE name = ?1", kOp));
    taken.Bind(1, schedule.name);
    STEPD_ASSIGN_OR_RETURN(bool row, taken.Step());
    if (row) return internal::ScheduleNameTaken(kOp, schedule.name);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement insert,
      writer_->Prepare("INSERT INTO schedules (name, description, state_machine_arn, qualifier, "
                       "input, expression, timezone, start_ms, end_ms, enabled, catch_up, source, "
                       "next_fire_ms, last_fire_ms, last_execution_arn, last_error, updated_at, "
                       "revision, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                       "?11, ?12, ?13, ?14, ?15, ?16, ?17, 1, ?18)",
                       kOp));
  insert.Bind(1, schedule.name);
  BindScheduleFields(insert, schedule);
  insert.Bind(18, schedule.created_at_ms);
  STEPD_RETURN_IF_ERROR(insert.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<ScheduleRecord> SqlStore::GetSchedule(std::string_view name) {
  constexpr std::string_view kOp = "GetSchedule";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kScheduleColumns) + "WHERE name = ?1", kOp));
  s.Bind(1, name);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::ScheduleNotFound(kOp, name);
  return ReadSchedule(s);
}

StatusOr<std::vector<ScheduleRecord>> SqlStore::ListSchedules() {
  constexpr std::string_view kOp = "ListSchedules";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kScheduleColumns) + "ORDER BY name", kOp));
  std::vector<ScheduleRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    result.push_back(ReadSchedule(s));
  }
  return result;
}

StatusOr<int64_t> SqlStore::UpdateSchedule(const ScheduleRecord& schedule,
                                              const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateSchedule";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           writer_->Prepare("SELECT revision FROM schedules WHERE name = ?1", kOp));
    s.Bind(1, schedule.name);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::ScheduleNotFound(kOp, schedule.name);
    if (s.Int64(0) != schedule.revision) {
      return internal::ScheduleRevisionChanged(kOp, schedule.name, s.Int64(0), schedule.revision);
    }
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare("UPDATE schedules SET description = ?2, state_machine_arn = ?3, "
                       "qualifier = ?4, input = ?5, expression = ?6, timezone = ?7, "
                       "start_ms = ?8, end_ms = ?9, enabled = ?10, catch_up = ?11, source = ?12, "
                       "next_fire_ms = ?13, last_fire_ms = ?14, last_execution_arn = ?15, "
                       "last_error = ?16, updated_at = ?17, revision = revision + 1 "
                       "WHERE name = ?1",
                       kOp));
  update.Bind(1, schedule.name);
  BindScheduleFields(update, schedule);
  STEPD_RETURN_IF_ERROR(update.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  STEPD_RETURN_IF_ERROR(CommitAudited(txn));
  return schedule.revision + 1;
}

Status SqlStore::DeleteSchedule(std::string_view name, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteSchedule";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(Statement del,
                         writer_->Prepare("DELETE FROM schedules WHERE name = ?1", kOp));
  del.Bind(1, name);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) return internal::ScheduleNotFound(kOp, name);
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

// --- Audit ---------------------------------------------------------------------------

Status SqlStore::AppendAudit(const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "AppendAudit";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

namespace {
// The rows of actions (the partial index of migration 0010 covers them).
constexpr char kAuditActionRows[] =
    "(event_id IS NULL OR action IN ('ExecutionStarted', 'ExecutionAborted', "
    "'ExecutionRedriven'))";

constexpr char kAuditColumns[] =
    "SELECT seq, timestamp, actor, action, target, coalesce(event_id, 0), details, prev_hash, "
    "hash FROM audit_log ";

// `legacy`: a row of audit_log_v1, whose hashes are hex text.
AuditRecord ReadAudit(const Statement& s, bool legacy = false) {
  return AuditRecord{
      s.Int64(0), AuditEntry{s.Int64(1), s.Text(2), s.Text(3), s.Text(4), s.Int64(5), s.Text(6)},
      legacy ? s.Text(7) : BytesToHex(s.Blob(7)), legacy ? s.Text(8) : BytesToHex(s.Blob(8))};
}
}  // namespace

StatusOr<Page<AuditRecord>> SqlStore::ListAudit(const PageRequest& page) {
  return QueryAuditAs("ListAudit", AuditQuery{}, page);
}

StatusOr<Page<AuditRecord>> SqlStore::QueryAudit(const AuditQuery& query,
                                                    const PageRequest& page) {
  return QueryAuditAs("QueryAudit", query, page);
}

StatusOr<Page<AuditRecord>> SqlStore::QueryAuditAs(std::string_view op,
                                                      const AuditQuery& query,
                                                      const PageRequest& page) {
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(op, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(op, TokenKind::kAudit, page));
  // Conditions only for what is asked (so that the actor and target indexes
  // serve them); every value is a parameter.
  std::string sql = std::string(kAuditColumns) + "WHERE 1 = 1";
  std::vector<std::pair<int, std::string_view>> texts;
  int next = 1;
  auto text_condition = [&](const std::string& value, std::string_view column) {
    if (value.empty()) return;
    sql += " AND " + std::string(column) + " = ?" + std::to_string(next);
    texts.emplace_back(next++, value);
  };
  text_condition(query.actor, "actor");
  if (!query.actor.empty()) sql += std::string(" AND ") + kAuditActionRows;
  text_condition(query.action, "action");
  text_condition(query.target, "target");
  std::vector<std::pair<int, int64_t>> numbers;
  auto number_condition = [&](std::optional<int64_t> value, std::string_view condition) {
    if (!value) return;
    sql += " AND " + std::string(condition) + std::to_string(next);
    numbers.emplace_back(next++, *value);
  };
  number_condition(query.since_ms, "timestamp >= ?");
  number_condition(query.until_ms, "timestamp < ?");
  if (after.has_position) {
    number_condition(after.position, query.newest_first ? "seq < ?" : "seq > ?");
  }
  sql += query.newest_first ? " ORDER BY seq DESC" : " ORDER BY seq";
  sql += " LIMIT " + std::to_string(limit + 1);
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare(sql, op));
  for (const auto& [index, value] : texts) s.Bind(index, value);
  for (const auto& [index, value] : numbers) s.Bind(index, value);
  Page<AuditRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(TokenKind::kAudit, result.items.back().seq);
      break;
    }
    result.items.push_back(ReadAudit(s));
  }
  return result;
}

StatusOr<AuditHead> SqlStore::GetAuditHead() {
  constexpr std::string_view kOp = "GetAuditHead";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", kOp));
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return AuditHead{0, std::string(kAuditGenesisHash)};
  return AuditHead{s.Int64(0), BytesToHex(s.Blob(1))};
}

Status SqlStore::VerifyAuditChain() {
  constexpr std::string_view kOp = "VerifyAuditChain";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, false, kOp));
  {
    // The frozen, unkeyed chain of schema 0001.
    STEPD_ASSIGN_OR_RETURN(
        Statement legacy,
        reader->Prepare("SELECT seq, timestamp, actor, action, target, 0, details, prev_hash, "
                        "hash FROM audit_log_v1 ORDER BY seq",
                        kOp));
    std::string prev_hash(kAuditGenesisHash);
    for (int64_t expected = 1;; ++expected) {
      STEPD_ASSIGN_OR_RETURN(bool row, legacy.Step());
      if (!row) break;
      AuditRecord record = ReadAudit(legacy, /*legacy=*/true);
      STEPD_RETURN_IF_ERROR(internal::CheckAuditRow(record, expected, prev_hash, "", true));
      prev_hash = std::move(record.hash);
    }
  }
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kAuditColumns) + "ORDER BY seq", kOp));
  std::string prev_hash(kAuditGenesisHash);
  for (int64_t expected = 1;; ++expected) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    AuditRecord record = ReadAudit(s);
    STEPD_RETURN_IF_ERROR(internal::CheckAuditRow(record, expected, prev_hash, options_.audit_key));
    prev_hash = std::move(record.hash);
  }
  return Status::OK();
}

// --- Notifications -------------------------------------------------------------------

namespace {
constexpr char kNotificationColumns[] =
    "SELECT id, audit_seq, rule, sink, sink_type, kind, outcome, execution_arn, event_json, "
    "status, attempts, created_ms, next_attempt_ms, updated_ms, delivered_ms, last_error "
    "FROM notifications ";

NotificationRecord ReadNotification(const Statement& s) {
  NotificationRecord n;
  n.id = s.Int64(0);
  n.audit_seq = s.Int64(1);
  n.rule = s.Text(2);
  n.sink = s.Text(3);
  n.sink_type = s.Text(4);
  n.kind = s.Text(5);
  n.outcome = s.Text(6);
  n.execution_arn = s.Text(7);
  n.event_json = s.Text(8);
  n.status = ParseNotificationStatus(s.Text(9)).value_or(NotificationStatus::kPending);
  n.attempts = static_cast<int>(s.Int64(10));
  n.created_ms = s.Int64(11);
  n.next_attempt_ms = s.Int64(12);
  n.updated_ms = s.Int64(13);
  if (!s.IsNull(14)) n.delivered_ms = s.Int64(14);
  n.last_error = s.Text(15);
  return n;
}

std::vector<std::string> StringsOf(std::string_view json_text) {
  std::vector<std::string> out;
  Json j = Json::parse(json_text, nullptr, false);
  if (!j.is_array()) return out;
  for (const Json& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string JsonOfStrings(const std::vector<std::string>& values) {
  return Json(values).dump(-1, ' ', false, Json::error_handler_t::replace);
}
}  // namespace

StatusOr<std::optional<int64_t>> SqlStore::GetNotificationCursor() {
  constexpr std::string_view kOp = "GetNotificationCursor";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s,
      reader->Prepare("SELECT seq FROM notification_cursors WHERE name = 'notifier'", kOp));
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int64(0));
}

StatusOr<std::vector<AuditRecord>> SqlStore::ListAuditTransitionsAfter(
    int64_t after_seq, const std::vector<std::string>& actions, int limit) {
  constexpr std::string_view kOp = "ListAuditTransitionsAfter";
  STEPD_RETURN_IF_ERROR(internal::CheckNotificationLimit(kOp, limit));
  std::vector<AuditRecord> result;
  if (actions.empty()) return result;
  std::string sql = std::string(kAuditColumns) + "WHERE seq > ?1 AND event_id > 0 AND action IN (";
  for (size_t i = 0; i < actions.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "?" + std::to_string(i + 3);
  }
  sql += ") ORDER BY seq LIMIT ?2";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare(sql, kOp));
  s.Bind(1, after_seq).Bind(2, int64_t{limit});
  for (size_t i = 0; i < actions.size(); ++i) s.Bind(static_cast<int>(i + 3), actions[i]);
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    result.push_back(ReadAudit(s));
  }
  return result;
}

StatusOr<std::vector<int64_t>> SqlStore::EnqueueNotifications(
    int64_t cursor, const std::vector<NotificationRecord>& items) {
  constexpr std::string_view kOp = "EnqueueNotifications";
  for (const NotificationRecord& item : items) {
    STEPD_RETURN_IF_ERROR(internal::ValidateNotification(kOp, item));
  }
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare("SELECT seq FROM notification_cursors WHERE name = 'notifier'", kOp));
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) STEPD_RETURN_IF_ERROR(internal::CheckNotificationCursor(kOp, s.Int64(0), cursor));
  }
  std::vector<int64_t> ids;
  for (const NotificationRecord& n : items) {
    STEPD_ASSIGN_OR_RETURN(
        Statement insert,
        writer_->Prepare("INSERT INTO notifications (audit_seq, rule, sink, sink_type, kind, "
                         "outcome, execution_arn, event_json, status, attempts, created_ms, "
                         "next_attempt_ms, updated_ms, delivered_ms, last_error) VALUES (?1, ?2, "
                         "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                         kOp));
    insert.Bind(1, n.audit_seq)
        .Bind(2, n.rule)
        .Bind(3, n.sink)
        .Bind(4, n.sink_type)
        .Bind(5, n.kind)
        .Bind(6, n.outcome)
        .Bind(7, n.execution_arn)
        .Bind(8, n.event_json)
        .Bind(9, NotificationStatusName(n.status))
        .Bind(10, int64_t{n.attempts})
        .Bind(11, n.created_ms)
        .Bind(12, n.next_attempt_ms)
        .Bind(13, n.updated_ms)
        .Bind(15, n.last_error);
    if (n.delivered_ms) insert.Bind(14, *n.delivered_ms);
    STEPD_RETURN_IF_ERROR(insert.Run());
    STEPD_ASSIGN_OR_RETURN(int64_t id, writer_->LastInsertId(kOp));
    ids.push_back(id);
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement upsert,
      writer_->Prepare("INSERT INTO notification_cursors (name, seq) VALUES ('notifier', ?1) "
                       "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                       kOp));
  upsert.Bind(1, cursor);
  STEPD_RETURN_IF_ERROR(upsert.Run());
  STEPD_RETURN_IF_ERROR(txn.Commit());
  return ids;
}

StatusOr<std::vector<NotificationRecord>> SqlStore::ListDueNotifications(int64_t now_ms,
                                                                            int limit) {
  constexpr std::string_view kOp = "ListDueNotifications";
  STEPD_RETURN_IF_ERROR(internal::CheckNotificationLimit(kOp, limit));
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kNotificationColumns) +
                                             "WHERE status = 'PENDING' AND next_attempt_ms <= ?1 "
                                             "ORDER BY next_attempt_ms, id LIMIT ?2",
                                         kOp));
  s.Bind(1, now_ms).Bind(2, int64_t{limit});
  std::vector<NotificationRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    result.push_back(ReadNotification(s));
  }
  return result;
}

Status SqlStore::RecordNotificationAttempt(int64_t id, const NotificationAttempt& attempt) {
  constexpr std::string_view kOp = "RecordNotificationAttempt";
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(Statement s,
                           writer_->Prepare("SELECT status FROM notifications WHERE id = ?1", kOp));
    s.Bind(1, id);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::NotificationNotFound(kOp, id);
    if (s.Text(0) != "PENDING") return internal::NotificationNotPending(kOp, id, s.Text(0));
  }
  const bool delivered = attempt.status == NotificationStatus::kDelivered;
  STEPD_ASSIGN_OR_RETURN(
      Statement update,
      writer_->Prepare(
          "UPDATE notifications SET status = ?2, attempts = ?3, next_attempt_ms = ?4, "
          "updated_ms = ?5, delivered_ms = CASE WHEN ?6 <> 0 THEN ?5 ELSE delivered_ms END, "
          "last_error = CASE WHEN ?7 = '' THEN last_error ELSE ?7 END WHERE id = ?1",
          kOp));
  update.Bind(1, id)
      .Bind(2, NotificationStatusName(attempt.status))
      .Bind(3, int64_t{attempt.attempts})
      .Bind(4, attempt.next_attempt_ms)
      .Bind(5, attempt.now_ms)
      .Bind(6, int64_t{delivered ? 1 : 0})
      .Bind(7, attempt.last_error);
  STEPD_RETURN_IF_ERROR(update.Run());
  return txn.Commit();
}

StatusOr<NotificationRecord> SqlStore::GetNotification(int64_t id) {
  constexpr std::string_view kOp = "GetNotification";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare(std::string(kNotificationColumns) + "WHERE id = ?1", kOp));
  s.Bind(1, id);
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return internal::NotificationNotFound(kOp, id);
  return ReadNotification(s);
}

StatusOr<Page<NotificationRecord>> SqlStore::ListNotifications(const NotificationFilter& filter,
                                                                  const PageRequest& page) {
  constexpr std::string_view kOp = "ListNotifications";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kNotifications, page));
  std::string sql = std::string(kNotificationColumns) + "WHERE 1 = 1";
  if (filter.status) sql += " AND status = ?1";
  if (!filter.execution_arn.empty()) sql += " AND execution_arn = ?2";
  if (!filter.sink.empty()) sql += " AND sink = ?3";
  if (after.has_position) sql += " AND id < ?4";
  sql += " ORDER BY id DESC LIMIT ?5";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s, reader->Prepare(sql, kOp));
  if (filter.status) s.Bind(1, NotificationStatusName(*filter.status));
  if (!filter.execution_arn.empty()) s.Bind(2, filter.execution_arn);
  if (!filter.sink.empty()) s.Bind(3, filter.sink);
  if (after.has_position) s.Bind(4, after.position);
  s.Bind(5, int64_t{limit} + 1);
  return ReadIdPage<NotificationRecord>(s, limit, TokenKind::kNotifications, ReadNotification);
}

StatusOr<int64_t> SqlStore::CountNotifications(NotificationStatus status) {
  constexpr std::string_view kOp = "CountNotifications";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s, reader->Prepare("SELECT count(*) FROM notifications WHERE status = ?1", kOp));
  s.Bind(1, NotificationStatusName(status));
  STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int64(0) : 0;
}

StatusOr<NotificationRecord> SqlStore::RetryNotification(int64_t id, int64_t now_ms,
                                                            const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "RetryNotification";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  NotificationRecord n;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare(std::string(kNotificationColumns) + "WHERE id = ?1", kOp));
    s.Bind(1, id);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return internal::NotificationNotFound(kOp, id);
    n = ReadNotification(s);
  }
  if (n.status != NotificationStatus::kDeadLetter) {
    return internal::NotificationNotDeadLetter(kOp, id, NotificationStatusName(n.status));
  }
  STEPD_ASSIGN_OR_RETURN(Statement update,
                         writer_->Prepare("UPDATE notifications SET status = 'PENDING', "
                                          "attempts = 0, next_attempt_ms = ?2, updated_ms = ?2 "
                                          "WHERE id = ?1",
                                          kOp));
  update.Bind(1, id).Bind(2, now_ms);
  STEPD_RETURN_IF_ERROR(update.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  STEPD_RETURN_IF_ERROR(CommitAudited(txn));
  n.status = NotificationStatus::kPending;
  n.attempts = 0;
  n.next_attempt_ms = now_ms;
  n.updated_ms = now_ms;
  return n;
}

StatusOr<bool> SqlStore::PutNotificationSink(const NotificationSinkRecord& sink,
                                                const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "PutNotificationSink";
  STEPD_RETURN_IF_ERROR(internal::ValidateNotificationSink(kOp, sink));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  bool created = true;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare("SELECT 1 FROM notification_sinks WHERE name = ?1", kOp));
    s.Bind(1, sink.name);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    created = !row;
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement upsert,
      writer_->Prepare("INSERT INTO notification_sinks (name, type, settings_json, "
                       "sealed_secrets, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                       "ON CONFLICT (name) DO UPDATE SET type = excluded.type, "
                       "settings_json = excluded.settings_json, "
                       "sealed_secrets = excluded.sealed_secrets, updated_ms = excluded.updated_ms",
                       kOp));
  upsert.Bind(1, sink.name)
      .Bind(2, sink.type)
      .Bind(3, sink.settings_json)
      .BindBlob(4, sink.sealed_secrets)
      .Bind(5, sink.created_ms)
      .Bind(6, sink.updated_ms);
  STEPD_RETURN_IF_ERROR(upsert.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  STEPD_RETURN_IF_ERROR(CommitAudited(txn));
  return created;
}

StatusOr<std::vector<NotificationSinkRecord>> SqlStore::ListNotificationSinks() {
  constexpr std::string_view kOp = "ListNotificationSinks";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(
      Statement s, reader->Prepare("SELECT name, type, settings_json, sealed_secrets, created_ms, "
                                   "updated_ms FROM notification_sinks ORDER BY name",
                                   kOp));
  std::vector<NotificationSinkRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    result.push_back(
        NotificationSinkRecord{s.Text(0), s.Text(1), s.Text(2), s.Blob(3), s.Int64(4), s.Int64(5)});
  }
  return result;
}

Status SqlStore::DeleteNotificationSink(std::string_view name,
                                           const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteNotificationSink";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s,
        writer_->Prepare("SELECT name FROM notification_rules WHERE sink = ?1 ORDER BY name", kOp));
    s.Bind(1, name);
    std::vector<std::string> users;
    while (true) {
      STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      users.push_back(s.Text(0));
    }
    if (!users.empty()) return internal::NotificationSinkInUse(kOp, name, users);
  }
  STEPD_ASSIGN_OR_RETURN(Statement del,
                         writer_->Prepare("DELETE FROM notification_sinks WHERE name = ?1", kOp));
  del.Bind(1, name);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) {
    return internal::NotificationConfigNotFound(kOp, "sink", name);
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

StatusOr<bool> SqlStore::PutNotificationRule(const NotificationRuleRecord& rule,
                                                const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "PutNotificationRule";
  STEPD_RETURN_IF_ERROR(internal::ValidateNotificationRule(kOp, rule));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  bool created = true;
  {
    STEPD_ASSIGN_OR_RETURN(
        Statement s, writer_->Prepare("SELECT 1 FROM notification_rules WHERE name = ?1", kOp));
    s.Bind(1, rule.name);
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    created = !row;
  }
  STEPD_ASSIGN_OR_RETURN(
      Statement upsert,
      writer_->Prepare("INSERT INTO notification_rules (name, sink, state_machines, outcomes, "
                       "created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                       "ON CONFLICT (name) DO UPDATE SET sink = excluded.sink, "
                       "state_machines = excluded.state_machines, outcomes = excluded.outcomes, "
                       "updated_ms = excluded.updated_ms",
                       kOp));
  upsert.Bind(1, rule.name)
      .Bind(2, rule.sink)
      .Bind(3, JsonOfStrings(rule.state_machines))
      .Bind(4, JsonOfStrings(rule.outcomes))
      .Bind(5, rule.created_ms)
      .Bind(6, rule.updated_ms);
  STEPD_RETURN_IF_ERROR(upsert.Run());
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  STEPD_RETURN_IF_ERROR(CommitAudited(txn));
  return created;
}

StatusOr<std::vector<NotificationRuleRecord>> SqlStore::ListNotificationRules() {
  constexpr std::string_view kOp = "ListNotificationRules";
  ReaderLease reader = AcquireReader();
  STEPD_ASSIGN_OR_RETURN(Statement s,
                         reader->Prepare("SELECT name, sink, state_machines, outcomes, created_ms, "
                                         "updated_ms FROM notification_rules ORDER BY name",
                                         kOp));
  std::vector<NotificationRuleRecord> result;
  while (true) {
    STEPD_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    result.push_back(NotificationRuleRecord{s.Text(0), s.Text(1), StringsOf(s.Text(2)),
                                            StringsOf(s.Text(3)), s.Int64(4), s.Int64(5)});
  }
  return result;
}

Status SqlStore::DeleteNotificationRule(std::string_view name,
                                           const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteNotificationRule";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::lock_guard lock(writer_mu_);
  STEPD_ASSIGN_OR_RETURN(Transaction txn, BeginWrite(kOp));
  STEPD_ASSIGN_OR_RETURN(Statement del,
                         writer_->Prepare("DELETE FROM notification_rules WHERE name = ?1", kOp));
  del.Bind(1, name);
  STEPD_RETURN_IF_ERROR(del.Run());
  if (writer_->Changes() == 0) {
    return internal::NotificationConfigNotFound(kOp, "rule", name);
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return CommitAudited(txn);
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options, Clock* clock) {
  auto store = std::make_unique<SqlStore>(options, clock, Dialect::kSqlite);
  STEPD_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options, Clock* clock) {
  auto store = std::make_unique<SqlStore>(options, clock, Dialect::kPostgres);
  STEPD_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

std::string RedactStoreUrl(std::string_view url) { return internal::RedactPostgresUrl(url); }

std::string DescribeStore(const StoreOptions& options) {
  return options.url.empty() ? options.path : RedactStoreUrl(options.url);
}

StatusOr<std::unique_ptr<Store>> OpenStore(const StoreOptions& options, Clock* clock) {
  return options.url.empty() ? OpenSqliteStore(options, clock) : OpenPostgresStore(options, clock);
}

}  // namespace stepd::store
