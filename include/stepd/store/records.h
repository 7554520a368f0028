#pragma once
// Plain records the Store reads and writes. No behaviour beyond name <-> enum
// conversions; every timestamp is int64 milliseconds since the Unix epoch
// (UTC), every JSON payload is kept as the exact text the caller handed in.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::store {

enum class StateMachineType { kStandard, kExpress };
// "STANDARD", "EXPRESS".
std::string_view StateMachineTypeName(StateMachineType type);
std::optional<StateMachineType> ParseStateMachineType(std::string_view name);

enum class StateMachineStatus { kActive, kDeleting };
// "ACTIVE", "DELETING".
std::string_view StateMachineStatusName(StateMachineStatus status);
std::optional<StateMachineStatus> ParseStateMachineStatus(std::string_view name);

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted, kPendingRedrive };
// "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE".
std::string_view ExecutionStatusName(ExecutionStatus status);
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name);

struct StateMachineRecord {
  std::string arn;   // unique
  std::string name;  // unique among state machines
  StateMachineType type = StateMachineType::kStandard;
  std::string definition;  // ASL JSON text, as submitted
  std::string role_arn;
  // Changes on every update of definition/role (AWS revisionId).
  std::string revision_id;
  // API attributes the store does not interpret (description,
  // loggingConfiguration, tracingConfiguration, tags, ...): a JSON object text.
  std::string attributes_json = "{}";
  StateMachineStatus status = StateMachineStatus::kActive;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct ExecutionRecord {
  std::string arn;  // unique
  std::string state_machine_arn;
  // Unique per state machine. An EXPRESS execution's is "<name>:<uuid>":
  // names given to EXPRESS starts may repeat, and a name never holds ':'.
  std::string name;
  // revision_id of the state machine the execution was started with.
  std::string state_machine_revision_id;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::string input = "{}";           // JSON text
  std::optional<std::string> output;  // JSON text, set on success
  std::optional<std::string> error;   // set on failure, timeout, abort
  std::optional<std::string> cause;
  int64_t start_time_ms = 0;
  std::optional<int64_t> stop_time_ms;
  int redrive_count = 0;
  std::optional<int64_t> redrive_time_ms;
  // Attributes the store does not interpret (traceHeader, ...): JSON object text.
  std::string attributes_json = "{}";
  // Opaque bytes the runtime writes with each transition so it can resume the
  // execution after a crash. Empty until the first CommitTransition sets it.
  std::string snapshot;
  // When a RUNNING execution must be looked at again (a Wait, a retry
  // back-off, a deadline); unset when only an outside event can move it.
  std::optional<int64_t> wake_at_ms;
  // Tasks dispatched and not answered (recovery resumes such an execution
  // at once, whatever wake_at_ms says).
  int tasks_pending = 0;
  // The principal that started it (audit rows name it).
  std::string started_by;
  // A child execution of a DISTRIBUTED Map: the parent execution and its Map
  // Run. Empty otherwise. Such executions are listed only by Map Run.
  std::string parent_arn;
  std::string map_run_arn;
  // A nested execution: the execution whose Task state started it
  // (states:startExecution). Empty otherwise. Unlike a Map Run's child, it
  // is a top-level execution of its own.
  std::string started_by_execution_arn;
  // The published version it runs (0: the machine's revision of the day,
  // no version) and the alias it was started through (empty: none).
  int64_t state_machine_version = 0;
  std::string state_machine_alias;
  // A restart: the ARN of the execution this one was restarted from (an
  // operator's "restart from state" starts a new execution linked to the
  // old one). Empty otherwise. Set when the execution is created
  // (CreateExecution or a Transition's `create`), never changed afterwards.
  std::string restarted_from;
  // Id of the newest history event; 0 before the first one. Maintained by
  // the store; ignored by CreateExecution.
  int64_t last_event_id = 0;
  int64_t updated_at_ms = 0;  // maintained by the store; ignored on create
};

// A published version of a state machine: an immutable snapshot of one
// revision (its definition is the revision's) with the role and attributes
// the machine had when it was published.
struct StateMachineVersionRecord {
  std::string state_machine_arn;
  int64_t version = 0;  // 1, 2, ... per machine; never reused, even after a delete
  std::string revision_id;
  std::string definition;  // filled by GetStateMachineVersion only
  std::string role_arn;
  std::string description;
  // The machine's attributes_json when published (loggingConfiguration,
  // tracingConfiguration, ...): JSON object text.
  std::string attributes_json = "{}";
  int64_t created_at_ms = 0;
};

// One route of an alias: the share of its starts that run `version`.
struct AliasRoute {
  int64_t version = 0;
  int weight = 0;  // 0..100
  bool operator==(const AliasRoute&) const = default;
};

// A named pointer to one or two versions of a state machine.
struct StateMachineAliasRecord {
  std::string state_machine_arn;
  std::string name;  // unique per machine
  std::string description;
  std::vector<AliasRoute> routing;  // shape (1-2 routes, sum 100) checked by the API
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct HistoryEventRecord {
  int64_t event_id = 0;           // 1..N, dense, unique per execution
  int64_t previous_event_id = 0;  // 0 when none
  std::string type;               // "ExecutionStarted", "TaskStateEntered", ...
  int64_t timestamp_ms = 0;
  // The AWS field holding the details ("stateEnteredEventDetails", ...);
  // empty for events without details (details_json is then ignored).
  std::string details_key;
  std::string details_json = "{}";  // the event's *EventDetails object
};

// One audit row as the caller describes it; the store assigns seq and hashes.
struct AuditEntry {
  int64_t timestamp_ms = 0;
  std::string actor;   // principal: "admin", "oidc:alice@example.com", "stepd"...
  std::string action;  // "StartExecution", "ExecutionSucceeded", ...
  std::string target;  // ARN (or other id) acted upon
  // A transition's row: the id of the history event it records (1..N); 0
  // for other rows. Such a row is accepted only by CommitTransitions, with
  // that event in the same transition: since an event is committed once,
  // so is its row.
  int64_t event_id = 0;
  std::string details_json = "{}";
};

// A stored audit row. hash = hex(HMAC-SHA256(key, prev_hash || canonical
// row)), see audit_chain.h; prev_hash of seq 1 is 64 '0' characters.
struct AuditRecord {
  int64_t seq = 0;  // 1..N, dense
  AuditEntry entry;
  std::string prev_hash;
  std::string hash;
};

enum class MapRunStatus { kRunning, kSucceeded, kFailed, kAborted };
// "RUNNING", "SUCCEEDED", "FAILED", "ABORTED".
std::string_view MapRunStatusName(MapRunStatus status);
std::optional<MapRunStatus> ParseMapRunStatus(std::string_view name);

// A DISTRIBUTED Map state's run: its child executions are the executions
// whose map_run_arn is `arn`.
struct MapRunRecord {
  std::string arn;            // ...:mapRun:<machine>/<label>:<uuid>; unique
  std::string execution_arn;  // the execution whose Map state runs it
  MapRunStatus status = MapRunStatus::kRunning;
  // The run's limits (UpdateMapRun changes them): at most max_concurrency
  // children at once (0: no limit); the run fails once more than
  // tolerated_failure_count children, or more than
  // tolerated_failure_percentage percent of the items, failed.
  int64_t max_concurrency = 0;
  int64_t tolerated_failure_count = 0;
  double tolerated_failure_percentage = 0;
  int64_t total_items = 0;       // items the run processes
  int64_t total_executions = 0;  // child executions it starts (items / batch size)
  int64_t start_time_ms = 0;
  std::optional<int64_t> stop_time_ms;
  // Redrives of the parent that restarted the run, and the latest one's time.
  int64_t redrive_count = 0;
  std::optional<int64_t> redrive_time_ms;
};

// Changes CommitTransition applies to an execution; unset fields stay as
// they are.
struct ExecutionUpdate {
  // A redrive: the execution runs again. output, error, cause and
  // stop_time_ms are cleared first (the fields below then apply).
  bool reopen = false;
  std::optional<ExecutionStatus> status;
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<int64_t> stop_time_ms;
  std::optional<int> redrive_count;
  std::optional<int64_t> redrive_time_ms;
  std::optional<std::string> snapshot;
  // Set: replace wake_at_ms with the inner value (nullopt clears it).
  std::optional<std::optional<int64_t>> wake_at_ms;
  std::optional<int> tasks_pending;
};

// Everything one step of an execution persists, committed atomically.
struct Transition {
  std::string execution_arn;
  // Set: create this execution first (create->arn == execution_arn), as
  // CreateExecution would, then apply the rest to it.
  std::optional<ExecutionRecord> create;
  // Must continue the execution's history: events[0].event_id ==
  // last_event_id + 1 and each next id one more. May be empty.
  std::vector<HistoryEventRecord> events;
  // Optional: EncodeHistoryChunk(events), made by the caller (off the
  // writer's thread). When set the store keeps it as it is, and `events`
  // need carry only their ids and types (details may be empty).
  std::string events_chunk;
  ExecutionUpdate update;
  std::vector<AuditEntry> audit;
  int64_t updated_at_ms = 0;  // becomes ExecutionRecord::updated_at_ms
  // Task ids of this execution it no longer waits for: their activity
  // tasks (if any) are CLOSED in the same commit, so a worker's token is
  // spent as soon as anyone can see the step that gave up on it.
  std::vector<int64_t> closed_tasks;
  // Map Runs of this execution that started or changed in this step:
  // each is inserted, or replaces the stored one of the same arn (its
  // execution_arn must be this transition's). A replacement keeps the
  // stored start_time_ms: a run starts once.
  std::vector<MapRunRecord> map_runs;
};

struct ActivityRecord {
  std::string arn;   // unique
  std::string name;  // unique among activities
  // Attributes the store does not interpret (tags): JSON object text.
  std::string attributes_json = "{}";
  int64_t created_at_ms = 0;
};

enum class ActivityTaskState {
  kQueued,     // waiting for a worker
  kStarted,    // handed to a worker (with a token)
  kSucceeded,  // the worker sent its output
  kFailed,     // the worker sent an error
  kClosed,     // the execution stopped waiting (stopped, timed out)
};
// "QUEUED", "STARTED", "SUCCEEDED", "FAILED", "CLOSED".
std::string_view ActivityTaskStateName(ActivityTaskState state);
std::optional<ActivityTaskState> ParseActivityTaskState(std::string_view name);

// A Task state's call to an activity, from scheduling until the execution
// no longer waits for it.
struct ActivityTaskRecord {
  std::string activity_arn;
  std::string execution_arn;
  int64_t task_id = 0;       // unique per execution (with execution_arn: the key)
  std::string input = "{}";  // JSON text
  ActivityTaskState state = ActivityTaskState::kQueued;
  std::string worker_name;
  int64_t created_at_ms = 0;
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> heartbeat_at_ms;
  std::optional<std::string> output;  // SUCCEEDED
  std::optional<std::string> error;   // FAILED
  std::optional<std::string> cause;   // FAILED
};

// A page of results. next_token is empty on the last page; otherwise pass it
// back in PageRequest::next_token to continue.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;
};

struct PageRequest {
  // 1..1000; 0 means the default of 100. Out of range is INVALID_ARGUMENT.
  int max_results = 0;
  // Empty for the first page; otherwise a token from a previous Page of the
  // same query. A token the store did not issue is INVALID_ARGUMENT.
  std::string next_token;
};

// Which executions ListExecutions returns and CountExecutions counts: every
// condition given must hold (they are ANDed); a member left at its default
// sets no condition.
struct ExecutionFilter {
  std::string state_machine_arn;          // empty: executions of every machine
  std::optional<ExecutionStatus> status;  // unset: any status
  // Set: only the child executions of this Map Run. Empty: only executions
  // that are no Map Run's children.
  std::string map_run_arn;
  // With state_machine_arn: only executions of this version (0: any), or
  // started through this alias (empty: any).
  int64_t version = 0;
  std::string alias;
  // Set: only executions redriven at least once (true) or never (false).
  std::optional<bool> redriven;
  // Set: only executions that started at or after this time
  // (start_time_ms >= started_after_ms) ...
  std::optional<int64_t> started_after_ms;
  // ... and before this one (start_time_ms < started_before_ms).
  std::optional<int64_t> started_before_ms;
  // Non-empty: only executions whose name starts with these exact bytes
  // (case-sensitive; an EXPRESS execution's name includes its ":<uuid>").
  std::string name_prefix;
  // Non-empty: only executions whose error is exactly this
  // ("States.TaskFailed"); executions without an error never match.
  std::string error;
  // Non-empty: only the executions restarted from this execution ARN
  // (ExecutionRecord::restarted_from).
  std::string restarted_from;
};

// Which tasks ListActivityTasks returns: every member given must match.
struct ActivityTaskFilter {
  // Empty: any. For a .waitForTaskToken task, activity_arn holds the
  // task's Resource ("arn:aws:states:::lambda:invoke.waitForTaskToken").
  std::string activity_arn;
  std::string execution_arn;  // empty: any
  // Any of these states; empty: QUEUED and STARTED (the pending ones).
  std::vector<ActivityTaskState> states;
};

// History is stored in chunks: one JSON array per commit of
// [event_id, previous_event_id, type, timestamp_ms, details_key, details]
// (details null when details_key is empty, else the details JSON as is).
std::string EncodeHistoryChunk(const std::vector<HistoryEventRecord>& events);
// Appends the events of chunk `more` to `chunk` (both EncodeHistoryChunk
// output; "[]" or empty for none).
void AppendHistoryChunk(std::string* chunk, std::string_view more);

// The transitions of one execution and of the child executions it started
// or moved in the same step: committed together or not at all.
using TransitionGroup = std::vector<Transition>;

// The newest audit row's seq and hash (seq 0 and the genesis hash for an
// empty chain): logged now and then so that a copy lives outside the
// database.
// Which audit rows QueryAudit returns: every condition given must hold.
struct AuditQuery {
  // Exact principal id ("oidc:https://idp#alice"): the rows of its actions,
  // i.e. rows without an event id (API calls) and the transitions a call
  // causes (ExecutionStarted, ExecutionAborted, ExecutionRedriven), not the
  // automatic transitions of the executions it started. Empty: any row.
  std::string actor;
  std::string action;  // exact ("StartExecution"); empty: any
  std::string target;  // exact ARN or name; empty: any
  std::optional<int64_t> since_ms;  // timestamp >= since_ms
  std::optional<int64_t> until_ms;  // timestamp < until_ms
  bool newest_first = false;
};

struct AuditHead {
  int64_t seq = 0;
  std::string hash;
};

// How many of the executions a filter selects belong to one state machine
// and have one status (CountExecutions).
struct ExecutionCount {
  std::string state_machine_arn;
  ExecutionStatus status = ExecutionStatus::kRunning;
  int64_t count = 0;  // > 0
  bool operator==(const ExecutionCount&) const = default;
};

// Child executions of a Map Run by status (ListExecutions-independent).
struct MapRunExecutionCounts {
  int64_t running = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t timed_out = 0;
  int64_t aborted = 0;
};

// A RUNNING execution as recovery needs it.
struct RunningExecution {
  std::string arn;
  std::optional<int64_t> wake_at_ms;
  int tasks_pending = 0;
};

// --- Nodes -------------------------------------------------------------------

// A stepd process sharing the database with others (store.h, "Nodes").
struct NodeRecord {
  std::string node_id;
  std::string address;  // where its API listens, for operators
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;
  int64_t expires_ms = 0;  // alive until then
};

// --- Connections ------------------------------------------------------------
//
// EventBridge connections, as HTTP tasks use them: how to authorize requests
// to an HTTP endpoint. The store keeps what it is handed; it never sees a
// secret in clear (the api layer seals them, see runtime/stored_connections.h).

enum class ConnectionAuthorizationType { kBasic, kOAuthClientCredentials, kApiKey };
// "BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY" (AWS's order).
std::string_view ConnectionAuthorizationTypeName(ConnectionAuthorizationType type);
std::optional<ConnectionAuthorizationType> ParseConnectionAuthorizationType(std::string_view name);

// AWS's states; stepd stores only AUTHORIZING, AUTHORIZED and DEAUTHORIZED
// (the others are what an API answer says while a change is under way).
enum class ConnectionState {
  kCreating,
  kUpdating,
  kDeleting,
  kAuthorized,
  kDeauthorized,
  kAuthorizing,
  kDeauthorizing,
};
// "CREATING", "UPDATING", "DELETING", "AUTHORIZED", "DEAUTHORIZED",
// "AUTHORIZING", "DEAUTHORIZING".
std::string_view ConnectionStateName(ConnectionState state);
std::optional<ConnectionState> ParseConnectionState(std::string_view name);

struct ConnectionRecord {
  std::string arn;   // arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID; unique
  std::string name;  // unique among connections
  std::string description;
  ConnectionAuthorizationType authorization_type = ConnectionAuthorizationType::kBasic;
  ConnectionState state = ConnectionState::kAuthorized;
  std::string state_reason;  // why it is DEAUTHORIZED; empty otherwise
  // AuthParameters as DescribeConnection shows them, WITHOUT secret values:
  // JSON object text.
  std::string auth_parameters_json = "{}";
  // Every authorization parameter, secret values included, sealed (an
  // opaque envelope the store keeps as bytes). Empty once deauthorized.
  std::string sealed_parameters;
  // Counts the writes of the record: 1 when created, +1 on each update (the
  // store sets it). An update names the revision it read, so that two
  // changes of one connection never overwrite each other unseen.
  int64_t revision = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;                // LastModifiedTime
  std::optional<int64_t> authorized_at_ms;  // LastAuthorizedTime
};

struct ConnectionFilter {
  std::string name_prefix;               // empty: every name
  std::optional<ConnectionState> state;  // unset: any state
};

// One connection's parameters sealed anew (key rotation): applied only if the
// connection is still at `revision`.
struct SealedParametersUpdate {
  std::string arn;
  int64_t revision = 0;
  std::string sealed_parameters;
};

// --- Looker Action Hub --------------------------------------------------------
//
// Every delivery the hub received, so that one Looker sends again (it
// retries on a timeout) starts nothing new, and so that operators can see
// what came in. Outcomes: "pending" (recorded, execution not started yet),
// "started", "failed", "duplicate".

struct LookerDeliveryRecord {
  std::string id;  // "dlv-..." chosen by the caller; unique
  int64_t received_ms = 0;
  std::string action;      // the hub action's name
  std::string instance;    // X-Looker-Instance; may be empty
  std::string webhook_id;  // X-Looker-Webhook-Id; empty: never a duplicate
  std::string looker_version;
  std::string scheduled_plan_id;  // as text; empty when none
  std::string type;               // "cell", "query", "dashboard"
  std::string principal;          // who delivered (the hub token's principal)
  // The execution it started; a duplicate's: the first delivery's (as it
  // was when the duplicate came).
  std::string execution_arn;
  std::string duplicate_of;  // a re-delivery: the first delivery's id
  std::string outcome;       // "pending", "started", "failed", "duplicate"
  std::string message;       // why it failed; empty otherwise
  bool operator==(const LookerDeliveryRecord&) const = default;
};

// Which deliveries ListLookerDeliveries returns: every member given must
// match exactly; empty (0) members match any delivery.
struct LookerDeliveryFilter {
  std::string action;
  std::string instance;
  std::string webhook_id;
  int64_t since_ms = 0;  // received_ms >= since_ms
};

// What RecordLookerDelivery stored, and the first delivery the new one
// duplicates (nullopt when it is a first delivery itself).
struct RecordedDelivery {
  LookerDeliveryRecord stored;
  std::optional<LookerDeliveryRecord> first;
};

// --- Artifacts ------------------------------------------------------------------
//
// The metadata of a file stepd keeps (artifact_files.h keeps the file).

struct ArtifactRecord {
  std::string id;  // "art-<32 hex>" chosen by the caller; unique
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // the file and the record go once this has passed
  int64_t size = 0;        // bytes
  std::string sha256;      // hex
  std::string mimetype;
  std::string extension;
  std::string filename;
  std::string source;             // "looker delivery dlv-..."
  std::string state_machine_arn;  // readers need read permission on it
  std::string execution_arn;      // set once known; may be empty
  bool operator==(const ArtifactRecord&) const = default;
};

// --- Schedules -------------------------------------------------------------------
//
// A schedule starts a state machine with a fixed input at the times of an
// EventBridge Scheduler expression (runtime/schedule_expression.h). The
// runtime's scheduler fires it; the store keeps what is due next, so that a
// due time fires once across restarts.

// After downtime: SKIP the missed due times, or run the LAST one once.
enum class ScheduleCatchUp { kSkip, kLast };
// "SKIP", "LAST".
std::string_view ScheduleCatchUpName(ScheduleCatchUp catch_up);
std::optional<ScheduleCatchUp> ParseScheduleCatchUp(std::string_view name);

struct ScheduleRecord {
  std::string name;  // unique; 1-64 of [0-9A-Za-z_.-]
  std::string description;
  std::string state_machine_arn;  // unqualified
  // A version number ("3") or an alias name ("prod") of the machine; empty:
  // its current revision.
  std::string qualifier;
  std::string input = "{}";  // JSON text, as given
  std::string expression;    // "rate(5 minutes)", "cron(0 12 * * ? *)", "at(...)"
  std::string timezone = "UTC";
  std::optional<int64_t> start_ms;  // fire times are >= start and < end
  std::optional<int64_t> end_ms;
  bool enabled = true;
  ScheduleCatchUp catch_up = ScheduleCatchUp::kLast;
  std::string source = "api";  // "api" or "config" (read-only through the API)
  // The due time to fire next; unset when none (disabled, past its end, an
  // at() that fired).
  std::optional<int64_t> next_fire_ms;
  // The due time fired last, the execution it started, and the error of
  // the last fire that failed (empty once one succeeds).
  std::optional<int64_t> last_fire_ms;
  std::string last_execution_arn;
  std::string last_error;
  // 1 when created, +1 on each update (the store sets it). An update names
  // the revision it read: the scheduler's advance past a due time is a
  // compare-and-set, so that a due time is fired at most once.
  int64_t revision = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  bool operator==(const ScheduleRecord&) const = default;
};

// --- Notifications ------------------------------------------------------------
//
// The outbox of failure/outcome notifications (runtime/notifier.h), and the
// sinks and rules made through the REST API. The store never sees a secret
// in clear: sinks' secrets come sealed.

enum class NotificationStatus { kPending, kDelivered, kDeadLetter };
// "PENDING", "DELIVERED", "DEAD_LETTER".
std::string_view NotificationStatusName(NotificationStatus status);
std::optional<NotificationStatus> ParseNotificationStatus(std::string_view name);

// One message to one sink about one execution transition.
struct NotificationRecord {
  int64_t id = 0;         // assigned by EnqueueNotifications; 1, 2, ... in queue order
  int64_t audit_seq = 0;  // the audit row (transition) it tells of
  std::string rule;       // the rule that matched; empty for an automatic resolve
  std::string sink;       // the sink's name
  std::string sink_type;  // "slack", "pagerduty", "webhook"
  std::string kind;       // "trigger", "resolve" (PagerDuty), "message" (others)
  std::string outcome;    // "FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED", "REDRIVEN"
  std::string execution_arn;
  // What the message says (state machine, execution, failed state, error,
  // cause, ...): a JSON object text without secrets.
  std::string event_json = "{}";
  NotificationStatus status = NotificationStatus::kPending;
  int attempts = 0;  // delivery attempts made
  int64_t created_ms = 0;
  int64_t next_attempt_ms = 0;  // PENDING: not sent before this
  int64_t updated_ms = 0;
  std::optional<int64_t> delivered_ms;
  std::string last_error;  // the last failed attempt's reason (no secrets)
  bool operator==(const NotificationRecord&) const = default;
};

// The outcome of one delivery attempt (RecordNotificationAttempt).
struct NotificationAttempt {
  NotificationStatus status = NotificationStatus::kPending;  // after the attempt
  int attempts = 0;
  int64_t next_attempt_ms = 0;  // PENDING: when to try again
  int64_t now_ms = 0;           // updated_ms; delivered_ms when DELIVERED
  std::string last_error;       // kept as is when empty and DELIVERED
};

// Which notifications ListNotifications returns: every member given must match.
struct NotificationFilter {
  std::optional<NotificationStatus> status;
  std::string execution_arn;  // empty: any
  std::string sink;           // empty: any
};

struct NotificationSinkRecord {
  std::string name;                  // unique
  std::string type;                  // "slack", "pagerduty", "webhook"
  std::string settings_json = "{}";  // non-secret settings: JSON object text
  std::string sealed_secrets;        // the sealed JSON object of its secrets
  int64_t created_ms = 0;            // kept from the first Put
  int64_t updated_ms = 0;
  bool operator==(const NotificationSinkRecord&) const = default;
};

struct NotificationRuleRecord {
  std::string name;                         // unique
  std::string sink;                         // a sink's name
  std::vector<std::string> state_machines;  // glob patterns of names
  std::vector<std::string> outcomes;        // "FAILED", ..., "REDRIVEN"
  int64_t created_ms = 0;                   // kept from the first Put
  int64_t updated_ms = 0;
  bool operator==(const NotificationRuleRecord&) const = default;
};

}  // namespace stepd::store
