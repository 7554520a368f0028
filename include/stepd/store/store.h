#pragma once
// Store: the contract for everything stepd persists. SqliteStore
// (sqlite_store.h) is the embedded default and PostgresStore
// (postgres_store.h) the one several nodes share, both one implementation
// over two SQL engines; MemStore (mem_store.h) is their in-memory twin for
// tests of upper layers. Nothing here names an engine.
//
// Thread-safety: every method may be called from any thread, concurrently.
// Each call is atomic: it either applies all of its writes or none. Reads see
// the last committed state and never wait for a write in progress (SQLite:
// WAL readers; MemStore: a short lock per call).
//
// Errors (exact codes, relied upon by the api layer):
//   NOT_FOUND            the named machine/execution/connection/... does not exist
//   ALREADY_EXISTS       the record exists; for CommitTransition, the events
//                        were committed before (a retried commit)
//   FAILED_PRECONDITION  the request does not fit the stored state (gap in
//                        event ids, machine being deleted, schema mismatch)
//   INVALID_ARGUMENT     malformed request (bad token, empty ARN, ...)
//   ABORTED              a connection changed since the revision the caller read
//   UNAVAILABLE          the database is busy or unreachable; retry later
//   DATA_LOSS            VerifyAuditChain found a broken chain; corruption
// Messages name the operation, e.g. "CreateExecution: execution '...' already
// exists".
//
// Text is UTF-8: PostgreSQL refuses other bytes (INVALID_ARGUMENT), where
// SQLite and MemStore keep them as given. The API layer hands the store JSON
// strings, which are UTF-8.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/status.h"
#include "stepd/base/status_or.h"
#include "stepd/store/records.h"

namespace stepd::store {

class Store {
 public:
  virtual ~Store() = default;

  // --- Schema ---------------------------------------------------------------

  // Applies the migrations compiled into this binary that the database lacks,
  // in order, each in its own transaction. Idempotent. Refuses (FAILED_
  // PRECONDITION) a database whose schema is newer than this binary knows, or
  // whose applied migrations differ from the compiled ones (checksum).
  virtual Status Migrate() = 0;
  // Highest applied migration version; 0 for a database never migrated.
  virtual StatusOr<int> SchemaVersion() = 0;

  // --- State machines -------------------------------------------------------

  // ALREADY_EXISTS when the ARN or the name is taken. `audit` rows are
  // appended in the same transaction.
  virtual Status CreateStateMachine(const StateMachineRecord& machine,
                                    const std::vector<AuditEntry>& audit) = 0;
  virtual StatusOr<StateMachineRecord> GetStateMachine(std::string_view arn) = 0;
  // Ordered by creation, oldest first.
  virtual StatusOr<Page<StateMachineRecord>> ListStateMachines(const PageRequest& page) = 0;
  // The definition the machine had at `revision_id` (every revision a
  // machine had is kept: executions run the one they started with).
  // NOT_FOUND when the machine or the revision is unknown.
  virtual StatusOr<std::string> GetStateMachineDefinition(std::string_view arn,
                                                          std::string_view revision_id) = 0;
  // Replaces type-independent mutable fields of an existing machine:
  // definition, role_arn, revision_id, attributes_json, updated_at_ms (the
  // other fields of `machine` are ignored). NOT_FOUND when absent.
  virtual Status UpdateStateMachine(const StateMachineRecord& machine,
                                    const std::vector<AuditEntry>& audit) = 0;
  // When none of its executions is RUNNING, removes the machine with its
  // versions, aliases, executions, their history and timers (audit rows
  // stay). Otherwise marks it
  // DELETING (no new executions; call again once they finished to purge).
  // NOT_FOUND when absent.
  virtual Status DeleteStateMachine(std::string_view arn, const std::vector<AuditEntry>& audit) = 0;

  // --- Versions and aliases ---------------------------------------------------

  // Publishes the machine's current revision (definition, role_arn,
  // attributes_json) as version N = 1 + the highest version the machine ever
  // had, with `description` and created_at = now_ms. When a version of the
  // current revision exists already, returns it unchanged and writes nothing
  // (AWS's idempotent publish). Errors: NOT_FOUND (machine); FAILED_
  // PRECONDITION when the machine is DELETING, or when `expected_revision`
  // is non-empty and is not the current revision ("PublishStateMachineVersion:
  // the current revision of '<arn>' is <current>, not <expected>");
  // RESOURCE_EXHAUSTED when the machine has 1000 versions. Audit rows with
  // an empty target get the new version's ARN (<machine arn>:<N>).
  virtual StatusOr<StateMachineVersionRecord> PublishStateMachineVersion(
      std::string_view machine_arn, std::string_view expected_revision,
      const std::string& description, int64_t now_ms, const std::vector<AuditEntry>& audit) = 0;
  // The version with its definition. NOT_FOUND when the machine or the
  // version does not exist (message names which).
  virtual StatusOr<StateMachineVersionRecord> GetStateMachineVersion(std::string_view machine_arn,
                                                                    int64_t version) = 0;
  // Newest first; `definition` left empty. NOT_FOUND for an unknown machine.
  virtual StatusOr<Page<StateMachineVersionRecord>> ListStateMachineVersions(
      std::string_view machine_arn, const PageRequest& page) = 0;
  // NOT_FOUND when absent; FAILED_PRECONDITION when an alias routes to it
  // ("DeleteStateMachineVersion: aliases [a, b] route to version 2 of
  // '<arn>'", names in name order). Its executions stay.
  virtual Status DeleteStateMachineVersion(std::string_view machine_arn, int64_t version,
                                           const std::vector<AuditEntry>& audit) = 0;

