#include "store_checks.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "stepd/base/json.h"
#include "stepd/store/audit_chain.h"

namespace stepd::store::internal {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Op(std::string_view op) { return std::string(op) + ": "; }

}  // namespace

StatusOr<int> PageSize(std::string_view op, const PageRequest& page) {
  if (page.max_results == 0) return kDefaultPageSize;
  if (page.max_results < 0 || page.max_results > kMaxPageSize) {
    return InvalidArgumentError(Op(op) + "max_results must be between 1 and " +
                                std::to_string(kMaxPageSize) + ", got " +
                                std::to_string(page.max_results));
  }
  return page.max_results;
}

std::string EncodePageToken(TokenKind kind, int64_t position) {
  return std::string(1, static_cast<char>(kind)) + "." + std::to_string(position);
}

StatusOr<PagePosition> DecodePageToken(std::string_view op, TokenKind kind,
                                       const PageRequest& page) {
  const std::string_view token = page.next_token;
  if (token.empty()) return PagePosition{};
  Status invalid = InvalidArgumentError(Op(op) + "invalid pagination token " + Quote(token));
  if (token.size() < 3 || token[0] != static_cast<char>(kind) || token[1] != '.') return invalid;
  int64_t position = 0;
  const char* begin = token.data() + 2;
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(begin, end, position);
  if (ec != std::errc() || ptr != end || position < 0) return invalid;
  return PagePosition{true, position};
}

