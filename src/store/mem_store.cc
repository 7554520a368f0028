#include "stepd/store/mem_store.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "stepd/store/audit_chain.h"
#include "stepd/store/migrations.h"
#include "store_checks.h"

namespace stepd::store {
namespace {

using internal::TokenKind;

class MemStore final : public Store {
 public:
  explicit MemStore(std::string audit_key) : audit_key_(std::move(audit_key)) {}
  Status Migrate() override { return Status::OK(); }
  StatusOr<int> SchemaVersion() override { return LatestSchemaVersion(); }

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
  StatusOr<ActivityTaskRecord> RegisterTaskToken(const ActivityTaskRecord& task,
                                                 std::string_view token_hash,
                                                 bool* recorded_now = nullptr) override;
  StatusOr<ActivityTaskRecord> GetActivityTaskByToken(std::string_view token_hash) override;
  StatusOr<ActivityTaskRecord> FinishActivityTask(std::string_view token_hash,
                                                  const ActivityTaskRecord& update) override;
  StatusOr<ActivityTaskRecord> HeartbeatActivityTask(std::string_view token_hash,
                                                     int64_t now_ms) override;
  Status CloseActivityTask(std::string_view execution_arn, int64_t task_id) override;
  StatusOr<Page<ActivityTaskRecord>> ListActivityTasks(const ActivityTaskFilter& filter,
                                                       const PageRequest& page) override;

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
  struct Execution {
    int64_t machine_id;
    ExecutionRecord record;
    std::vector<HistoryEventRecord> history;  // history[i].event_id == i + 1
    std::string owner;                         // node id; a MemStore has none of its own
  };

  // Ids of the machine/execution named by `arn`; 0 when absent. mu_ held.
  int64_t MachineId(std::string_view arn) const;
  int64_t ExecutionId(std::string_view arn) const;
  int64_t MapRunId(std::string_view arn) const;
  // As SqliteStore's: the id of the machine `filter` names (0: none), after
  // the checks ListExecutions and CountExecutions share. mu_ held.
  StatusOr<int64_t> FilterMachineLocked(const ExecutionFilter& filter, std::string_view op) const;
  // Appends `audit`; ALREADY_EXISTS (nothing appended) when a transition row
  // repeats (target, event_id). mu_ held exclusively.
  Status AppendAuditLocked(const std::vector<AuditEntry>& audit, std::string_view op);
  Status InsertExecutionLocked(const ExecutionRecord& execution, std::string_view op);
  Status ApplyTransitionLocked(const Transition& transition);
  // Inserts `run`, or replaces the stored run of its arn but its start time.
  Status UpsertMapRunLocked(const MapRunRecord& run, std::string_view op);
  void CloseActivityTaskLocked(std::string_view execution_arn, int64_t task_id);
  // As SqliteStore's: the machine `alias` belongs to, after the checks of
  // Create/UpdateStateMachineAlias. mu_ held.
  StatusOr<int64_t> CheckAliasLocked(const StateMachineAliasRecord& alias, bool exists,
                                     std::string_view op) const;