  // ALREADY_EXISTS when the machine has an alias of that name; NOT_FOUND
  // when the machine, or a version a route names, does not exist;
  // FAILED_PRECONDITION when the machine is DELETING.
  virtual Status CreateStateMachineAlias(const StateMachineAliasRecord& alias,
                                         const std::vector<AuditEntry>& audit) = 0;
  // NOT_FOUND when the machine or the alias does not exist.
  virtual StatusOr<StateMachineAliasRecord> GetStateMachineAlias(std::string_view machine_arn,
                                                                std::string_view name) = 0;
  // In name order. NOT_FOUND for an unknown machine.
  virtual StatusOr<Page<StateMachineAliasRecord>> ListStateMachineAliases(
      std::string_view machine_arn, const PageRequest& page) = 0;
  // Replaces description, routing and updated_at_ms (the other fields are
  // ignored). Errors as CreateStateMachineAlias, NOT_FOUND for an unknown alias.
  virtual Status UpdateStateMachineAlias(const StateMachineAliasRecord& alias,
                                         const std::vector<AuditEntry>& audit) = 0;
  // NOT_FOUND when absent. Executions started through it keep its name.
  virtual Status DeleteStateMachineAlias(std::string_view machine_arn, std::string_view name,
                                         const std::vector<AuditEntry>& audit) = 0;

  // --- Executions -----------------------------------------------------------

  // `execution.state_machine_arn` must name an ACTIVE machine (NOT_FOUND /
  // FAILED_PRECONDITION). ALREADY_EXISTS when the ARN, or the name within the
  // machine, is taken. last_event_id and updated_at_ms are set by the store
  // (0 and start_time_ms).
  virtual Status CreateExecution(const ExecutionRecord& execution,
                                 const std::vector<AuditEntry>& audit) = 0;
  virtual StatusOr<ExecutionRecord> GetExecution(std::string_view arn) = 0;
  // The executions `filter` selects, newest first (reverse creation order;
  // a redrive does not move an execution). A filter naming a machine that
  // does not exist is NOT_FOUND; a version or alias without a machine is
  // INVALID_ARGUMENT. A page token holds only the position after the last
  // execution returned, not the filter: pass the same filter with it (with
  // another filter, the listing continues from that position under the new
  // filter; nothing is refused).
  virtual StatusOr<Page<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter,
                                                         const PageRequest& page) = 0;
  // How many executions `filter` selects, by state machine and status: one
  // row per (state_machine_arn, status) that has any, ordered by ARN, then
  // by status in ExecutionStatus order. Selects exactly what ListExecutions
  // lists with the same filter (so, by default, no Map Run's children), and
  // refuses the same filters with the same errors (messages name
  // CountExecutions). One read, consistent as of one moment.
  virtual StatusOr<std::vector<ExecutionCount>> CountExecutions(const ExecutionFilter& filter) = 0;

  // The exactly-once primitive, with group commit. In ONE database
  // transaction, applies each group of `groups` whole or not at all; for a
  // transition of a group, in order: creates the execution (`create`),
  // appends `events` to its history, applies `update`, closes
  // `closed_tasks`, writes `map_runs`, appends `audit` to the audit chain.
  // (*results)[i] is group i's outcome:
  //   - events[0].event_id <= last_event_id: ALREADY_EXISTS, nothing of the
  //     group written (a retry of a commit that landed: treat it as done);
  //   - events[0].event_id > last_event_id + 1: FAILED_PRECONDITION (gap);
  //   - ids inside a transition not consecutive: INVALID_ARGUMENT;
  //   - `create` of a taken name or ARN: ALREADY_EXISTS, as CreateExecution;
  //   - a transition of an execution another node owns (store opened with
  //     a node_id; see "Nodes"): ABORTED;
  //   - an audit row with an event_id not among this transition's events
  //     (or repeated): INVALID_ARGUMENT;
  //   - a map run whose execution_arn is not the transition's:
  //     INVALID_ARGUMENT; one whose arn is stored for another execution:
  //     FAILED_PRECONDITION.
  // The groups that succeeded are committed together; a failed group
  // changes nothing. A non-OK return means NOTHING was committed (the
  // database is busy, the disk is full, I/O failed): the caller retries
  // later or gives the steps up; `results` is then unspecified. An
  // execution whose last_event_id is still 0 has never had a transition
  // committed; recovery starts it from its input.
  virtual Status CommitTransitions(std::span<const TransitionGroup> groups,
                                   std::vector<Status>* results) = 0;
  // One transition committed on its own (CommitTransitions with one group);
  // returns the execution as committed. For tests and tools, not hot paths.
  StatusOr<ExecutionRecord> CommitTransition(const Transition& transition);

  // Every RUNNING execution that is no Map Run's child (those resume with
  // their parent), oldest first.
  virtual StatusOr<std::vector<RunningExecution>> ListRunningExecutions() = 0;

  // --- Nodes ------------------------------------------------------------------
  //
  // Several stepd nodes may share one database (PostgreSQL). Each names
  // itself with StoreOptions::node_id. A store with a node_id stamps the
  // top-level executions it creates with it (their owner; a Map Run's
  // children belong to their parent's owner) and refuses a transition of an
  // execution another node owns: that group fails with ABORTED
  // ("CommitTransitions: execution '<arn>' is owned by node '<id>'"), so a
  // node that lost an execution can never write to it again. A node takes
  // over the executions of nodes whose heartbeat expired with
  // ClaimExecutions, or one execution at once with ClaimExecution. With
  // node_id empty (one node, the default) owners are neither set nor
  // checked, and these calls are not needed.