std::string EncodeNamePageToken(TokenKind kind, std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(1, static_cast<char>(kind));
  token += '.';
  for (char c : name) {
    const auto b = static_cast<unsigned char>(c);
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

StatusOr<std::string> DecodeNamePageToken(std::string_view op, TokenKind kind,
                                          const PageRequest& page) {
  const std::string_view token = page.next_token;
  if (token.empty()) return std::string();
  Status invalid = InvalidArgumentError(Op(op) + "invalid pagination token " + Quote(token));
  if (token.size() < 4 || token.size() % 2 != 0 || token[0] != static_cast<char>(kind) ||
      token[1] != '.') {
    return invalid;
  }
  auto nibble = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string name;
  for (size_t i = 2; i < token.size(); i += 2) {
    const int hi = nibble(token[i]), lo = nibble(token[i + 1]);
    if (hi < 0 || lo < 0) return invalid;
    name += static_cast<char>(hi << 4 | lo);
  }
  return name;
}

std::string EncodeTimeIdPageToken(TokenKind kind, int64_t time_ms, std::string_view id) {
  // "<kind>.<time>.<hex id>": the name token's form with the time in front.
  std::string name_token = EncodeNamePageToken(kind, id);
  return name_token.substr(0, 2) + std::to_string(time_ms) + "." + name_token.substr(2);
}

StatusOr<TimeIdPosition> DecodeTimeIdPageToken(std::string_view op, TokenKind kind,
                                               const PageRequest& page) {
  const std::string_view token = page.next_token;
  if (token.empty()) return TimeIdPosition{};
  Status invalid = InvalidArgumentError(Op(op) + "invalid pagination token " + Quote(token));
  if (token.size() < 3 || token[0] != static_cast<char>(kind) || token[1] != '.') return invalid;
  const size_t dot = token.find('.', 2);
  if (dot == std::string_view::npos) return invalid;
  int64_t time_ms = 0;
  const char* end = token.data() + dot;
  auto [ptr, ec] = std::from_chars(token.data() + 2, end, time_ms);
  if (ec != std::errc() || ptr != end) return invalid;
  PageRequest rest;
  rest.next_token = std::string(token.substr(0, 2)) + std::string(token.substr(dot + 1));
  StatusOr<std::string> id = DecodeNamePageToken(op, kind, rest);
  if (!id.ok()) return invalid;
  return TimeIdPosition{true, time_ms, std::move(id).value()};
}

std::string EncodeTaskPageToken(const ActivityTaskRecord& last) {
  // The time-and-id form, the id being "<task_id>:<execution_arn>".
  return EncodeTimeIdPageToken(TokenKind::kActivityTasks, last.created_at_ms,
                               std::to_string(last.task_id) + ":" + last.execution_arn);
}

StatusOr<TaskPosition> DecodeTaskPageToken(std::string_view op, const PageRequest& page) {
  STEPD_ASSIGN_OR_RETURN(TimeIdPosition at,
                         DecodeTimeIdPageToken(op, TokenKind::kActivityTasks, page));
  if (!at.has_position) return TaskPosition{};
  const size_t colon = at.id.find(':');
  int64_t task_id = 0;
  const char* begin = at.id.data();
  const char* end = begin + (colon == std::string::npos ? at.id.size() : colon);
  auto [ptr, ec] = std::from_chars(begin, end, task_id);
  if (colon == std::string::npos || ec != std::errc() || ptr != end || begin == end) {
    return InvalidArgumentError(Op(op) + "invalid pagination token " + Quote(page.next_token));
  }
  return TaskPosition{true, at.time_ms, at.id.substr(colon + 1), task_id};
}

bool TaskIsAfter(const TaskPosition& position, const ActivityTaskRecord& task) {
  if (!position.has_position) return true;
  return std::tie(task.created_at_ms, task.execution_arn, task.task_id) >
         std::tie(position.created_at_ms, position.execution_arn, position.task_id);
}

Status ValidateStateMachine(std::string_view op, const StateMachineRecord& machine) {
  if (machine.arn.empty()) return InvalidArgumentError(Op(op) + "state machine arn is empty");
  if (machine.name.empty()) return InvalidArgumentError(Op(op) + "state machine name is empty");
  if (machine.definition.empty()) {
    return InvalidArgumentError(Op(op) + "state machine definition is empty");
  }
  return Status::OK();
}

Status ValidateExecution(std::string_view op, const ExecutionRecord& execution) {
  if (execution.arn.empty()) return InvalidArgumentError(Op(op) + "execution arn is empty");
  if (execution.name.empty()) return InvalidArgumentError(Op(op) + "execution name is empty");
  if (execution.state_machine_arn.empty()) {
    return InvalidArgumentError(Op(op) + "execution state_machine_arn is empty");
  }
  return Status::OK();
}

namespace {
Status ValidateAuditFields(std::string_view op, const std::vector<AuditEntry>& audit) {
  for (const AuditEntry& entry : audit) {
    if (entry.actor.empty() || entry.action.empty()) {
      return InvalidArgumentError(Op(op) + "an audit entry needs an actor and an action");
    }
  }
  return Status::OK();
}
}  // namespace

Status ValidateAudit(std::string_view op, const std::vector<AuditEntry>& audit) {
  STEPD_RETURN_IF_ERROR(ValidateAuditFields(op, audit));
  for (const AuditEntry& entry : audit) {
    if (entry.event_id != 0) {
      return InvalidArgumentError(Op(op) + "the audit row of event " +
                                  std::to_string(entry.event_id) + " of " + Quote(entry.target) +
                                  " can only be written with that event (CommitTransitions)");
    }
  }
  return Status::OK();
}

Status ValidateTransition(const Transition& transition) {
  constexpr std::string_view kOp = "CommitTransition";
  if (transition.execution_arn.empty()) {
    return InvalidArgumentError(Op(kOp) + "execution arn is empty");
  }
  if (transition.create) {
    STEPD_RETURN_IF_ERROR(ValidateExecution(kOp, *transition.create));
    if (transition.create->arn != transition.execution_arn) {
      return InvalidArgumentError(Op(kOp) + "the execution to create is " +
                                  Quote(transition.create->arn) + ", not " +
                                  Quote(transition.execution_arn));
    }
  }
  for (size_t i = 0; i < transition.events.size(); ++i) {
    const HistoryEventRecord& event = transition.events[i];
    if (event.type.empty()) {
      return InvalidArgumentError(Op(kOp) + "event " + std::to_string(event.event_id) +
                                  " has no type");
    }
    if (i > 0 && event.event_id != transition.events[i - 1].event_id + 1) {
      return InvalidArgumentError(
          Op(kOp) + "event ids must be consecutive: " + std::to_string(event.event_id) +
          " follows " + std::to_string(transition.events[i - 1].event_id));
    }
  }
  for (const MapRunRecord& run : transition.map_runs) {
    if (run.arn.empty()) return InvalidArgumentError(Op(kOp) + "map run arn is empty");
    if (run.execution_arn != transition.execution_arn) {
      return InvalidArgumentError(Op(kOp) + "map run " + Quote(run.arn) + " is of execution " +
                                  Quote(run.execution_arn) + ", not " +
                                  Quote(transition.execution_arn));
    }
  }
  // A transition's audit rows name events of this very commit, each once:
  // the events' exactly-once check then covers the rows too.
  STEPD_RETURN_IF_ERROR(ValidateAuditFields(kOp, transition.audit));
  int64_t previous = 0;
  for (const AuditEntry& entry : transition.audit) {
    if (entry.event_id == 0) continue;
    const bool in_commit = !transition.events.empty() && entry.target == transition.execution_arn &&
                           entry.event_id >= transition.events.front().event_id &&
                           entry.event_id <= transition.events.back().event_id;
    if (!in_commit || entry.event_id <= previous) {
      return InvalidArgumentError(Op(kOp) + "the audit row of event " +
                                  std::to_string(entry.event_id) + " of " + Quote(entry.target) +
                                  " does not name an event of this commit, once and in order");
    }
    previous = entry.event_id;
  }
  return Status::OK();
}

Status CheckTransitionEvents(const Transition& transition, int64_t last_event_id) {
  if (transition.events.empty()) return Status::OK();
  const int64_t first = transition.events.front().event_id;
  if (first <= last_event_id) {
    return AlreadyExistsError("CommitTransition: event " + std::to_string(first) +
                              " of execution " + Quote(transition.execution_arn) +
                              " is already committed (last event id is " +
                              std::to_string(last_event_id) + ")");
  }
  if (first != last_event_id + 1) {
    return FailedPreconditionError("CommitTransition: execution " +
                                   Quote(transition.execution_arn) + " continues at event id " +
                                   std::to_string(last_event_id + 1) + ", got " +
                                   std::to_string(first));
  }
  return Status::OK();
}

Status StateMachineNotFound(std::string_view op, std::string_view arn) {
  return NotFoundError(Op(op) + "state machine " + Quote(arn) + " does not exist");
}
Status StateMachineArnTaken(std::string_view op, std::string_view arn) {
  return AlreadyExistsError(Op(op) + "state machine " + Quote(arn) + " already exists");
}
Status StateMachineNameTaken(std::string_view op, std::string_view name) {
  return AlreadyExistsError(Op(op) + "a state machine named " + Quote(name) + " already exists");
}
Status StateMachineDeleting(std::string_view op, std::string_view arn) {
  return FailedPreconditionError(Op(op) + "state machine " + Quote(arn) + " is being deleted");
}
Status ExecutionNotFound(std::string_view op, std::string_view arn) {
  return NotFoundError(Op(op) + "execution " + Quote(arn) + " does not exist");
}
Status ExecutionArnTaken(std::string_view op, std::string_view arn) {
  return AlreadyExistsError(Op(op) + "execution " + Quote(arn) + " already exists");
}
Status ExecutionNameTaken(std::string_view op, std::string_view name,
                          std::string_view state_machine_arn) {
  return AlreadyExistsError(Op(op) + "an execution named " + Quote(name) +
                            " already exists for state machine " + Quote(state_machine_arn));
}

std::string VersionArn(std::string_view machine_arn, int64_t version) {
  return std::string(machine_arn) + ":" + std::to_string(version);
}
Status VersionNotFound(std::string_view op, std::string_view machine_arn, int64_t version) {
  return NotFoundError(Op(op) + "state machine " + Quote(machine_arn) + " has no version " +
                       std::to_string(version));
}
Status TooManyVersions(std::string_view op, std::string_view machine_arn) {
  return ResourceExhaustedError(Op(op) + "state machine " + Quote(machine_arn) + " has " +
                                std::to_string(kMaxStateMachineVersions) +
                                " versions, the most it may have; delete one first");
}
Status StaleRevision(std::string_view op, std::string_view machine_arn, std::string_view current,
                     std::string_view expected) {
  return FailedPreconditionError(Op(op) + "the current revision of " + Quote(machine_arn) + " is " +
                                 std::string(current) + ", not " + std::string(expected));
}
Status VersionRoutedTo(std::string_view op, std::string_view machine_arn, int64_t version,
                       const std::vector<std::string>& aliases) {
  std::string names;
  for (const std::string& name : aliases) names += (names.empty() ? "" : ", ") + name;
  return FailedPreconditionError(Op(op) + "aliases [" + names + "] route to version " +
                                 std::to_string(version) + " of " + Quote(machine_arn));
}
Status VersionFilterWithoutMachine(std::string_view op) {
  return InvalidArgumentError(Op(op) + "a version or alias filter needs a state machine arn");
}
Status AliasNotFound(std::string_view op, std::string_view machine_arn, std::string_view name) {
  return NotFoundError(Op(op) + "state machine " + Quote(machine_arn) + " has no alias " +
                       Quote(name));
}
Status AliasNameTaken(std::string_view op, std::string_view machine_arn, std::string_view name) {
  return AlreadyExistsError(Op(op) + "state machine " + Quote(machine_arn) +
                            " already has an alias named " + Quote(name));
}
Status ValidateAlias(std::string_view op, const StateMachineAliasRecord& alias) {
  if (alias.state_machine_arn.empty()) {
    return InvalidArgumentError(Op(op) + "alias state_machine_arn is empty");
  }
  if (alias.name.empty()) return InvalidArgumentError(Op(op) + "alias name is empty");
  return Status::OK();
}
std::vector<AuditEntry> WithTarget(const std::vector<AuditEntry>& audit, std::string_view target) {
  std::vector<AuditEntry> out = audit;
  for (AuditEntry& entry : out) {
    if (entry.target.empty()) entry.target = std::string(target);
  }
  return out;
}

Status MapRunNotFound(std::string_view op, std::string_view arn) {
  return NotFoundError(Op(op) + "map run " + Quote(arn) + " does not exist");
}
Status MapRunOfAnotherExecution(std::string_view op, std::string_view arn, std::string_view owner,
                                std::string_view execution_arn) {
  return FailedPreconditionError(Op(op) + "map run " + Quote(arn) + " belongs to execution " +
                                 Quote(owner) + ", not " + Quote(execution_arn));
}
void CountMapRunChildren(ExecutionStatus status, int64_t n, MapRunExecutionCounts* counts) {
  switch (status) {
    case ExecutionStatus::kRunning:
      counts->running += n;
      return;
    case ExecutionStatus::kSucceeded:
      counts->succeeded += n;
      return;
    case ExecutionStatus::kFailed:
    case ExecutionStatus::kPendingRedrive:
      counts->failed += n;
      return;
    case ExecutionStatus::kTimedOut:
      counts->timed_out += n;
      return;
    case ExecutionStatus::kAborted:
      counts->aborted += n;
      return;
  }
}

Status ActivityNotFound(std::string_view op, std::string_view arn) {
  return NotFoundError(Op(op) + "activity " + Quote(arn) + " does not exist");
}
Status ActivityArnTaken(std::string_view op, std::string_view arn) {
  return AlreadyExistsError(Op(op) + "activity " + Quote(arn) + " already exists");
}
Status ActivityNameTaken(std::string_view op, std::string_view name) {
  return AlreadyExistsError(Op(op) + "an activity named " + Quote(name) + " already exists");
}
Status ResourceNotFound(std::string_view op, std::string_view arn) {
  return NotFoundError(Op(op) + "no state machine or activity " + Quote(arn));
}
Status TaskTokenNotFound(std::string_view op) {
  return NotFoundError(Op(op) + "no task was handed out with this token");
}
Status TaskNotStarted(std::string_view op, ActivityTaskState state) {
  return FailedPreconditionError(Op(op) + "the task is " +
                                 std::string(ActivityTaskStateName(state)) + ", not STARTED");
}
Status ValidateActivity(std::string_view op, const ActivityRecord& activity) {
  if (activity.arn.empty()) return InvalidArgumentError(Op(op) + "activity arn is empty");
  if (activity.name.empty()) return InvalidArgumentError(Op(op) + "activity name is empty");
  return Status::OK();
}

std::vector<ActivityTaskState> SelectedTaskStates(const ActivityTaskFilter& filter) {
  if (filter.states.empty()) return {ActivityTaskState::kQueued, ActivityTaskState::kStarted};
  std::vector<ActivityTaskState> states = filter.states;
  std::sort(states.begin(), states.end());
  states.erase(std::unique(states.begin(), states.end()), states.end());
  return states;
}

bool ActivityTaskMatches(const ActivityTaskFilter& filter, const ActivityTaskRecord& task) {
  if (!filter.activity_arn.empty() && task.activity_arn != filter.activity_arn) return false;
  if (!filter.execution_arn.empty() && task.execution_arn != filter.execution_arn) return false;
  const std::vector<ActivityTaskState> states = SelectedTaskStates(filter);
  return std::find(states.begin(), states.end(), task.state) != states.end();
}

Status ValidateConnection(std::string_view op, const ConnectionRecord& connection) {
  if (connection.arn.empty()) return InvalidArgumentError(Op(op) + "connection arn is empty");
  if (connection.name.empty()) return InvalidArgumentError(Op(op) + "connection name is empty");
  return Status::OK();
}
Status ConnectionNotFound(std::string_view op, std::string_view name_or_arn) {
  return NotFoundError(Op(op) + "connection " + Quote(name_or_arn) + " does not exist");
}
Status ConnectionArnTaken(std::string_view op, std::string_view arn) {
  return AlreadyExistsError(Op(op) + "connection " + Quote(arn) + " already exists");
}
Status ConnectionNameTaken(std::string_view op, std::string_view name) {
  return AlreadyExistsError(Op(op) + "a connection named " + Quote(name) + " already exists");
}
Status TooManyConnections(std::string_view op) {
  return ResourceExhaustedError(Op(op) + std::to_string(kMaxConnections) +
                                " connections exist, the most there may be; delete one first");
}
Status ConnectionRevisionChanged(std::string_view op, std::string_view arn, int64_t stored,
                                 int64_t expected) {
  return AbortedError(Op(op) + "connection " + Quote(arn) + " is at revision " +
                      std::to_string(stored) + ", not " + std::to_string(expected));
}
bool ConnectionMatches(const ConnectionFilter& filter, const ConnectionRecord& connection) {
  return connection.name.compare(0, filter.name_prefix.size(), filter.name_prefix) == 0 &&
         (!filter.state || *filter.state == connection.state);
}

Status ValidateLookerDelivery(std::string_view op, const LookerDeliveryRecord& delivery) {
  if (delivery.id.empty()) return InvalidArgumentError(Op(op) + "delivery id is empty");
  if (delivery.action.empty()) return InvalidArgumentError(Op(op) + "delivery action is empty");
  return ValidateLookerDeliveryOutcome(op, delivery.outcome);
}
Status ValidateLookerDeliveryOutcome(std::string_view op, std::string_view outcome) {
  if (outcome.empty()) return InvalidArgumentError(Op(op) + "delivery outcome is empty");
  return Status::OK();
}
Status LookerDeliveryNotFound(std::string_view op, std::string_view id) {
  return NotFoundError(Op(op) + "delivery " + Quote(id) + " does not exist");
}
Status LookerDeliveryIdTaken(std::string_view op, std::string_view id) {
  return AlreadyExistsError(Op(op) + "delivery " + Quote(id) + " already exists");
}
bool RepeatsLookerDelivery(const LookerDeliveryRecord& delivery, int64_t dedup_since_ms,
                           const LookerDeliveryRecord& first) {
  return !delivery.webhook_id.empty() && first.duplicate_of.empty() &&
         first.webhook_id == delivery.webhook_id && first.instance == delivery.instance &&
         first.action == delivery.action && first.received_ms >= dedup_since_ms &&
         first.outcome != "failed";
}
LookerDeliveryRecord AsDuplicateOf(const LookerDeliveryRecord& delivery,
                                   const LookerDeliveryRecord& first) {
  LookerDeliveryRecord duplicate = delivery;
  duplicate.duplicate_of = first.id;
  duplicate.execution_arn = first.execution_arn;
  duplicate.outcome = "duplicate";
  return duplicate;
}
bool LookerDeliveryMatches(const LookerDeliveryFilter& filter,
                           const LookerDeliveryRecord& delivery) {
  return (filter.action.empty() || delivery.action == filter.action) &&
         (filter.instance.empty() || delivery.instance == filter.instance) &&
         (filter.webhook_id.empty() || delivery.webhook_id == filter.webhook_id) &&
         (filter.since_ms == 0 || delivery.received_ms >= filter.since_ms);
}

Status ValidateArtifact(std::string_view op, const ArtifactRecord& artifact) {
  if (artifact.id.empty()) return InvalidArgumentError(Op(op) + "artifact id is empty");
  return Status::OK();
}
Status ArtifactNotFound(std::string_view op, std::string_view id) {
  return NotFoundError(Op(op) + "artifact " + Quote(id) + " does not exist");
}
Status ArtifactIdTaken(std::string_view op, std::string_view id) {
  return AlreadyExistsError(Op(op) + "artifact " + Quote(id) + " already exists");
}

Status CheckAuditRow(const AuditRecord& row, int64_t expected_seq, std::string_view prev_hash,
                     std::string_view key, bool legacy) {
  const std::string op = legacy ? "VerifyAuditChain: audit_log_v1: " : "VerifyAuditChain: ";
  if (row.seq != expected_seq) {
    return DataLossError(op + "audit row " + std::to_string(expected_seq) +
                         " is missing (next row is " + std::to_string(row.seq) + ")");
  }
  if (row.prev_hash != prev_hash) {
    return DataLossError(op + "audit row " + std::to_string(row.seq) +
                         " does not link to its predecessor (prev_hash " + row.prev_hash +
                         ", predecessor's hash " + std::string(prev_hash) + ")");
  }
  const std::string computed = legacy ? LegacyAuditRowHash(row.prev_hash, row.seq, row.entry)
                                      : AuditRowHash(key, row.prev_hash, row.seq, row.entry);
  if (computed != row.hash) {
    return DataLossError(op + "audit row " + std::to_string(row.seq) +
                         " was altered (stored hash " + row.hash +
                         " does not match its contents, " + computed + ")");
  }
  return Status::OK();
}

std::string TransitionChunk(const Transition& transition) {
  return transition.events_chunk.empty() ? EncodeHistoryChunk(transition.events)
                                         : transition.events_chunk;
}

StatusOr<std::vector<HistoryEventRecord>> DecodeHistoryChunk(std::string_view op,
                                                             std::string_view chunk) {
  std::vector<HistoryEventRecord> out;
  try {
    const Json events = Json::parse(chunk);
    out.reserve(events.size());
    for (const Json& e : events) {
      HistoryEventRecord r;
      r.event_id = e.at(0).get<int64_t>();
      r.previous_event_id = e.at(1).get<int64_t>();
      r.type = e.at(2).get<std::string>();
      r.timestamp_ms = e.at(3).get<int64_t>();
      r.details_key = e.at(4).get<std::string>();
      r.details_json = e.at(5).is_null() ? "{}" : e.at(5).dump();
      out.push_back(std::move(r));
    }
  } catch (const std::exception& ex) {
    return DataLossError(Op(op) + "a stored history chunk is malformed: " + ex.what());
  }
  return out;
}

// --- Schedules ---

Status ValidateSchedule(std::string_view op, const ScheduleRecord& schedule) {
  if (schedule.name.empty()) return InvalidArgumentError(Op(op) + "a schedule needs a name");
  return Status::OK();
}
Status ScheduleNotFound(std::string_view op, std::string_view name) {
  return NotFoundError(Op(op) + "schedule " + Quote(name) + " does not exist");
}
Status ScheduleNameTaken(std::string_view op, std::string_view name) {
  return AlreadyExistsError(Op(op) + "a schedule named " + Quote(name) + " already exists");
}
Status ScheduleRevisionChanged(std::string_view op, std::string_view name, int64_t stored,
                               int64_t expected) {
  return AbortedError(Op(op) + "schedule " + Quote(name) + " is at revision " +
                      std::to_string(stored) + ", not " + std::to_string(expected));
}

// --- Notifications ---------------------------------------------------------------

Status CheckNotificationLimit(std::string_view op, int limit) {
  if (limit < 1 || limit > kMaxPageSize) {
    return InvalidArgumentError(Op(op) + "limit " + std::to_string(limit) +
                                " is out of range 1..1000");
  }
  return Status::OK();
}
Status ValidateNotification(std::string_view op, const NotificationRecord& item) {
  if (item.sink.empty()) return InvalidArgumentError(Op(op) + "notification sink is empty");
  if (item.sink_type.empty())
    return InvalidArgumentError(Op(op) + "notification sink_type is empty");
  if (item.kind.empty()) return InvalidArgumentError(Op(op) + "notification kind is empty");
  if (item.outcome.empty()) return InvalidArgumentError(Op(op) + "notification outcome is empty");
  if (item.execution_arn.empty()) {
    return InvalidArgumentError(Op(op) + "notification execution_arn is empty");
  }
  return Status::OK();
}
Status CheckNotificationCursor(std::string_view op, int64_t stored, int64_t cursor) {
  if (cursor >= stored) return Status::OK();
  return FailedPreconditionError(Op(op) + "the cursor is at " + std::to_string(stored) +
                                 ", not moving back to " + std::to_string(cursor));
}
Status NotificationNotFound(std::string_view op, int64_t id) {
  return NotFoundError(Op(op) + "notification " + std::to_string(id) + " does not exist");
}
Status NotificationNotPending(std::string_view op, int64_t id, std::string_view status) {
  return FailedPreconditionError(Op(op) + "notification " + std::to_string(id) + " is " +
                                 std::string(status) + ", not PENDING");
}
Status NotificationNotDeadLetter(std::string_view op, int64_t id, std::string_view status) {
  return FailedPreconditionError(Op(op) + "notification " + std::to_string(id) + " is " +
                                 std::string(status) + ", not DEAD_LETTER");
}
Status ValidateNotificationSink(std::string_view op, const NotificationSinkRecord& sink) {
  if (sink.name.empty()) return InvalidArgumentError(Op(op) + "sink name is empty");
  if (sink.type.empty()) return InvalidArgumentError(Op(op) + "sink type is empty");
  return Status::OK();
}
Status ValidateNotificationRule(std::string_view op, const NotificationRuleRecord& rule) {
  if (rule.name.empty()) return InvalidArgumentError(Op(op) + "rule name is empty");
  if (rule.sink.empty()) return InvalidArgumentError(Op(op) + "rule sink is empty");
  return Status::OK();
}
Status NotificationSinkInUse(std::string_view op, std::string_view sink,
                             const std::vector<std::string>& rules) {
  std::string names;
  for (const std::string& r : rules) names += (names.empty() ? "" : ", ") + r;
  return FailedPreconditionError(Op(op) + "rules [" + names + "] use sink " + Quote(sink));
}
Status NotificationConfigNotFound(std::string_view op, std::string_view what,
                                  std::string_view name) {
  return NotFoundError(Op(op) + std::string(what) + " " + Quote(name) + " does not exist");
}
bool NotificationMatches(const NotificationFilter& filter, const NotificationRecord& item) {
  if (filter.status && item.status != *filter.status) return false;
  if (!filter.execution_arn.empty() && item.execution_arn != filter.execution_arn) return false;
  if (!filter.sink.empty() && item.sink != filter.sink) return false;
  return true;
}

}  // namespace stepd::store::internal