  const std::string audit_key_;
  mutable std::shared_mutex mu_;
  // Ids grow with creation order, as SQLite's rowids, so pages come out alike.
  int64_t next_machine_id_ = 1;                                // guarded by mu_
  int64_t next_execution_id_ = 1;                              // guarded by mu_
  std::map<int64_t, StateMachineRecord> machines_;             // guarded by mu_
  std::map<std::string, int64_t, std::less<>> machine_ids_;    // arn -> id, guarded by mu_
  std::map<int64_t, Execution> executions_;                    // guarded by mu_
  std::map<std::string, NodeRecord, std::less<>> nodes_;      // guarded by mu_
  struct Lease {
    std::string holder;
    int64_t expires_ms;
  };
  std::map<std::string, Lease, std::less<>> leases_;  // guarded by mu_
  std::map<std::string, int64_t, std::less<>> execution_ids_;  // arn -> id, guarded by mu_
  int64_t next_map_run_id_ = 1;                                // guarded by mu_
  std::map<int64_t, MapRunRecord> map_runs_;                   // guarded by mu_
  std::map<std::string, int64_t, std::less<>> map_run_ids_;    // arn -> id, guarded by mu_
  std::vector<AuditRecord> audit_;                             // guarded by mu_
  int64_t next_activity_id_ = 1;                               // guarded by mu_
  std::map<int64_t, ActivityRecord> activities_;               // guarded by mu_
  int64_t next_task_row_ = 1;                                  // guarded by mu_
  struct TaskRow {
    ActivityTaskRecord task;
    std::string token_hash;
  };
  // Activity tasks, and the tokens of .waitForTaskToken tasks (STARTED from
  // the start, activity_arn holding their Resource).
  std::map<int64_t, TaskRow> activity_tasks_;  // by row id (queue order); guarded by mu_
  TaskRow* TaskByToken(std::string_view token_hash) {
    for (auto& [id, row] : activity_tasks_) {
      if (!row.token_hash.empty() && row.token_hash == token_hash) return &row;
    }
    return nullptr;
  }
  // (machine id, revision id) -> definition
  std::map<std::pair<int64_t, std::string>, std::string> revisions_;  // guarded by mu_
  // (machine id, version) -> version, definition left empty
  std::map<std::pair<int64_t, int64_t>, StateMachineVersionRecord> versions_;  // guarded by mu_
  // machine id -> the highest version it ever had (absent: 0)
  std::map<int64_t, int64_t> last_versions_;  // guarded by mu_
  // (machine id, name) -> alias
  std::map<std::pair<int64_t, std::string>, StateMachineAliasRecord> aliases_;  // guarded by mu_
  // By name (their listing order).
  std::map<std::string, ConnectionRecord, std::less<>> connections_;  // guarded by mu_
  // Looker deliveries by (received_ms, id), their listing order reversed.
  using DeliveryKey = std::pair<int64_t, std::string>;
  std::map<DeliveryKey, LookerDeliveryRecord> deliveries_;      // guarded by mu_
  std::map<std::string, int64_t, std::less<>> delivery_times_;  // id -> received_ms, guarded by mu_
  // Delivery `id`; null when absent. mu_ held.
  const LookerDeliveryRecord* FindDeliveryLocked(std::string_view id) const {
    auto it = delivery_times_.find(id);
    if (it == delivery_times_.end()) return nullptr;
    return &deliveries_.at(DeliveryKey(it->second, it->first));
  }
  LookerDeliveryRecord* FindDeliveryLocked(std::string_view id) {
    return const_cast<LookerDeliveryRecord*>(std::as_const(*this).FindDeliveryLocked(id));
  }
  std::map<std::string, ArtifactRecord, std::less<>> artifacts_;  // by id, guarded by mu_
  std::map<std::string, ScheduleRecord, std::less<>> schedules_;  // by name, guarded by mu_
  std::optional<int64_t> notification_cursor_;                    // guarded by mu_
  int64_t next_notification_id_ = 1;                              // guarded by mu_
  std::map<int64_t, NotificationRecord> notifications_;           // by id, guarded by mu_
  std::map<std::string, NotificationSinkRecord, std::less<>> notification_sinks_;  // guarded by mu_
  std::map<std::string, NotificationRuleRecord, std::less<>> notification_rules_;  // guarded by mu_
  // The connection of `arn`, checked at revision `expected` (NOT_FOUND,
  // ABORTED). mu_ held.
  StatusOr<ConnectionRecord*> ConnectionAtRevisionLocked(std::string_view arn, int64_t expected,
                                                         std::string_view op);
};

int64_t MemStore::MachineId(std::string_view arn) const {
  auto it = machine_ids_.find(arn);
  return it == machine_ids_.end() ? 0 : it->second;
}

int64_t MemStore::ExecutionId(std::string_view arn) const {
  auto it = execution_ids_.find(arn);
  return it == execution_ids_.end() ? 0 : it->second;
}

int64_t MemStore::MapRunId(std::string_view arn) const {
  auto it = map_run_ids_.find(arn);
  return it == map_run_ids_.end() ? 0 : it->second;
}

Status MemStore::AppendAuditLocked(const std::vector<AuditEntry>& audit, std::string_view op) {
  (void)op;
  for (const AuditEntry& entry : audit) {
    AuditRecord row;
    row.seq = static_cast<int64_t>(audit_.size()) + 1;
    row.entry = entry;
    row.prev_hash = audit_.empty() ? std::string(kAuditGenesisHash) : audit_.back().hash;
    row.hash = AuditRowHash(audit_key_, row.prev_hash, row.seq, entry);
    audit_.push_back(std::move(row));
  }
  return Status::OK();
}

Status MemStore::CreateStateMachine(const StateMachineRecord& machine,
                                    const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateStateMachine";
  STEPD_RETURN_IF_ERROR(internal::ValidateStateMachine(kOp, machine));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  if (MachineId(machine.arn) != 0) return internal::StateMachineArnTaken(kOp, machine.arn);
  for (const auto& [id, existing] : machines_) {
    if (existing.name == machine.name) return internal::StateMachineNameTaken(kOp, machine.name);
  }
  const int64_t id = next_machine_id_++;
  machines_.emplace(id, machine);
  machine_ids_.emplace(machine.arn, id);
  revisions_.emplace(std::make_pair(id, machine.revision_id), machine.definition);
  return AppendAuditLocked(audit, kOp);
}

StatusOr<StateMachineRecord> MemStore::GetStateMachine(std::string_view arn) {
  std::shared_lock lock(mu_);
  const int64_t id = MachineId(arn);
  if (id == 0) return internal::StateMachineNotFound("GetStateMachine", arn);
  return machines_.at(id);
}

StatusOr<Page<StateMachineRecord>> MemStore::ListStateMachines(const PageRequest& page) {
  constexpr std::string_view kOp = "ListStateMachines";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kStateMachines, page));
  std::shared_lock lock(mu_);
  Page<StateMachineRecord> result;
  for (auto it = machines_.upper_bound(after.position); it != machines_.end(); ++it) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodePageToken(TokenKind::kStateMachines, std::prev(it)->first);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

StatusOr<std::string> MemStore::GetStateMachineDefinition(std::string_view arn,
                                                          std::string_view revision_id) {
  constexpr std::string_view kOp = "GetStateMachineDefinition";
  std::shared_lock lock(mu_);
  const int64_t id = MachineId(arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, arn);
  auto it = revisions_.find(std::make_pair(id, std::string(revision_id)));
  if (it == revisions_.end()) {
    return NotFoundError(std::string(kOp) + ": state machine '" + std::string(arn) +
                         "' has no revision '" + std::string(revision_id) + "'");
  }
  return it->second;
}

Status MemStore::UpdateStateMachine(const StateMachineRecord& machine,
                                    const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateStateMachine";
  if (machine.definition.empty()) {
    return InvalidArgumentError("UpdateStateMachine: state machine definition is empty");
  }
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  const int64_t id = MachineId(machine.arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine.arn);
  StateMachineRecord& stored = machines_.at(id);
  if (stored.status == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(kOp, machine.arn);
  }
  stored.definition = machine.definition;
  stored.role_arn = machine.role_arn;
  stored.revision_id = machine.revision_id;
  stored.attributes_json = machine.attributes_json;
  stored.updated_at_ms = machine.updated_at_ms;
  revisions_.emplace(std::make_pair(id, machine.revision_id), machine.definition);
  return AppendAuditLocked(audit, kOp);
}

Status MemStore::DeleteStateMachine(std::string_view arn, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteStateMachine";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  const int64_t id = MachineId(arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, arn);
  bool running = false;
  for (const auto& [execution_id, execution] : executions_) {
    if (execution.machine_id == id && execution.record.status == ExecutionStatus::kRunning) {
      running = true;
    }
  }
  if (running) {
    machines_.at(id).status = StateMachineStatus::kDeleting;
  } else {
    std::set<std::string, std::less<>> purged;
    for (auto it = executions_.begin(); it != executions_.end();) {
      if (it->second.machine_id == id) {
        execution_ids_.erase(it->second.record.arn);
        purged.insert(std::move(it->second.record.arn));
        it = executions_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = map_runs_.begin(); it != map_runs_.end();) {
      if (purged.contains(it->second.execution_arn)) {
        map_run_ids_.erase(it->second.arn);
        it = map_runs_.erase(it);
      } else {
        ++it;
      }
    }
    machine_ids_.erase(machines_.at(id).arn);
    machines_.erase(id);
    for (auto it = revisions_.begin(); it != revisions_.end();) {
      it = it->first.first == id ? revisions_.erase(it) : std::next(it);
    }
    versions_.erase(versions_.lower_bound({id, 0}), versions_.lower_bound({id + 1, 0}));
    aliases_.erase(aliases_.lower_bound({id, ""}), aliases_.lower_bound({id + 1, ""}));
    last_versions_.erase(id);
  }
  return AppendAuditLocked(audit, kOp);
}

StatusOr<StateMachineVersionRecord> MemStore::PublishStateMachineVersion(
    std::string_view machine_arn, std::string_view expected_revision,
    const std::string& description, int64_t now_ms, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "PublishStateMachineVersion";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  const StateMachineRecord& machine = machines_.at(id);
  if (machine.status == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(kOp, machine_arn);
  }
  if (!expected_revision.empty() && expected_revision != machine.revision_id) {
    return internal::StaleRevision(kOp, machine_arn, machine.revision_id, expected_revision);
  }
  const auto first = versions_.lower_bound({id, 0});
  const auto end = versions_.lower_bound({id + 1, 0});
  for (auto it = std::make_reverse_iterator(end); it != std::make_reverse_iterator(first); ++it) {
    if (it->second.revision_id == machine.revision_id) return it->second;
  }
  if (std::distance(first, end) >= internal::kMaxStateMachineVersions) {
    return internal::TooManyVersions(kOp, machine_arn);
  }
  StateMachineVersionRecord published;
  published.state_machine_arn = std::string(machine_arn);
  published.version = last_versions_[id] + 1;
  published.revision_id = machine.revision_id;
  published.role_arn = machine.role_arn;
  published.description = description;
  published.attributes_json = machine.attributes_json;
  published.created_at_ms = now_ms;
  versions_.emplace(std::make_pair(id, published.version), published);
  last_versions_[id] = published.version;
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(
      internal::WithTarget(audit, internal::VersionArn(machine_arn, published.version)), kOp));
  return published;
}

StatusOr<StateMachineVersionRecord> MemStore::GetStateMachineVersion(std::string_view machine_arn,
                                                                     int64_t version) {
  constexpr std::string_view kOp = "GetStateMachineVersion";
  std::shared_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  auto it = versions_.find({id, version});
  if (it == versions_.end()) return internal::VersionNotFound(kOp, machine_arn, version);
  StateMachineVersionRecord found = it->second;
  found.definition = revisions_.at({id, found.revision_id});
  return found;
}

StatusOr<Page<StateMachineVersionRecord>> MemStore::ListStateMachineVersions(
    std::string_view machine_arn, const PageRequest& page) {
  constexpr std::string_view kOp = "ListStateMachineVersions";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kVersions, page));
  std::shared_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  const auto first = std::make_reverse_iterator(versions_.lower_bound({id, 0}));
  Page<StateMachineVersionRecord> result;
  for (auto it = std::make_reverse_iterator(
           versions_.lower_bound({id, after.has_position ? after.position : INT64_MAX}));
       it != first; ++it) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodePageToken(TokenKind::kVersions, result.items.back().version);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

Status MemStore::DeleteStateMachineVersion(std::string_view machine_arn, int64_t version,
                                           const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteStateMachineVersion";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  std::vector<std::string> routed;
  for (auto it = aliases_.lower_bound({id, ""}); it != aliases_.end() && it->first.first == id;
       ++it) {
    for (const AliasRoute& route : it->second.routing) {
      if (route.version == version) {
        routed.push_back(it->second.name);
        break;
      }
    }
  }
  if (!routed.empty()) return internal::VersionRoutedTo(kOp, machine_arn, version, routed);
  if (versions_.erase({id, version}) == 0) {
    return internal::VersionNotFound(kOp, machine_arn, version);
  }
  return AppendAuditLocked(audit, kOp);
}