  // Creates or refreshes the row of node.node_id with every field as given.
  // INVALID_ARGUMENT for an empty id.
  virtual Status HeartbeatNode(const NodeRecord& node) = 0;
  // Every node that heartbeat, by id.
  virtual StatusOr<std::vector<NodeRecord>> ListNodes() = 0;
  // Makes `node_id` the owner of up to `limit` RUNNING executions (no Map
  // Run children) whose owner is not alive at now_ms (none; a node without a
  // row; a node whose expires_ms <= now_ms) or, with `include_own`, is
  // `node_id` itself (a node restarting under the same id; without it, the
  // node's own are never returned). Oldest first.
  virtual StatusOr<std::vector<RunningExecution>> ClaimExecutions(std::string_view node_id,
                                                                  int64_t now_ms, int limit,
                                                                  bool include_own) = 0;
  // Makes `node_id` the owner of RUNNING execution `arn`, whoever owned it
  // (its next commit there is refused), to answer a request for it here.
  // NOT_FOUND when absent; FAILED_PRECONDITION when it is not RUNNING or is
  // a Map Run's child.
  virtual StatusOr<RunningExecution> ClaimExecution(std::string_view arn,
                                                    std::string_view node_id) = 0;
  // The node owning execution `arn` (a Map Run child: its parent's); "" for
  // none. NOT_FOUND when absent.
  virtual StatusOr<std::string> GetExecutionOwner(std::string_view arn) = 0;
  // Takes or renews lease `name` for `holder` until expires_ms if it is free
  // (never taken, expired at now_ms, or held by `holder`); true when
  // `holder` holds it now. For work one node does at a time.
  virtual StatusOr<bool> AcquireLease(std::string_view name, std::string_view holder,
                                      int64_t now_ms, int64_t expires_ms) = 0;
  // Gives lease `name` up if `holder` holds it; OK otherwise too.
  virtual Status ReleaseLease(std::string_view name, std::string_view holder) = 0;

  // Events in id order (reverse == true: newest first). NOT_FOUND for an
  // unknown execution.
  virtual StatusOr<Page<HistoryEventRecord>> GetHistory(std::string_view execution_arn,
                                                        const PageRequest& page, bool reverse) = 0;

  // --- Map Runs ---------------------------------------------------------------

  // NOT_FOUND for an unknown Map Run.
  virtual StatusOr<MapRunRecord> GetMapRun(std::string_view arn) = 0;
  // The Map Runs of an execution, newest first. NOT_FOUND for an unknown
  // execution.
  virtual StatusOr<Page<MapRunRecord>> ListMapRuns(std::string_view execution_arn,
                                                   const PageRequest& page) = 0;
  // Its child executions counted by status (one indexed scan); a child
  // PENDING_REDRIVE counts as failed (it failed and has not run again yet).
  // NOT_FOUND for an unknown Map Run.
  virtual StatusOr<MapRunExecutionCounts> CountMapRunExecutions(std::string_view arn) = 0;

  // --- Activities and their tasks --------------------------------------------

  // ALREADY_EXISTS when the ARN or the name is taken.
  virtual Status CreateActivity(const ActivityRecord& activity,
                                const std::vector<AuditEntry>& audit) = 0;
  virtual StatusOr<ActivityRecord> GetActivity(std::string_view arn) = 0;
  // Ordered by creation, oldest first.
  virtual StatusOr<Page<ActivityRecord>> ListActivities(const PageRequest& page) = 0;
  // Removes the activity and its tasks. NOT_FOUND when absent.
  virtual Status DeleteActivity(std::string_view arn, const std::vector<AuditEntry>& audit) = 0;
  // Replaces attributes_json (tags) of the state machine or activity `arn`
  // without touching anything else. NOT_FOUND when neither exists.
  virtual Status UpdateAttributes(std::string_view arn, const std::string& attributes_json,
                                  const std::vector<AuditEntry>& audit) = 0;

  // Queues `task` (state QUEUED) for its activity, unless its (execution_arn,
  // task_id) is known already (a dispatch repeated after a restart): then
  // returns the stored task as it is. NOT_FOUND when the activity does not
  // exist.
  virtual StatusOr<ActivityTaskRecord> EnqueueActivityTask(const ActivityTaskRecord& task) = 0;
  // Hands the oldest QUEUED task of the activity to `worker_name`: STARTED,
  // with `token_hash` (the SHA-256 of the token the worker gets) and
  // started_at = heartbeat_at = now. nullopt when none is queued.
  virtual StatusOr<std::optional<ActivityTaskRecord>> ClaimActivityTask(
      std::string_view activity_arn, std::string_view worker_name, std::string_view token_hash,
      int64_t now_ms) = 0;
  // Records the token a .waitForTaskToken task handed out ($$.Task.Token;
  // `token_hash` its SHA-256): STARTED, with task.activity_arn holding the
  // task's Resource and started_at = heartbeat_at = created_at. When the
  // (execution_arn, task_id) has one already (a dispatch repeated after a
  // restart) returns the stored one as it is; *recorded_now (when given)
  // tells which. ALREADY_EXISTS when the hash is another task's. The calls below take these tokens too.
  virtual StatusOr<ActivityTaskRecord> RegisterTaskToken(const ActivityTaskRecord& task,
                                                         std::string_view token_hash,
                                                         bool* recorded_now = nullptr) = 0;
  // The task a token was handed out for (to an activity worker, or by a
  // .waitForTaskToken task); NOT_FOUND for a token never handed out.
  virtual StatusOr<ActivityTaskRecord> GetActivityTaskByToken(std::string_view token_hash) = 0;
  // A STARTED task ends: SUCCEEDED with `output`, or FAILED with error and
  // cause (`update` holds them; its other fields are ignored). Returns the
  // task as ended. NOT_FOUND for an unknown token; FAILED_PRECONDITION when
  // the task is not STARTED any more (the message names its state).
  virtual StatusOr<ActivityTaskRecord> FinishActivityTask(std::string_view token_hash,
                                                          const ActivityTaskRecord& update) = 0;
  // A STARTED task's worker is alive: heartbeat_at = now. Same errors as
  // FinishActivityTask.
  virtual StatusOr<ActivityTaskRecord> HeartbeatActivityTask(std::string_view token_hash,
                                                             int64_t now_ms) = 0;
  // The execution no longer waits for the task: CLOSED (its activity task
  // or its token), whatever its state. OK when it is unknown.
  virtual Status CloseActivityTask(std::string_view execution_arn, int64_t task_id) = 0;
  // The tasks `filter` selects (activity tasks and the tokens of
  // .waitForTaskToken tasks alike), oldest first: by created_at_ms, then
  // execution_arn, then task_id (a task's key). An activity or execution
  // that does not exist selects nothing (an empty page, not NOT_FOUND). A
  // page token holds the position after the last task returned, not the
  // filter: pass the same filter with it. Token hashes are never returned.
  virtual StatusOr<Page<ActivityTaskRecord>> ListActivityTasks(const ActivityTaskFilter& filter,
                                                               const PageRequest& page) = 0;