StatusOr<int64_t> MemStore::CheckAliasLocked(const StateMachineAliasRecord& alias, bool exists,
                                             std::string_view op) const {
  const int64_t id = MachineId(alias.state_machine_arn);
  if (id == 0) return internal::StateMachineNotFound(op, alias.state_machine_arn);
  if (machines_.at(id).status == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(op, alias.state_machine_arn);
  }
  const bool found = aliases_.contains({id, alias.name});
  if (exists && !found) return internal::AliasNotFound(op, alias.state_machine_arn, alias.name);
  if (!exists && found) return internal::AliasNameTaken(op, alias.state_machine_arn, alias.name);
  for (const AliasRoute& route : alias.routing) {
    if (!versions_.contains({id, route.version})) {
      return internal::VersionNotFound(op, alias.state_machine_arn, route.version);
    }
  }
  return id;
}

Status MemStore::CreateStateMachineAlias(const StateMachineAliasRecord& alias,
                                         const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateStateMachineAlias";
  STEPD_RETURN_IF_ERROR(internal::ValidateAlias(kOp, alias));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  STEPD_ASSIGN_OR_RETURN(int64_t id, CheckAliasLocked(alias, /*exists=*/false, kOp));
  aliases_.emplace(std::make_pair(id, alias.name), alias);
  return AppendAuditLocked(audit, kOp);
}

StatusOr<StateMachineAliasRecord> MemStore::GetStateMachineAlias(std::string_view machine_arn,
                                                                 std::string_view name) {
  constexpr std::string_view kOp = "GetStateMachineAlias";
  std::shared_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  auto it = aliases_.find({id, std::string(name)});
  if (it == aliases_.end()) return internal::AliasNotFound(kOp, machine_arn, name);
  return it->second;
}

StatusOr<Page<StateMachineAliasRecord>> MemStore::ListStateMachineAliases(
    std::string_view machine_arn, const PageRequest& page) {
  constexpr std::string_view kOp = "ListStateMachineAliases";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(std::string after,
                         internal::DecodeNamePageToken(kOp, TokenKind::kAliases, page));
  std::shared_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  Page<StateMachineAliasRecord> result;
  for (auto it = aliases_.upper_bound({id, after}); it != aliases_.end() && it->first.first == id;
       ++it) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodeNamePageToken(TokenKind::kAliases, result.items.back().name);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

Status MemStore::UpdateStateMachineAlias(const StateMachineAliasRecord& alias,
                                         const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateStateMachineAlias";
  STEPD_RETURN_IF_ERROR(internal::ValidateAlias(kOp, alias));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  STEPD_ASSIGN_OR_RETURN(int64_t id, CheckAliasLocked(alias, /*exists=*/true, kOp));
  StateMachineAliasRecord& stored = aliases_.at({id, alias.name});
  stored.description = alias.description;
  stored.routing = alias.routing;
  stored.updated_at_ms = alias.updated_at_ms;
  return AppendAuditLocked(audit, kOp);
}

Status MemStore::DeleteStateMachineAlias(std::string_view machine_arn, std::string_view name,
                                         const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteStateMachineAlias";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  const int64_t id = MachineId(machine_arn);
  if (id == 0) return internal::StateMachineNotFound(kOp, machine_arn);
  if (aliases_.erase({id, std::string(name)}) == 0) {
    return internal::AliasNotFound(kOp, machine_arn, name);
  }
  return AppendAuditLocked(audit, kOp);
}

Status MemStore::InsertExecutionLocked(const ExecutionRecord& execution, std::string_view op) {
  const int64_t machine_id = MachineId(execution.state_machine_arn);
  if (machine_id == 0) return internal::StateMachineNotFound(op, execution.state_machine_arn);
  if (machines_.at(machine_id).status == StateMachineStatus::kDeleting) {
    return internal::StateMachineDeleting(op, execution.state_machine_arn);
  }
  if (ExecutionId(execution.arn) != 0) return internal::ExecutionArnTaken(op, execution.arn);
  for (const auto& [id, existing] : executions_) {
    if (existing.machine_id == machine_id && existing.record.name == execution.name) {
      return internal::ExecutionNameTaken(op, execution.name, execution.state_machine_arn);
    }
  }
  const int64_t id = next_execution_id_++;
  Execution stored{machine_id, execution, {}, {}};
  stored.record.last_event_id = 0;
  stored.record.updated_at_ms = execution.start_time_ms;
  executions_.emplace(id, std::move(stored));
  execution_ids_.emplace(execution.arn, id);
  return Status::OK();
}

Status MemStore::CreateExecution(const ExecutionRecord& execution,
                                 const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateExecution";
  STEPD_RETURN_IF_ERROR(internal::ValidateExecution(kOp, execution));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  STEPD_RETURN_IF_ERROR(InsertExecutionLocked(execution, kOp));
  Status audited = AppendAuditLocked(audit, kOp);
  if (!audited.ok()) {
    executions_.erase(ExecutionId(execution.arn));
    execution_ids_.erase(execution.arn);
    --next_execution_id_;
  }
  return audited;
}

StatusOr<ExecutionRecord> MemStore::GetExecution(std::string_view arn) {
  std::shared_lock lock(mu_);
  const int64_t id = ExecutionId(arn);
  if (id == 0) return internal::ExecutionNotFound("GetExecution", arn);
  return executions_.at(id).record;
}

// `r`, an execution of machine `execution_machine_id`, is among those
// `filter` selects; `machine_id` is the id of filter.state_machine_arn (0:
// any machine).
bool Selects(const ExecutionFilter& filter, int64_t machine_id, int64_t execution_machine_id,
             const ExecutionRecord& r) {
  if (machine_id != 0 && execution_machine_id != machine_id) return false;
  if (filter.status && r.status != *filter.status) return false;
  if (r.map_run_arn != filter.map_run_arn) return false;
  if (filter.version != 0 && r.state_machine_version != filter.version) return false;
  if (!filter.alias.empty() && r.state_machine_alias != filter.alias) return false;
  if (filter.redriven && (r.redrive_count > 0) != *filter.redriven) return false;
  if (filter.started_after_ms && r.start_time_ms < *filter.started_after_ms) return false;
  if (filter.started_before_ms && r.start_time_ms >= *filter.started_before_ms) return false;
  if (!r.name.starts_with(filter.name_prefix)) return false;
  if (!filter.error.empty() && r.error != filter.error) return false;
  return filter.restarted_from.empty() || r.restarted_from == filter.restarted_from;
}

StatusOr<int64_t> MemStore::FilterMachineLocked(const ExecutionFilter& filter,
                                                std::string_view op) const {
  if (filter.state_machine_arn.empty()) {
    if (filter.version != 0 || !filter.alias.empty()) {
      return internal::VersionFilterWithoutMachine(op);
    }
    return 0;
  }
  const int64_t machine_id = MachineId(filter.state_machine_arn);
  if (machine_id == 0) return internal::StateMachineNotFound(op, filter.state_machine_arn);
  return machine_id;
}

StatusOr<Page<ExecutionRecord>> MemStore::ListExecutions(const ExecutionFilter& filter,
                                                         const PageRequest& page) {
  constexpr std::string_view kOp = "ListExecutions";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kExecutions, page));
  std::shared_lock lock(mu_);
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, FilterMachineLocked(filter, kOp));
  Page<ExecutionRecord> result;
  int64_t last_id = 0;
  auto it = after.has_position ? std::make_reverse_iterator(executions_.lower_bound(after.position))
                               : executions_.rbegin();
  for (; it != executions_.rend(); ++it) {
    const Execution& execution = it->second;
    if (!Selects(filter, machine_id, execution.machine_id, execution.record)) continue;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(TokenKind::kExecutions, last_id);
      break;
    }
    last_id = it->first;
    result.items.push_back(execution.record);
  }
  return result;
}

StatusOr<std::vector<ExecutionCount>> MemStore::CountExecutions(const ExecutionFilter& filter) {
  std::shared_lock lock(mu_);
  STEPD_ASSIGN_OR_RETURN(int64_t machine_id, FilterMachineLocked(filter, "CountExecutions"));
  // Ordered as the answer is: by machine ARN, then status.
  std::map<std::pair<std::string, ExecutionStatus>, int64_t> counted;
  for (const auto& [id, execution] : executions_) {
    if (Selects(filter, machine_id, execution.machine_id, execution.record)) {
      ++counted[{execution.record.state_machine_arn, execution.record.status}];
    }
  }
  std::vector<ExecutionCount> counts;
  for (const auto& [key, n] : counted) counts.push_back({key.first, key.second, n});
  return counts;
}

Status MemStore::ApplyTransitionLocked(const Transition& transition) {
  constexpr std::string_view kOp = "CommitTransition";
  if (transition.create) STEPD_RETURN_IF_ERROR(InsertExecutionLocked(*transition.create, kOp));
  const int64_t id = ExecutionId(transition.execution_arn);
  if (id == 0) return internal::ExecutionNotFound(kOp, transition.execution_arn);
  Execution& execution = executions_.at(id);
  ExecutionRecord& r = execution.record;
  STEPD_RETURN_IF_ERROR(internal::CheckTransitionEvents(transition, r.last_event_id));
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(transition.audit, kOp));
  if (transition.events_chunk.empty()) {
    for (const HistoryEventRecord& event : transition.events) execution.history.push_back(event);
  } else {
    STEPD_ASSIGN_OR_RETURN(std::vector<HistoryEventRecord> events,
                           internal::DecodeHistoryChunk(kOp, transition.events_chunk));
    for (HistoryEventRecord& event : events) execution.history.push_back(std::move(event));
  }
  if (!transition.events.empty()) r.last_event_id = transition.events.back().event_id;
  r.updated_at_ms = transition.updated_at_ms;
  const ExecutionUpdate& u = transition.update;
  if (u.reopen) {
    r.output.reset();
    r.error.reset();
    r.cause.reset();
    r.stop_time_ms.reset();
  }
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
  for (const MapRunRecord& run : transition.map_runs) {
    STEPD_RETURN_IF_ERROR(UpsertMapRunLocked(run, kOp));
  }
  return Status::OK();
}

Status MemStore::UpsertMapRunLocked(const MapRunRecord& run, std::string_view op) {
  if (const int64_t id = MapRunId(run.arn); id != 0) {
    MapRunRecord& stored = map_runs_.at(id);
    if (stored.execution_arn != run.execution_arn) {
      return internal::MapRunOfAnotherExecution(op, run.arn, stored.execution_arn,
                                                run.execution_arn);
    }
    const int64_t start_time_ms = stored.start_time_ms;
    stored = run;
    stored.start_time_ms = start_time_ms;
    return Status::OK();
  }
  const int64_t id = next_map_run_id_++;
  map_runs_.emplace(id, run);
  map_run_ids_.emplace(run.arn, id);
  return Status::OK();
}

Status MemStore::CommitTransitions(std::span<const TransitionGroup> groups,
                                   std::vector<Status>* results) {
  results->assign(groups.size(), Status::OK());
  std::unique_lock lock(mu_);
  for (size_t i = 0; i < groups.size(); ++i) {
    Status valid;
    for (const Transition& t : groups[i]) {
      valid = internal::ValidateTransition(t);
      if (!valid.ok()) break;
    }
    if (!valid.ok()) {
      (*results)[i] = std::move(valid);
      continue;
    }
    // A group applies whole or not at all: keep what it may change.
    std::map<int64_t, Execution> saved;
    std::map<int64_t, MapRunRecord> saved_runs;
    for (const Transition& t : groups[i]) {
      const int64_t id = ExecutionId(t.execution_arn);
      if (id != 0) saved.emplace(id, executions_.at(id));
      for (const MapRunRecord& run : t.map_runs) {
        const int64_t run_id = MapRunId(run.arn);
        if (run_id != 0) saved_runs.emplace(run_id, map_runs_.at(run_id));
      }
    }
    const int64_t next_execution_id = next_execution_id_;
    const int64_t next_map_run_id = next_map_run_id_;
    const size_t audit_size = audit_.size();
    for (const Transition& t : groups[i]) {
      (*results)[i] = ApplyTransitionLocked(t);
      if (!(*results)[i].ok()) break;
    }
    if (!(*results)[i].ok()) {
      for (auto it = executions_.lower_bound(next_execution_id); it != executions_.end();) {
        execution_ids_.erase(it->second.record.arn);
        it = executions_.erase(it);
      }
      for (auto& [id, execution] : saved) executions_.at(id) = std::move(execution);
      next_execution_id_ = next_execution_id;
      for (auto it = map_runs_.lower_bound(next_map_run_id); it != map_runs_.end();) {
        map_run_ids_.erase(it->second.arn);
        it = map_runs_.erase(it);
      }
      for (auto& [id, run] : saved_runs) map_runs_.at(id) = std::move(run);
      next_map_run_id_ = next_map_run_id;
      audit_.resize(audit_size);
      continue;
    }
    for (const Transition& t : groups[i]) {
      for (int64_t task_id : t.closed_tasks) CloseActivityTaskLocked(t.execution_arn, task_id);
    }
  }
  return Status::OK();
}

Status MemStore::HeartbeatNode(const NodeRecord& node) {
  if (node.node_id.empty()) return InvalidArgumentError("HeartbeatNode: the node id is empty");
  std::unique_lock lock(mu_);
  nodes_[node.node_id] = node;
  return Status::OK();
}

StatusOr<std::vector<NodeRecord>> MemStore::ListNodes() {
  std::shared_lock lock(mu_);
  std::vector<NodeRecord> out;
  for (const auto& [id, node] : nodes_) out.push_back(node);
  return out;
}

StatusOr<std::vector<RunningExecution>> MemStore::ClaimExecutions(std::string_view node_id,
                                                                  int64_t now_ms, int limit,
                                                                  bool include_own) {
  if (node_id.empty()) return InvalidArgumentError("ClaimExecutions: the node id is empty");
  std::unique_lock lock(mu_);
  std::vector<RunningExecution> out;
  for (auto& [id, execution] : executions_) {
    if (static_cast<int>(out.size()) >= limit) break;
    const ExecutionRecord& r = execution.record;
    if (r.status != ExecutionStatus::kRunning || !r.parent_arn.empty()) continue;
    auto owner = nodes_.find(execution.owner);
    const bool orphaned =
        execution.owner == node_id
            ? include_own
            : execution.owner.empty() || owner == nodes_.end() || owner->second.expires_ms <= now_ms;
    if (!orphaned) continue;
    execution.owner = std::string(node_id);
    out.push_back(RunningExecution{r.arn, r.wake_at_ms, r.tasks_pending});
  }
  return out;
}

StatusOr<RunningExecution> MemStore::ClaimExecution(std::string_view arn,
                                                    std::string_view node_id) {
  constexpr std::string_view kOp = "ClaimExecution";
  if (node_id.empty()) return InvalidArgumentError("ClaimExecution: the node id is empty");
  std::unique_lock lock(mu_);
  const int64_t id = ExecutionId(arn);
  if (id == 0) return internal::ExecutionNotFound(kOp, arn);
  Execution& execution = executions_.at(id);
  const ExecutionRecord& r = execution.record;
  if (!r.parent_arn.empty()) {
    return FailedPreconditionError("ClaimExecution: execution '" + std::string(arn) +
                                   "' is a Map Run's child");
  }
  if (r.status != ExecutionStatus::kRunning) {
    return FailedPreconditionError("ClaimExecution: execution '" + std::string(arn) + "' is " +
                                   std::string(ExecutionStatusName(r.status)));
  }
  execution.owner = std::string(node_id);
  return RunningExecution{r.arn, r.wake_at_ms, r.tasks_pending};
}

StatusOr<std::string> MemStore::GetExecutionOwner(std::string_view arn) {
  std::shared_lock lock(mu_);
  const int64_t id = ExecutionId(arn);
  if (id == 0) return internal::ExecutionNotFound("GetExecutionOwner", arn);
  const Execution& execution = executions_.at(id);
  if (!execution.record.parent_arn.empty()) {
    const int64_t parent = ExecutionId(execution.record.parent_arn);
    if (parent != 0) return executions_.at(parent).owner;
  }
  return execution.owner;
}

StatusOr<bool> MemStore::AcquireLease(std::string_view name, std::string_view holder,
                                      int64_t now_ms, int64_t expires_ms) {
  if (name.empty() || holder.empty()) {
    return InvalidArgumentError("AcquireLease: the lease name and holder must not be empty");
  }
  std::unique_lock lock(mu_);
  auto it = leases_.find(name);
  if (it != leases_.end() && it->second.holder != holder && it->second.expires_ms > now_ms) {
    return false;
  }
  leases_[std::string(name)] = Lease{std::string(holder), expires_ms};
  return true;
}

Status MemStore::ReleaseLease(std::string_view name, std::string_view holder) {
  std::unique_lock lock(mu_);
  auto it = leases_.find(name);
  if (it != leases_.end() && it->second.holder == holder) leases_.erase(it);
  return Status::OK();
}