  // --- Connections ------------------------------------------------------------

  // ALREADY_EXISTS when the ARN or the name is taken; RESOURCE_EXHAUSTED
  // when 3000 connections exist (AWS's quota). The stored revision is 1,
  // whatever `connection.revision` says.
  virtual Status CreateConnection(const ConnectionRecord& connection,
                                  const std::vector<AuditEntry>& audit) = 0;
  // By name (the API names connections by name). NOT_FOUND when absent.
  virtual StatusOr<ConnectionRecord> GetConnection(std::string_view name) = 0;
  // By ARN. NOT_FOUND when absent, also when a connection of the same name
  // was deleted and created again (it has another ARN).
  virtual StatusOr<ConnectionRecord> GetConnectionByArn(std::string_view arn) = 0;
  // In name order; `filter` narrows by name prefix and state.
  virtual StatusOr<Page<ConnectionRecord>> ListConnections(const ConnectionFilter& filter,
                                                           const PageRequest& page) = 0;
  // Replaces description, authorization_type, state, state_reason,
  // auth_parameters_json, sealed_parameters, updated_at_ms and
  // authorized_at_ms of the connection `connection.arn`, if its stored
  // revision is still `connection.revision`; returns the new revision (one
  // more). NOT_FOUND when absent; ABORTED when another write came first
  // ("UpdateConnection: connection '<arn>' is at revision 3, not 2").
  virtual StatusOr<int64_t> UpdateConnection(const ConnectionRecord& connection,
                                             const std::vector<AuditEntry>& audit) = 0;
  // NOT_FOUND when absent.
  virtual Status DeleteConnection(std::string_view arn, const std::vector<AuditEntry>& audit) = 0;
  // Replaces sealed_parameters of each connection listed, in one
  // transaction: all or nothing. Errors as UpdateConnection for the first
  // connection that is gone or at another revision. Bumps each revision;
  // updated_at_ms stays (nothing a user sees changed). For key rotation.
  virtual Status ReplaceSealedParameters(const std::vector<SealedParametersUpdate>& updates,
                                         const std::vector<AuditEntry>& audit) = 0;

  // --- Looker Action Hub deliveries -------------------------------------------

  // Records a delivery, deciding in the same transaction whether it repeats
  // one recorded before. It does when delivery.webhook_id is not empty and a
  // first delivery (duplicate_of empty) with the same instance, webhook_id
  // and action was received at or after `dedup_since_ms` and has not
  // failed: the new row is then stored as a duplicate of the newest such
  // delivery (duplicate_of = its id, execution_arn = its execution_arn,
  // whatever it is at this moment (empty while it is "pending"), outcome =
  // "duplicate"), and returned with it in `first`. Otherwise the row is
  // stored as given and `first` is nullopt. Of concurrent calls for one key,
  // exactly one stores a first delivery. Errors: INVALID_ARGUMENT when id,
  // action or outcome is empty; ALREADY_EXISTS when the id is taken.
  virtual StatusOr<RecordedDelivery> RecordLookerDelivery(const LookerDeliveryRecord& delivery,
                                                          int64_t dedup_since_ms) = 0;
  // Sets outcome, execution_arn and message of delivery `id` (the rest
  // stays). INVALID_ARGUMENT when outcome is empty; NOT_FOUND when absent.
  virtual Status UpdateLookerDelivery(std::string_view id, std::string_view outcome,
                                      std::string_view execution_arn, std::string_view message) = 0;
  // NOT_FOUND when absent.
  virtual StatusOr<LookerDeliveryRecord> GetLookerDelivery(std::string_view id) = 0;
  // The deliveries `filter` selects, newest first (received_ms, then id,
  // descending).
  virtual StatusOr<Page<LookerDeliveryRecord>> ListLookerDeliveries(
      const LookerDeliveryFilter& filter, const PageRequest& page) = 0;
  // Removes every delivery received before `received_before_ms`, duplicates
  // and first deliveries alike; returns how many.
  virtual StatusOr<int64_t> DeleteLookerDeliveriesBefore(int64_t received_before_ms) = 0;

  // --- Artifacts ----------------------------------------------------------------
  //
  // Records only: the files are ArtifactFiles' (artifact_files.h). Write the
  // file before its record, delete it after.

  // INVALID_ARGUMENT when the id is empty; ALREADY_EXISTS when it is taken.
  virtual Status CreateArtifact(const ArtifactRecord& artifact) = 0;
  // NOT_FOUND when absent.
  virtual StatusOr<ArtifactRecord> GetArtifact(std::string_view id) = 0;
  // Sets the execution that uses the artifact. NOT_FOUND when absent.
  virtual Status SetArtifactExecution(std::string_view id, std::string_view execution_arn) = 0;
  // Up to `limit` artifacts with expires_ms <= now_ms, the earliest to
  // expire first (then by id).
  virtual StatusOr<std::vector<ArtifactRecord>> ListExpiredArtifacts(int64_t now_ms,
                                                                     size_t limit) = 0;
  // NOT_FOUND when absent.
  virtual Status DeleteArtifact(std::string_view id) = 0;