StatusOr<std::vector<RunningExecution>> MemStore::ListRunningExecutions() {
  std::shared_lock lock(mu_);
  std::vector<RunningExecution> out;
  for (const auto& [id, execution] : executions_) {
    const ExecutionRecord& r = execution.record;
    if (r.status == ExecutionStatus::kRunning && r.parent_arn.empty()) {
      out.push_back(RunningExecution{r.arn, r.wake_at_ms, r.tasks_pending});
    }
  }
  return out;
}

StatusOr<Page<HistoryEventRecord>> MemStore::GetHistory(std::string_view execution_arn,
                                                        const PageRequest& page, bool reverse) {
  constexpr std::string_view kOp = "GetHistory";
  const TokenKind kind = reverse ? TokenKind::kHistoryReverse : TokenKind::kHistory;
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after, internal::DecodePageToken(kOp, kind, page));
  std::shared_lock lock(mu_);
  const int64_t id = ExecutionId(execution_arn);
  if (id == 0) return internal::ExecutionNotFound(kOp, execution_arn);
  const std::vector<HistoryEventRecord>& history = executions_.at(id).history;
  Page<HistoryEventRecord> result;
  auto take = [&](const HistoryEventRecord& event) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(kind, result.items.back().event_id);
      return false;
    }
    result.items.push_back(event);
    return true;
  };
  if (reverse) {
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (after.has_position && it->event_id >= after.position) continue;
      if (!take(*it)) break;
    }
  } else {
    for (const HistoryEventRecord& event : history) {
      if (event.event_id <= after.position) continue;
      if (!take(event)) break;
    }
  }
  return result;
}

StatusOr<MapRunRecord> MemStore::GetMapRun(std::string_view arn) {
  std::shared_lock lock(mu_);
  const int64_t id = MapRunId(arn);
  if (id == 0) return internal::MapRunNotFound("GetMapRun", arn);
  return map_runs_.at(id);
}

StatusOr<Page<MapRunRecord>> MemStore::ListMapRuns(std::string_view execution_arn,
                                                   const PageRequest& page) {
  constexpr std::string_view kOp = "ListMapRuns";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kMapRuns, page));
  std::shared_lock lock(mu_);
  if (ExecutionId(execution_arn) == 0) return internal::ExecutionNotFound(kOp, execution_arn);
  Page<MapRunRecord> result;
  int64_t last_id = 0;
  auto it = after.has_position ? std::make_reverse_iterator(map_runs_.lower_bound(after.position))
                               : map_runs_.rbegin();
  for (; it != map_runs_.rend(); ++it) {
    if (it->second.execution_arn != execution_arn) continue;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(TokenKind::kMapRuns, last_id);
      break;
    }
    last_id = it->first;
    result.items.push_back(it->second);
  }
  return result;
}

StatusOr<MapRunExecutionCounts> MemStore::CountMapRunExecutions(std::string_view arn) {
  std::shared_lock lock(mu_);
  if (MapRunId(arn) == 0) return internal::MapRunNotFound("CountMapRunExecutions", arn);
  MapRunExecutionCounts counts;
  for (const auto& [id, execution] : executions_) {
    if (execution.record.map_run_arn == arn) {
      internal::CountMapRunChildren(execution.record.status, 1, &counts);
    }
  }
  return counts;
}

Status MemStore::CreateActivity(const ActivityRecord& activity,
                                const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateActivity";
  STEPD_RETURN_IF_ERROR(internal::ValidateActivity(kOp, activity));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  for (const auto& [id, a] : activities_) {
    if (a.arn == activity.arn) return internal::ActivityArnTaken(kOp, activity.arn);
  }
  for (const auto& [id, a] : activities_) {
    if (a.name == activity.name) return internal::ActivityNameTaken(kOp, activity.name);
  }
  activities_.emplace(next_activity_id_++, activity);
  return AppendAuditLocked(audit, kOp);
}

StatusOr<ActivityRecord> MemStore::GetActivity(std::string_view arn) {
  std::shared_lock lock(mu_);
  for (const auto& [id, a] : activities_) {
    if (a.arn == arn) return a;
  }
  return internal::ActivityNotFound("GetActivity", arn);
}

StatusOr<Page<ActivityRecord>> MemStore::ListActivities(const PageRequest& page) {
  constexpr std::string_view kOp = "ListActivities";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kActivities, page));
  std::shared_lock lock(mu_);
  Page<ActivityRecord> result;
  for (auto it = activities_.upper_bound(after.position); it != activities_.end(); ++it) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(TokenKind::kActivities, std::prev(it)->first);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

Status MemStore::DeleteActivity(std::string_view arn, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteActivity";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  for (auto it = activities_.begin(); it != activities_.end(); ++it) {
    if (it->second.arn != arn) continue;
    for (auto t = activity_tasks_.begin(); t != activity_tasks_.end();) {
      t = t->second.task.activity_arn == arn ? activity_tasks_.erase(t) : std::next(t);
    }
    activities_.erase(it);
    return AppendAuditLocked(audit, kOp);
  }
  return internal::ActivityNotFound(kOp, arn);
}

Status MemStore::UpdateAttributes(std::string_view arn, const std::string& attributes_json,
                                  const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateAttributes";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  bool found = false;
  if (int64_t id = MachineId(arn); id != 0) {
    machines_.at(id).attributes_json = attributes_json;
    found = true;
  }
  for (auto& [id, a] : activities_) {
    if (a.arn == arn) {
      a.attributes_json = attributes_json;
      found = true;
    }
  }
  if (!found) return internal::ResourceNotFound(kOp, arn);
  return AppendAuditLocked(audit, kOp);
}

StatusOr<ActivityTaskRecord> MemStore::EnqueueActivityTask(const ActivityTaskRecord& task) {
  constexpr std::string_view kOp = "EnqueueActivityTask";
  std::unique_lock lock(mu_);
  for (const auto& [id, row] : activity_tasks_) {
    if (row.task.execution_arn == task.execution_arn && row.task.task_id == task.task_id) {
      return row.task;
    }
  }
  bool exists = false;
  for (const auto& [id, a] : activities_) exists = exists || a.arn == task.activity_arn;
  if (!exists) return internal::ActivityNotFound(kOp, task.activity_arn);
  TaskRow row;
  row.task = task;
  row.task.state = ActivityTaskState::kQueued;
  activity_tasks_.emplace(next_task_row_++, row);
  return row.task;
}

StatusOr<std::optional<ActivityTaskRecord>> MemStore::ClaimActivityTask(
    std::string_view activity_arn, std::string_view worker_name, std::string_view token_hash,
    int64_t now_ms) {
  std::unique_lock lock(mu_);
  for (auto& [id, row] : activity_tasks_) {
    if (row.task.activity_arn != activity_arn || row.task.state != ActivityTaskState::kQueued) {
      continue;
    }
    row.task.state = ActivityTaskState::kStarted;
    row.task.worker_name = std::string(worker_name);
    row.task.started_at_ms = now_ms;
    row.task.heartbeat_at_ms = now_ms;
    row.token_hash = std::string(token_hash);
    return std::optional<ActivityTaskRecord>(row.task);
  }
  return std::optional<ActivityTaskRecord>();
}

StatusOr<ActivityTaskRecord> MemStore::RegisterTaskToken(const ActivityTaskRecord& task,
                                                         std::string_view token_hash,
                                                         bool* recorded_now) {
  std::unique_lock lock(mu_);
  if (recorded_now) *recorded_now = false;
  for (const auto& [id, row] : activity_tasks_) {
    if (row.task.execution_arn == task.execution_arn && row.task.task_id == task.task_id) {
      return row.task;
    }
  }
  if (TaskByToken(token_hash) != nullptr) {
    return AlreadyExistsError("RegisterTaskToken: the token is recorded for another task");
  }
  TaskRow row;
  row.task = task;
  row.task.input = "{}";
  row.task.worker_name.clear();
  row.task.state = ActivityTaskState::kStarted;
  row.task.started_at_ms = task.created_at_ms;
  row.task.heartbeat_at_ms = task.created_at_ms;
  row.token_hash = std::string(token_hash);
  activity_tasks_.emplace(next_task_row_++, row);
  if (recorded_now) *recorded_now = true;
  return row.task;
}

StatusOr<ActivityTaskRecord> MemStore::GetActivityTaskByToken(std::string_view token_hash) {
  std::unique_lock lock(mu_);
  if (TaskRow* row = TaskByToken(token_hash)) return row->task;
  return internal::TaskTokenNotFound("GetActivityTaskByToken");
}

StatusOr<ActivityTaskRecord> MemStore::FinishActivityTask(std::string_view token_hash,
                                                          const ActivityTaskRecord& update) {
  constexpr std::string_view kOp = "FinishActivityTask";
  std::unique_lock lock(mu_);
  TaskRow* row = TaskByToken(token_hash);
  if (row == nullptr) return internal::TaskTokenNotFound(kOp);
  if (row->task.state != ActivityTaskState::kStarted) {
    return internal::TaskNotStarted(kOp, row->task.state);
  }
  row->task.state = update.state;
  row->task.output = update.output;
  row->task.error = update.error;
  row->task.cause = update.cause;
  return row->task;
}

StatusOr<ActivityTaskRecord> MemStore::HeartbeatActivityTask(std::string_view token_hash,
                                                             int64_t now_ms) {
  constexpr std::string_view kOp = "HeartbeatActivityTask";
  std::unique_lock lock(mu_);
  TaskRow* row = TaskByToken(token_hash);
  if (row == nullptr) return internal::TaskTokenNotFound(kOp);
  if (row->task.state != ActivityTaskState::kStarted) {
    return internal::TaskNotStarted(kOp, row->task.state);
  }
  row->task.heartbeat_at_ms = now_ms;
  return row->task;
}

Status MemStore::CloseActivityTask(std::string_view execution_arn, int64_t task_id) {
  std::unique_lock lock(mu_);
  CloseActivityTaskLocked(execution_arn, task_id);
  return Status::OK();
}

StatusOr<Page<ActivityTaskRecord>> MemStore::ListActivityTasks(const ActivityTaskFilter& filter,
                                                               const PageRequest& page) {
  constexpr std::string_view kOp = "ListActivityTasks";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::TaskPosition after, internal::DecodeTaskPageToken(kOp, page));
  std::shared_lock lock(mu_);
  std::vector<const ActivityTaskRecord*> selected;
  for (const auto& [id, row] : activity_tasks_) {
    if (internal::ActivityTaskMatches(filter, row.task) && internal::TaskIsAfter(after, row.task)) {
      selected.push_back(&row.task);
    }
  }
  std::sort(selected.begin(), selected.end(),
            [](const ActivityTaskRecord* a, const ActivityTaskRecord* b) {
              return std::tie(a->created_at_ms, a->execution_arn, a->task_id) <
                     std::tie(b->created_at_ms, b->execution_arn, b->task_id);
            });
  Page<ActivityTaskRecord> result;
  for (const ActivityTaskRecord* task : selected) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodeTaskPageToken(result.items.back());
      break;
    }
    result.items.push_back(*task);
  }
  return result;
}

void MemStore::CloseActivityTaskLocked(std::string_view execution_arn, int64_t task_id) {
  for (auto& [id, row] : activity_tasks_) {
    if (row.task.execution_arn == execution_arn && row.task.task_id == task_id) {
      row.task.state = ActivityTaskState::kClosed;
    }
  }
}

StatusOr<ConnectionRecord*> MemStore::ConnectionAtRevisionLocked(std::string_view arn,
                                                                 int64_t expected,
                                                                 std::string_view op) {
  for (auto& [name, c] : connections_) {
    if (c.arn != arn) continue;
    if (c.revision != expected) {
      return internal::ConnectionRevisionChanged(op, arn, c.revision, expected);
    }
    return &c;
  }
  return internal::ConnectionNotFound(op, arn);
}

Status MemStore::CreateConnection(const ConnectionRecord& connection,
                                  const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateConnection";
  STEPD_RETURN_IF_ERROR(internal::ValidateConnection(kOp, connection));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  for (const auto& [name, c] : connections_) {
    if (c.arn == connection.arn) return internal::ConnectionArnTaken(kOp, connection.arn);
  }
  if (connections_.count(connection.name) > 0) {
    return internal::ConnectionNameTaken(kOp, connection.name);
  }
  if (static_cast<int64_t>(connections_.size()) >= internal::kMaxConnections) {
    return internal::TooManyConnections(kOp);
  }
  ConnectionRecord stored = connection;
  stored.revision = 1;
  connections_.emplace(stored.name, std::move(stored));
  return AppendAuditLocked(audit, kOp);
}

StatusOr<ConnectionRecord> MemStore::GetConnection(std::string_view name) {
  std::shared_lock lock(mu_);
  auto it = connections_.find(name);
  if (it == connections_.end()) return internal::ConnectionNotFound("GetConnection", name);
  return it->second;
}

StatusOr<ConnectionRecord> MemStore::GetConnectionByArn(std::string_view arn) {
  std::shared_lock lock(mu_);
  for (const auto& [name, c] : connections_) {
    if (c.arn == arn) return c;
  }
  return internal::ConnectionNotFound("GetConnectionByArn", arn);
}

StatusOr<Page<ConnectionRecord>> MemStore::ListConnections(const ConnectionFilter& filter,
                                                           const PageRequest& page) {
  constexpr std::string_view kOp = "ListConnections";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(std::string after,
                         internal::DecodeNamePageToken(kOp, TokenKind::kConnections, page));
  std::shared_lock lock(mu_);
  Page<ConnectionRecord> result;
  for (auto it = connections_.upper_bound(after); it != connections_.end(); ++it) {
    if (!internal::ConnectionMatches(filter, it->second)) continue;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodeNamePageToken(TokenKind::kConnections, result.items.back().name);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

StatusOr<int64_t> MemStore::UpdateConnection(const ConnectionRecord& connection,
                                             const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateConnection";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  STEPD_ASSIGN_OR_RETURN(ConnectionRecord * stored,
                         ConnectionAtRevisionLocked(connection.arn, connection.revision, kOp));
  stored->description = connection.description;
  stored->authorization_type = connection.authorization_type;
  stored->state = connection.state;
  stored->state_reason = connection.state_reason;
  stored->auth_parameters_json = connection.auth_parameters_json;
  stored->sealed_parameters = connection.sealed_parameters;
  stored->updated_at_ms = connection.updated_at_ms;
  stored->authorized_at_ms = connection.authorized_at_ms;
  const int64_t revision = ++stored->revision;
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return revision;
}

Status MemStore::DeleteConnection(std::string_view arn, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteConnection";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->second.arn != arn) continue;
    connections_.erase(it);
    return AppendAuditLocked(audit, kOp);
  }
  return internal::ConnectionNotFound(kOp, arn);
}

Status MemStore::ReplaceSealedParameters(const std::vector<SealedParametersUpdate>& updates,
                                         const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "ReplaceSealedParameters";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  // As one SQL transaction would: each update sees the revisions the ones
  // before it wrote.
  std::vector<std::pair<ConnectionRecord*, int64_t>> planned;  // record, revision after
  for (const SealedParametersUpdate& u : updates) {
    ConnectionRecord* stored = nullptr;
    for (auto& [name, c] : connections_) {
      if (c.arn == u.arn) stored = &c;
    }
    if (stored == nullptr) return internal::ConnectionNotFound(kOp, u.arn);
    int64_t current = stored->revision;
    for (const auto& [record, revision] : planned) {
      if (record == stored) current = revision;
    }
    if (current != u.revision) {
      return internal::ConnectionRevisionChanged(kOp, u.arn, current, u.revision);
    }
    planned.emplace_back(stored, current + 1);
  }
  for (size_t i = 0; i < updates.size(); ++i) {
    planned[i].first->sealed_parameters = updates[i].sealed_parameters;
    planned[i].first->revision = planned[i].second;
  }
  return AppendAuditLocked(audit, kOp);
}