  // --- Schedules ----------------------------------------------------------------

  // INVALID_ARGUMENT when the name is empty; ALREADY_EXISTS when it is
  // taken. The stored revision is 1, whatever `schedule.revision` says.
  virtual Status CreateSchedule(const ScheduleRecord& schedule,
                                const std::vector<AuditEntry>& audit) = 0;
  // NOT_FOUND when absent.
  virtual StatusOr<ScheduleRecord> GetSchedule(std::string_view name) = 0;
  // Every schedule, in name order (schedules are few: no pages).
  virtual StatusOr<std::vector<ScheduleRecord>> ListSchedules() = 0;
  // Replaces every field of schedule `schedule.name` but created_at_ms, if
  // its stored revision is still `schedule.revision`; returns the new
  // revision (one more). The scheduler's advance past a due time and the
  // API's changes alike: a compare-and-set. NOT_FOUND when absent; ABORTED
  // when another write came first ("UpdateSchedule: schedule 'x' is at
  // revision 3, not 2").
  virtual StatusOr<int64_t> UpdateSchedule(const ScheduleRecord& schedule,
                                           const std::vector<AuditEntry>& audit) = 0;
  // NOT_FOUND when absent.
  virtual Status DeleteSchedule(std::string_view name, const std::vector<AuditEntry>& audit) = 0;

  // --- Audit ----------------------------------------------------------------

  // Appends rows to the audit chain on their own (actions that change no
  // other record, e.g. a refused request worth recording).
  virtual Status AppendAudit(const std::vector<AuditEntry>& audit) = 0;
  // Rows in seq order, oldest first.
  virtual StatusOr<Page<AuditRecord>> ListAudit(const PageRequest& page) = 0;
  // The rows `query` selects, in seq order (newest first if asked). The
  // default reads the whole chain through ListAudit; stores with indexes
  // override it.
  virtual StatusOr<Page<AuditRecord>> QueryAudit(const AuditQuery& query, const PageRequest& page);
  virtual StatusOr<AuditHead> GetAuditHead() = 0;
  // Recomputes the whole chain under the store's audit key. OK when every
  // row's seq is dense, its prev_hash is its predecessor's hash and its hash
  // matches its contents; otherwise DATA_LOSS naming the first broken row:
  //   "VerifyAuditChain: audit row 3 was altered (stored hash ... does not
  //    match its contents)".
  // Note: dropping rows from the end of the chain is only detectable against
  // a hash recorded elsewhere (compare with the last row of ListAudit).
  virtual Status VerifyAuditChain() = 0;

  // --- Notifications ------------------------------------------------------------
  //
  // The notifier (runtime/notifier.h) tails the audit chain from a durable
  // cursor and queues outbox rows; its worker delivers them.

  // The last audit seq the notifier queued notifications for; nullopt before
  // the first EnqueueNotifications.
  virtual StatusOr<std::optional<int64_t>> GetNotificationCursor() = 0;
  // Transition rows (event_id > 0) with seq > after_seq whose action is one
  // of `actions`, in seq order, at most `limit` (1..1000, else
  // INVALID_ARGUMENT).
  virtual StatusOr<std::vector<AuditRecord>> ListAuditTransitionsAfter(
      int64_t after_seq, const std::vector<std::string>& actions, int limit) = 0;
  // In ONE transaction: inserts `items` (ids assigned in order; every other
  // field as given) and sets the cursor to `cursor`, so that a crash loses
  // no notification and repeats none. Returns the new ids. FAILED_
  // PRECONDITION when `cursor` is below the stored cursor (nothing written);
  // INVALID_ARGUMENT for an item without sink, sink_type, kind, outcome or
  // execution_arn.
  virtual StatusOr<std::vector<int64_t>> EnqueueNotifications(
      int64_t cursor, const std::vector<NotificationRecord>& items) = 0;
  // PENDING rows with next_attempt_ms <= now_ms, the earliest due first
  // (then by id), at most `limit`.
  virtual StatusOr<std::vector<NotificationRecord>> ListDueNotifications(int64_t now_ms,
                                                                         int limit) = 0;
  // Records a delivery attempt of PENDING row `id`: its status, attempts,
  // next_attempt_ms, updated_ms (and delivered_ms when DELIVERED) and
  // last_error (kept when `attempt.last_error` is empty). NOT_FOUND when
  // absent; FAILED_PRECONDITION when it is not PENDING (the message names
  // its status).
  virtual Status RecordNotificationAttempt(int64_t id, const NotificationAttempt& attempt) = 0;
  // NOT_FOUND when absent.
  virtual StatusOr<NotificationRecord> GetNotification(int64_t id) = 0;
  // The rows `filter` selects, newest first (by id, descending).
  virtual StatusOr<Page<NotificationRecord>> ListNotifications(const NotificationFilter& filter,
                                                               const PageRequest& page) = 0;
  // How many rows have `status`.
  virtual StatusOr<int64_t> CountNotifications(NotificationStatus status) = 0;
  // A dead letter goes back to the outbox: PENDING, attempts 0,
  // next_attempt_ms = updated_ms = now_ms (last_error kept), with `audit`
  // appended in the same transaction. Returns it as stored. NOT_FOUND when
  // absent; FAILED_PRECONDITION when it is not DEAD_LETTER.
  virtual StatusOr<NotificationRecord> RetryNotification(int64_t id, int64_t now_ms,
                                                         const std::vector<AuditEntry>& audit) = 0;