StatusOr<RecordedDelivery> MemStore::RecordLookerDelivery(const LookerDeliveryRecord& delivery,
                                                          int64_t dedup_since_ms) {
  constexpr std::string_view kOp = "RecordLookerDelivery";
  STEPD_RETURN_IF_ERROR(internal::ValidateLookerDelivery(kOp, delivery));
  std::unique_lock lock(mu_);
  if (delivery_times_.count(delivery.id) > 0) {
    return internal::LookerDeliveryIdTaken(kOp, delivery.id);
  }
  RecordedDelivery result;
  result.stored = delivery;
  for (auto it = deliveries_.rbegin(); it != deliveries_.rend(); ++it) {  // newest first
    if (internal::RepeatsLookerDelivery(delivery, dedup_since_ms, it->second)) {
      result.first = it->second;
      result.stored = internal::AsDuplicateOf(delivery, it->second);
      break;
    }
  }
  deliveries_.emplace(DeliveryKey(delivery.received_ms, delivery.id), result.stored);
  delivery_times_.emplace(delivery.id, delivery.received_ms);
  return result;
}

Status MemStore::UpdateLookerDelivery(std::string_view id, std::string_view outcome,
                                      std::string_view execution_arn, std::string_view message) {
  constexpr std::string_view kOp = "UpdateLookerDelivery";
  STEPD_RETURN_IF_ERROR(internal::ValidateLookerDeliveryOutcome(kOp, outcome));
  std::unique_lock lock(mu_);
  LookerDeliveryRecord* stored = FindDeliveryLocked(id);
  if (stored == nullptr) return internal::LookerDeliveryNotFound(kOp, id);
  stored->outcome = std::string(outcome);
  stored->execution_arn = std::string(execution_arn);
  stored->message = std::string(message);
  return Status::OK();
}

StatusOr<LookerDeliveryRecord> MemStore::GetLookerDelivery(std::string_view id) {
  std::shared_lock lock(mu_);
  const LookerDeliveryRecord* stored = FindDeliveryLocked(id);
  if (stored == nullptr) return internal::LookerDeliveryNotFound("GetLookerDelivery", id);
  return *stored;
}

StatusOr<Page<LookerDeliveryRecord>> MemStore::ListLookerDeliveries(
    const LookerDeliveryFilter& filter, const PageRequest& page) {
  constexpr std::string_view kOp = "ListLookerDeliveries";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::TimeIdPosition after,
                         internal::DecodeTimeIdPageToken(kOp, TokenKind::kLookerDeliveries, page));
  std::shared_lock lock(mu_);
  auto it = after.has_position ? std::make_reverse_iterator(
                                     deliveries_.lower_bound(DeliveryKey(after.time_ms, after.id)))
                               : deliveries_.rbegin();
  Page<LookerDeliveryRecord> result;
  for (; it != deliveries_.rend(); ++it) {
    if (!internal::LookerDeliveryMatches(filter, it->second)) continue;
    if (static_cast<int>(result.items.size()) == limit) {
      const LookerDeliveryRecord& last = result.items.back();
      result.next_token =
          internal::EncodeTimeIdPageToken(TokenKind::kLookerDeliveries, last.received_ms, last.id);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

StatusOr<int64_t> MemStore::DeleteLookerDeliveriesBefore(int64_t received_before_ms) {
  std::unique_lock lock(mu_);
  int64_t deleted = 0;
  for (auto it = deliveries_.begin();
       it != deliveries_.end() && it->first.first < received_before_ms; ++deleted) {
    delivery_times_.erase(it->first.second);
    it = deliveries_.erase(it);
  }
  return deleted;
}

Status MemStore::CreateArtifact(const ArtifactRecord& artifact) {
  constexpr std::string_view kOp = "CreateArtifact";
  STEPD_RETURN_IF_ERROR(internal::ValidateArtifact(kOp, artifact));
  std::unique_lock lock(mu_);
  if (!artifacts_.emplace(artifact.id, artifact).second) {
    return internal::ArtifactIdTaken(kOp, artifact.id);
  }
  return Status::OK();
}

StatusOr<ArtifactRecord> MemStore::GetArtifact(std::string_view id) {
  std::shared_lock lock(mu_);
  auto it = artifacts_.find(id);
  if (it == artifacts_.end()) return internal::ArtifactNotFound("GetArtifact", id);
  return it->second;
}

Status MemStore::SetArtifactExecution(std::string_view id, std::string_view execution_arn) {
  std::unique_lock lock(mu_);
  auto it = artifacts_.find(id);
  if (it == artifacts_.end()) return internal::ArtifactNotFound("SetArtifactExecution", id);
  it->second.execution_arn = std::string(execution_arn);
  return Status::OK();
}

StatusOr<std::vector<ArtifactRecord>> MemStore::ListExpiredArtifacts(int64_t now_ms, size_t limit) {
  std::shared_lock lock(mu_);
  std::vector<ArtifactRecord> expired;
  for (const auto& [id, artifact] : artifacts_) {
    if (artifact.expires_ms <= now_ms) expired.push_back(artifact);
  }
  // artifacts_ is in id order, so a stable sort leaves ties by id.
  std::stable_sort(
      expired.begin(), expired.end(),
      [](const ArtifactRecord& a, const ArtifactRecord& b) { return a.expires_ms < b.expires_ms; });
  if (expired.size() > limit) expired.resize(limit);
  return expired;
}

Status MemStore::DeleteArtifact(std::string_view id) {
  std::unique_lock lock(mu_);
  auto it = artifacts_.find(id);
  if (it == artifacts_.end()) return internal::ArtifactNotFound("DeleteArtifact", id);
  artifacts_.erase(it);
  return Status::OK();
}

// --- Schedules ---

Status MemStore::CreateSchedule(const ScheduleRecord& schedule,
                                const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "CreateSchedule";
  STEPD_RETURN_IF_ERROR(internal::ValidateSchedule(kOp, schedule));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  if (schedules_.count(schedule.name) > 0) return internal::ScheduleNameTaken(kOp, schedule.name);
  ScheduleRecord stored = schedule;
  stored.revision = 1;
  schedules_.emplace(stored.name, std::move(stored));
  return AppendAuditLocked(audit, kOp);
}

StatusOr<ScheduleRecord> MemStore::GetSchedule(std::string_view name) {
  std::shared_lock lock(mu_);
  auto it = schedules_.find(name);
  if (it == schedules_.end()) return internal::ScheduleNotFound("GetSchedule", name);
  return it->second;
}

StatusOr<std::vector<ScheduleRecord>> MemStore::ListSchedules() {
  std::shared_lock lock(mu_);
  std::vector<ScheduleRecord> result;
  for (const auto& [name, schedule] : schedules_) result.push_back(schedule);
  return result;
}

StatusOr<int64_t> MemStore::UpdateSchedule(const ScheduleRecord& schedule,
                                           const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "UpdateSchedule";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  auto it = schedules_.find(schedule.name);
  if (it == schedules_.end()) return internal::ScheduleNotFound(kOp, schedule.name);
  if (it->second.revision != schedule.revision) {
    return internal::ScheduleRevisionChanged(kOp, schedule.name, it->second.revision,
                                             schedule.revision);
  }
  const int64_t created_at_ms = it->second.created_at_ms;
  it->second = schedule;
  it->second.created_at_ms = created_at_ms;
  const int64_t revision = ++it->second.revision;
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  return revision;
}

Status MemStore::DeleteSchedule(std::string_view name, const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteSchedule";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  auto it = schedules_.find(name);
  if (it == schedules_.end()) return internal::ScheduleNotFound(kOp, name);
  schedules_.erase(it);
  return AppendAuditLocked(audit, kOp);
}

Status MemStore::AppendAudit(const std::vector<AuditEntry>& audit) {
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit("AppendAudit", audit));
  std::unique_lock lock(mu_);
  return AppendAuditLocked(audit, "AppendAudit");
}

StatusOr<Page<AuditRecord>> MemStore::ListAudit(const PageRequest& page) {
  constexpr std::string_view kOp = "ListAudit";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kAudit, page));
  std::shared_lock lock(mu_);
  Page<AuditRecord> result;
  for (const AuditRecord& row : audit_) {
    if (row.seq <= after.position) continue;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(TokenKind::kAudit, result.items.back().seq);
      break;
    }
    result.items.push_back(row);
  }
  return result;
}

StatusOr<AuditHead> MemStore::GetAuditHead() {
  std::shared_lock lock(mu_);
  if (audit_.empty()) return AuditHead{0, std::string(kAuditGenesisHash)};
  return AuditHead{audit_.back().seq, audit_.back().hash};
}