  // Creates or replaces sink `sink.name` (a replacement keeps created_ms);
  // true when it was created. INVALID_ARGUMENT for an empty name or type.
  virtual StatusOr<bool> PutNotificationSink(const NotificationSinkRecord& sink,
                                             const std::vector<AuditEntry>& audit) = 0;
  // Every stored sink, in name order.
  virtual StatusOr<std::vector<NotificationSinkRecord>> ListNotificationSinks() = 0;
  // NOT_FOUND when absent; FAILED_PRECONDITION when stored rules use it
  // ("DeleteNotificationSink: rules [a, b] use sink 'x'", in name order).
  virtual Status DeleteNotificationSink(std::string_view name,
                                        const std::vector<AuditEntry>& audit) = 0;
  // Creates or replaces rule `rule.name` (keeping created_ms); true when
  // created. INVALID_ARGUMENT for an empty name or sink. The sink is not
  // checked here (it may be a config-file sink): the caller checks it.
  virtual StatusOr<bool> PutNotificationRule(const NotificationRuleRecord& rule,
                                             const std::vector<AuditEntry>& audit) = 0;
  // Every stored rule, in name order.
  virtual StatusOr<std::vector<NotificationRuleRecord>> ListNotificationRules() = 0;
  // NOT_FOUND when absent.
  virtual Status DeleteNotificationRule(std::string_view name,
                                        const std::vector<AuditEntry>& audit) = 0;
};