Status MemStore::VerifyAuditChain() {
  std::shared_lock lock(mu_);
  std::string_view prev_hash = kAuditGenesisHash;
  int64_t expected = 1;
  for (const AuditRecord& row : audit_) {
    STEPD_RETURN_IF_ERROR(internal::CheckAuditRow(row, expected++, prev_hash, audit_key_));
    prev_hash = row.hash;
  }
  return Status::OK();
}

// --- Notifications -------------------------------------------------------------------

StatusOr<std::optional<int64_t>> MemStore::GetNotificationCursor() {
  std::shared_lock lock(mu_);
  return notification_cursor_;
}

StatusOr<std::vector<AuditRecord>> MemStore::ListAuditTransitionsAfter(
    int64_t after_seq, const std::vector<std::string>& actions, int limit) {
  STEPD_RETURN_IF_ERROR(internal::CheckNotificationLimit("ListAuditTransitionsAfter", limit));
  std::shared_lock lock(mu_);
  std::vector<AuditRecord> result;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after_seq, 0)); i < audit_.size(); ++i) {
    const AuditRecord& row = audit_[i];
    if (row.entry.event_id <= 0) continue;
    if (std::find(actions.begin(), actions.end(), row.entry.action) == actions.end()) continue;
    result.push_back(row);
    if (static_cast<int>(result.size()) == limit) break;
  }
  return result;
}

StatusOr<std::vector<int64_t>> MemStore::EnqueueNotifications(
    int64_t cursor, const std::vector<NotificationRecord>& items) {
  constexpr std::string_view kOp = "EnqueueNotifications";
  for (const NotificationRecord& item : items) {
    STEPD_RETURN_IF_ERROR(internal::ValidateNotification(kOp, item));
  }
  std::unique_lock lock(mu_);
  if (notification_cursor_) {
    STEPD_RETURN_IF_ERROR(internal::CheckNotificationCursor(kOp, *notification_cursor_, cursor));
  }
  std::vector<int64_t> ids;
  for (NotificationRecord item : items) {
    item.id = next_notification_id_++;
    ids.push_back(item.id);
    notifications_.emplace(item.id, std::move(item));
  }
  notification_cursor_ = cursor;
  return ids;
}

StatusOr<std::vector<NotificationRecord>> MemStore::ListDueNotifications(int64_t now_ms,
                                                                         int limit) {
  STEPD_RETURN_IF_ERROR(internal::CheckNotificationLimit("ListDueNotifications", limit));
  std::shared_lock lock(mu_);
  std::vector<NotificationRecord> due;
  for (const auto& [id, n] : notifications_) {
    if (n.status == NotificationStatus::kPending && n.next_attempt_ms <= now_ms) due.push_back(n);
  }
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a.next_attempt_ms < b.next_attempt_ms;
  });
  if (due.size() > static_cast<size_t>(limit)) due.resize(limit);
  return due;
}

Status MemStore::RecordNotificationAttempt(int64_t id, const NotificationAttempt& attempt) {
  constexpr std::string_view kOp = "RecordNotificationAttempt";
  std::unique_lock lock(mu_);
  auto it = notifications_.find(id);
  if (it == notifications_.end()) return internal::NotificationNotFound(kOp, id);
  NotificationRecord& n = it->second;
  if (n.status != NotificationStatus::kPending) {
    return internal::NotificationNotPending(kOp, id, NotificationStatusName(n.status));
  }
  n.status = attempt.status;
  n.attempts = attempt.attempts;
  n.next_attempt_ms = attempt.next_attempt_ms;
  n.updated_ms = attempt.now_ms;
  if (attempt.status == NotificationStatus::kDelivered) n.delivered_ms = attempt.now_ms;
  if (!attempt.last_error.empty()) n.last_error = attempt.last_error;
  return Status::OK();
}

StatusOr<NotificationRecord> MemStore::GetNotification(int64_t id) {
  std::shared_lock lock(mu_);
  auto it = notifications_.find(id);
  if (it == notifications_.end()) return internal::NotificationNotFound("GetNotification", id);
  return it->second;
}

StatusOr<Page<NotificationRecord>> MemStore::ListNotifications(const NotificationFilter& filter,
                                                               const PageRequest& page) {
  constexpr std::string_view kOp = "ListNotifications";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, TokenKind::kNotifications, page));
  std::shared_lock lock(mu_);
  Page<NotificationRecord> result;
  for (auto it = notifications_.rbegin(); it != notifications_.rend(); ++it) {
    if (after.has_position && it->first >= after.position) continue;
    if (!internal::NotificationMatches(filter, it->second)) continue;
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          internal::EncodePageToken(TokenKind::kNotifications, result.items.back().id);
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

StatusOr<int64_t> MemStore::CountNotifications(NotificationStatus status) {
  std::shared_lock lock(mu_);
  int64_t count = 0;
  for (const auto& [id, n] : notifications_) count += n.status == status ? 1 : 0;
  return count;
}

StatusOr<NotificationRecord> MemStore::RetryNotification(int64_t id, int64_t now_ms,
                                                         const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "RetryNotification";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  auto it = notifications_.find(id);
  if (it == notifications_.end()) return internal::NotificationNotFound(kOp, id);
  NotificationRecord& n = it->second;
  if (n.status != NotificationStatus::kDeadLetter) {
    return internal::NotificationNotDeadLetter(kOp, id, NotificationStatusName(n.status));
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  n.status = NotificationStatus::kPending;
  n.attempts = 0;
  n.next_attempt_ms = now_ms;
  n.updated_ms = now_ms;
  return n;
}

StatusOr<bool> MemStore::PutNotificationSink(const NotificationSinkRecord& sink,
                                             const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "PutNotificationSink";
  STEPD_RETURN_IF_ERROR(internal::ValidateNotificationSink(kOp, sink));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  auto it = notification_sinks_.find(sink.name);
  const bool created = it == notification_sinks_.end();
  NotificationSinkRecord stored = sink;
  if (!created) stored.created_ms = it->second.created_ms;
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  notification_sinks_[sink.name] = std::move(stored);
  return created;
}

StatusOr<std::vector<NotificationSinkRecord>> MemStore::ListNotificationSinks() {
  std::shared_lock lock(mu_);
  std::vector<NotificationSinkRecord> result;
  for (const auto& [name, sink] : notification_sinks_) result.push_back(sink);
  return result;
}

Status MemStore::DeleteNotificationSink(std::string_view name,
                                        const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteNotificationSink";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  std::vector<std::string> users;
  for (const auto& [rule_name, rule] : notification_rules_) {
    if (rule.sink == name) users.push_back(rule_name);
  }
  if (!users.empty()) return internal::NotificationSinkInUse(kOp, name, users);
  auto it = notification_sinks_.find(name);
  if (it == notification_sinks_.end()) {
    return internal::NotificationConfigNotFound(kOp, "sink", name);
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  notification_sinks_.erase(it);
  return Status::OK();
}

StatusOr<bool> MemStore::PutNotificationRule(const NotificationRuleRecord& rule,
                                             const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "PutNotificationRule";
  STEPD_RETURN_IF_ERROR(internal::ValidateNotificationRule(kOp, rule));
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  auto it = notification_rules_.find(rule.name);
  const bool created = it == notification_rules_.end();
  NotificationRuleRecord stored = rule;
  if (!created) stored.created_ms = it->second.created_ms;
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  notification_rules_[rule.name] = std::move(stored);
  return created;
}

StatusOr<std::vector<NotificationRuleRecord>> MemStore::ListNotificationRules() {
  std::shared_lock lock(mu_);
  std::vector<NotificationRuleRecord> result;
  for (const auto& [name, rule] : notification_rules_) result.push_back(rule);
  return result;
}

Status MemStore::DeleteNotificationRule(std::string_view name,
                                        const std::vector<AuditEntry>& audit) {
  constexpr std::string_view kOp = "DeleteNotificationRule";
  STEPD_RETURN_IF_ERROR(internal::ValidateAudit(kOp, audit));
  std::unique_lock lock(mu_);
  auto it = notification_rules_.find(name);
  if (it == notification_rules_.end()) {
    return internal::NotificationConfigNotFound(kOp, "rule", name);
  }
  STEPD_RETURN_IF_ERROR(AppendAuditLocked(audit, kOp));
  notification_rules_.erase(it);
  return Status::OK();
}

}  // namespace

std::unique_ptr<Store> NewMemStore(std::string audit_key) {
  return std::make_unique<MemStore>(std::move(audit_key));
}

}  // namespace stepd::store