// Forwards every call to another Store, so that a test can override one
// method to inject a fault (a CommitTransition that lands but reports
// UNAVAILABLE, a busy database...) and keep the rest real. Model: leveldb's
// EnvWrapper. Does not own `target`, which must outlive the wrapper.
// Thread-safety: as the target's.
class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store* target) : target_(target) {}
  Store* target() const { return target_; }

  Status Migrate() override { return target_->Migrate(); }
  StatusOr<int> SchemaVersion() override { return target_->SchemaVersion(); }
  Status CreateStateMachine(const StateMachineRecord& machine,
                            const std::vector<AuditEntry>& audit) override {
    return target_->CreateStateMachine(machine, audit);
  }
  StatusOr<StateMachineRecord> GetStateMachine(std::string_view arn) override {
    return target_->GetStateMachine(arn);
  }
  StatusOr<Page<StateMachineRecord>> ListStateMachines(const PageRequest& page) override {
    return target_->ListStateMachines(page);
  }
  StatusOr<std::string> GetStateMachineDefinition(std::string_view arn,
                                                  std::string_view revision_id) override {
    return target_->GetStateMachineDefinition(arn, revision_id);
  }
  Status UpdateStateMachine(const StateMachineRecord& machine,
                            const std::vector<AuditEntry>& audit) override {
    return target_->UpdateStateMachine(machine, audit);
  }
  Status DeleteStateMachine(std::string_view arn, const std::vector<AuditEntry>& audit) override {
    return target_->DeleteStateMachine(arn, audit);
  }
  StatusOr<StateMachineVersionRecord> PublishStateMachineVersion(
      std::string_view machine_arn, std::string_view expected_revision,
      const std::string& description, int64_t now_ms,
      const std::vector<AuditEntry>& audit) override {
    return target_->PublishStateMachineVersion(machine_arn, expected_revision, description, now_ms,
                                               audit);
  }
  StatusOr<StateMachineVersionRecord> GetStateMachineVersion(std::string_view machine_arn,
                                                            int64_t version) override {
    return target_->GetStateMachineVersion(machine_arn, version);
  }
  StatusOr<Page<StateMachineVersionRecord>> ListStateMachineVersions(
      std::string_view machine_arn, const PageRequest& page) override {
    return target_->ListStateMachineVersions(machine_arn, page);
  }
  Status DeleteStateMachineVersion(std::string_view machine_arn, int64_t version,
                                   const std::vector<AuditEntry>& audit) override {
    return target_->DeleteStateMachineVersion(machine_arn, version, audit);
  }
  Status CreateStateMachineAlias(const StateMachineAliasRecord& alias,
                                 const std::vector<AuditEntry>& audit) override {
    return target_->CreateStateMachineAlias(alias, audit);
  }
  StatusOr<StateMachineAliasRecord> GetStateMachineAlias(std::string_view machine_arn,
                                                        std::string_view name) override {
    return target_->GetStateMachineAlias(machine_arn, name);
  }
  StatusOr<Page<StateMachineAliasRecord>> ListStateMachineAliases(
      std::string_view machine_arn, const PageRequest& page) override {
    return target_->ListStateMachineAliases(machine_arn, page);
  }
  Status UpdateStateMachineAlias(const StateMachineAliasRecord& alias,
                                 const std::vector<AuditEntry>& audit) override {
    return target_->UpdateStateMachineAlias(alias, audit);
  }
  Status DeleteStateMachineAlias(std::string_view machine_arn, std::string_view name,
                                 const std::vector<AuditEntry>& audit) override {
    return target_->DeleteStateMachineAlias(machine_arn, name, audit);
  }
  Status CreateExecution(const ExecutionRecord& execution,
                         const std::vector<AuditEntry>& audit) override {
    return target_->CreateExecution(execution, audit);
  }
  StatusOr<ExecutionRecord> GetExecution(std::string_view arn) override {
    return target_->GetExecution(arn);
  }
  StatusOr<Page<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter,
                                                 const PageRequest& page) override {
    return target_->ListExecutions(filter, page);
  }
  StatusOr<std::vector<ExecutionCount>> CountExecutions(const ExecutionFilter& filter) override {
    return target_->CountExecutions(filter);
  }
  Status CommitTransitions(std::span<const TransitionGroup> groups,
                           std::vector<Status>* results) override {
    return target_->CommitTransitions(groups, results);
  }
  StatusOr<std::vector<RunningExecution>> ListRunningExecutions() override {
    return target_->ListRunningExecutions();
  }
  Status HeartbeatNode(const NodeRecord& node) override { return target_->HeartbeatNode(node); }
  StatusOr<std::vector<NodeRecord>> ListNodes() override { return target_->ListNodes(); }
  StatusOr<std::vector<RunningExecution>> ClaimExecutions(std::string_view node_id, int64_t now_ms,
                                                          int limit, bool include_own) override {
    return target_->ClaimExecutions(node_id, now_ms, limit, include_own);
  }
  StatusOr<RunningExecution> ClaimExecution(std::string_view arn,
                                            std::string_view node_id) override {
    return target_->ClaimExecution(arn, node_id);
  }
  StatusOr<std::string> GetExecutionOwner(std::string_view arn) override {
    return target_->GetExecutionOwner(arn);
  }
  StatusOr<bool> AcquireLease(std::string_view name, std::string_view holder, int64_t now_ms,
                              int64_t expires_ms) override {
    return target_->AcquireLease(name, holder, now_ms, expires_ms);
  }
  Status ReleaseLease(std::string_view name, std::string_view holder) override {
    return target_->ReleaseLease(name, holder);
  }
  StatusOr<Page<HistoryEventRecord>> GetHistory(std::string_view execution_arn,
                                                const PageRequest& page, bool reverse) override {
    return target_->GetHistory(execution_arn, page, reverse);
  }
  StatusOr<MapRunRecord> GetMapRun(std::string_view arn) override {
    return target_->GetMapRun(arn);
  }
  StatusOr<Page<MapRunRecord>> ListMapRuns(std::string_view execution_arn,
                                           const PageRequest& page) override {
    return target_->ListMapRuns(execution_arn, page);
  }
  StatusOr<MapRunExecutionCounts> CountMapRunExecutions(std::string_view arn) override {
    return target_->CountMapRunExecutions(arn);
  }
  Status CreateActivity(const ActivityRecord& activity,
                        const std::vector<AuditEntry>& audit) override {
    return target_->CreateActivity(activity, audit);
  }
  StatusOr<ActivityRecord> GetActivity(std::string_view arn) override {
    return target_->GetActivity(arn);
  }
  StatusOr<Page<ActivityRecord>> ListActivities(const PageRequest& page) override {
    return target_->ListActivities(page);
  }
  Status DeleteActivity(std::string_view arn, const std::vector<AuditEntry>& audit) override {
    return target_->DeleteActivity(arn, audit);
  }
  Status UpdateAttributes(std::string_view arn, const std::string& attributes_json,
                          const std::vector<AuditEntry>& audit) override {
    return target_->UpdateAttributes(arn, attributes_json, audit);
  }
  StatusOr<ActivityTaskRecord> EnqueueActivityTask(const ActivityTaskRecord& task) override {
    return target_->EnqueueActivityTask(task);
  }
  StatusOr<std::optional<ActivityTaskRecord>> ClaimActivityTask(std::string_view activity_arn,
                                                                std::string_view worker_name,
                                                                std::string_view token_hash,
                                                                int64_t now_ms) override {
    return target_->ClaimActivityTask(activity_arn, worker_name, token_hash, now_ms);
  }
  StatusOr<ActivityTaskRecord> RegisterTaskToken(const ActivityTaskRecord& task,
                                                 std::string_view token_hash,
                                                 bool* recorded_now = nullptr) override {
    return target_->RegisterTaskToken(task, token_hash, recorded_now);
  }
  StatusOr<ActivityTaskRecord> GetActivityTaskByToken(std::string_view token_hash) override {
    return target_->GetActivityTaskByToken(token_hash);
  }
  StatusOr<ActivityTaskRecord> FinishActivityTask(std::string_view token_hash,
                                                  const ActivityTaskRecord& update) override {
    return target_->FinishActivityTask(token_hash, update);
  }
  StatusOr<ActivityTaskRecord> HeartbeatActivityTask(std::string_view token_hash,
                                                     int64_t now_ms) override {
    return target_->HeartbeatActivityTask(token_hash, now_ms);
  }
  Status CloseActivityTask(std::string_view execution_arn, int64_t task_id) override {
    return target_->CloseActivityTask(execution_arn, task_id);
  }
  StatusOr<Page<ActivityTaskRecord>> ListActivityTasks(const ActivityTaskFilter& filter,
                                                       const PageRequest& page) override {
    return target_->ListActivityTasks(filter, page);
  }
  Status CreateConnection(const ConnectionRecord& connection,
                          const std::vector<AuditEntry>& audit) override {
    return target_->CreateConnection(connection, audit);
  }
  StatusOr<ConnectionRecord> GetConnection(std::string_view name) override {
    return target_->GetConnection(name);
  }
  StatusOr<ConnectionRecord> GetConnectionByArn(std::string_view arn) override {
    return target_->GetConnectionByArn(arn);
  }
  StatusOr<Page<ConnectionRecord>> ListConnections(const ConnectionFilter& filter,
                                                   const PageRequest& page) override {
    return target_->ListConnections(filter, page);
  }
  StatusOr<int64_t> UpdateConnection(const ConnectionRecord& connection,
                                     const std::vector<AuditEntry>& audit) override {
    return target_->UpdateConnection(connection, audit);
  }
  Status DeleteConnection(std::string_view arn, const std::vector<AuditEntry>& audit) override {
    return target_->DeleteConnection(arn, audit);
  }
  Status ReplaceSealedParameters(const std::vector<SealedParametersUpdate>& updates,
                                 const std::vector<AuditEntry>& audit) override {
    return target_->ReplaceSealedParameters(updates, audit);
  }
  StatusOr<RecordedDelivery> RecordLookerDelivery(const LookerDeliveryRecord& delivery,
                                                  int64_t dedup_since_ms) override {
    return target_->RecordLookerDelivery(delivery, dedup_since_ms);
  }
  Status UpdateLookerDelivery(std::string_view id, std::string_view outcome,
                              std::string_view execution_arn, std::string_view message) override {
    return target_->UpdateLookerDelivery(id, outcome, execution_arn, message);
  }
  StatusOr<LookerDeliveryRecord> GetLookerDelivery(std::string_view id) override {
    return target_->GetLookerDelivery(id);
  }
  StatusOr<Page<LookerDeliveryRecord>> ListLookerDeliveries(const LookerDeliveryFilter& filter,
                                                            const PageRequest& page) override {
    return target_->ListLookerDeliveries(filter, page);
  }
  StatusOr<int64_t> DeleteLookerDeliveriesBefore(int64_t received_before_ms) override {
    return target_->DeleteLookerDeliveriesBefore(received_before_ms);
  }
  Status CreateArtifact(const ArtifactRecord& artifact) override {
    return target_->CreateArtifact(artifact);
  }
  StatusOr<ArtifactRecord> GetArtifact(std::string_view id) override {
    return target_->GetArtifact(id);
  }
  Status SetArtifactExecution(std::string_view id, std::string_view execution_arn) override {
    return target_->SetArtifactExecution(id, execution_arn);
  }
  StatusOr<std::vector<ArtifactRecord>> ListExpiredArtifacts(int64_t now_ms,
                                                             size_t limit) override {
    return target_->ListExpiredArtifacts(now_ms, limit);
  }
  Status DeleteArtifact(std::string_view id) override { return target_->DeleteArtifact(id); }
  Status CreateSchedule(const ScheduleRecord& schedule,
                        const std::vector<AuditEntry>& audit) override {
    return target_->CreateSchedule(schedule, audit);
  }
  StatusOr<ScheduleRecord> GetSchedule(std::string_view name) override {
    return target_->GetSchedule(name);
  }
  StatusOr<std::vector<ScheduleRecord>> ListSchedules() override {
    return target_->ListSchedules();
  }
  StatusOr<int64_t> UpdateSchedule(const ScheduleRecord& schedule,
                                   const std::vector<AuditEntry>& audit) override {
    return target_->UpdateSchedule(schedule, audit);
  }
  Status DeleteSchedule(std::string_view name, const std::vector<AuditEntry>& audit) override {
    return target_->DeleteSchedule(name, audit);
  }
  Status AppendAudit(const std::vector<AuditEntry>& audit) override {
    return target_->AppendAudit(audit);
  }
  StatusOr<Page<AuditRecord>> ListAudit(const PageRequest& page) override {
    return target_->ListAudit(page);
  }
  StatusOr<Page<AuditRecord>> QueryAudit(const AuditQuery& query,
                                         const PageRequest& page) override {
    return target_->QueryAudit(query, page);
  }
  StatusOr<AuditHead> GetAuditHead() override { return target_->GetAuditHead(); }
  Status VerifyAuditChain() override { return target_->VerifyAuditChain(); }

  StatusOr<std::optional<int64_t>> GetNotificationCursor() override {
    return target_->GetNotificationCursor();
  }
  StatusOr<std::vector<AuditRecord>> ListAuditTransitionsAfter(
      int64_t after_seq, const std::vector<std::string>& actions, int limit) override {
    return target_->ListAuditTransitionsAfter(after_seq, actions, limit);
  }
  StatusOr<std::vector<int64_t>> EnqueueNotifications(
      int64_t cursor, const std::vector<NotificationRecord>& items) override {
    return target_->EnqueueNotifications(cursor, items);
  }
  StatusOr<std::vector<NotificationRecord>> ListDueNotifications(int64_t now_ms,
                                                                 int limit) override {
    return target_->ListDueNotifications(now_ms, limit);
  }
  Status RecordNotificationAttempt(int64_t id, const NotificationAttempt& attempt) override {
    return target_->RecordNotificationAttempt(id, attempt);
  }
  StatusOr<NotificationRecord> GetNotification(int64_t id) override {
    return target_->GetNotification(id);
  }
  StatusOr<Page<NotificationRecord>> ListNotifications(const NotificationFilter& filter,
                                                       const PageRequest& page) override {
    return target_->ListNotifications(filter, page);
  }
  StatusOr<int64_t> CountNotifications(NotificationStatus status) override {
    return target_->CountNotifications(status);
  }
  StatusOr<NotificationRecord> RetryNotification(int64_t id, int64_t now_ms,
                                                 const std::vector<AuditEntry>& audit) override {
    return target_->RetryNotification(id, now_ms, audit);
  }
  StatusOr<bool> PutNotificationSink(const NotificationSinkRecord& sink,
                                     const std::vector<AuditEntry>& audit) override {
    return target_->PutNotificationSink(sink, audit);
  }
  StatusOr<std::vector<NotificationSinkRecord>> ListNotificationSinks() override {
    return target_->ListNotificationSinks();
  }
  Status DeleteNotificationSink(std::string_view name,
                                const std::vector<AuditEntry>& audit) override {
    return target_->DeleteNotificationSink(name, audit);
  }
  StatusOr<bool> PutNotificationRule(const NotificationRuleRecord& rule,
                                     const std::vector<AuditEntry>& audit) override {
    return target_->PutNotificationRule(rule, audit);
  }
  StatusOr<std::vector<NotificationRuleRecord>> ListNotificationRules() override {
    return target_->ListNotificationRules();
  }
  Status DeleteNotificationRule(std::string_view name,
                                const std::vector<AuditEntry>& audit) override {
    return target_->DeleteNotificationRule(name, audit);
  }

 private:
  Store* target_;
};

}  // namespace stepd::store
