#pragma once
// Rules and messages every Store implementation shares, so that SqliteStore
// and MemStore answer the same request with the same Status, byte for byte.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/status.h"
#include "stepd/base/status_or.h"
#include "stepd/store/records.h"

namespace stepd::store::internal {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// What a page token continues; a token of one kind is refused by another.
enum class TokenKind : char {
  kStateMachines = 'm',
  kExecutions = 'e',
  kHistory = 'h',
  kHistoryReverse = 'r',
  kAudit = 'a',
  kActivities = 't',
  kVersions = 'v',
  kAliases = 'n',
  kMapRuns = 'p',
  kConnections = 'c',
  kLookerDeliveries = 'l',
  kActivityTasks = 'k',
  kNotifications = 'o',
};

// The page size to use: max_results, or the default for 0.
StatusOr<int> PageSize(std::string_view op, const PageRequest& page);
// Encodes the position after which the next page starts (an internal id).
std::string EncodePageToken(TokenKind kind, int64_t position);
// The position in `page.next_token`; nullopt-equivalent 0 for the first page
// is reported through `has_position`.
struct PagePosition {
  bool has_position = false;
  int64_t position = 0;
};
StatusOr<PagePosition> DecodePageToken(std::string_view op, TokenKind kind,
                                       const PageRequest& page);
// The same for listings ordered by a name: the token carries the last name
// returned (hex-encoded); an empty name for the first page.
std::string EncodeNamePageToken(TokenKind kind, std::string_view name);
StatusOr<std::string> DecodeNamePageToken(std::string_view op, TokenKind kind,
                                          const PageRequest& page);
// The same for listings ordered by a time and then an id (newest first):
// the token carries the last row's time and id.
struct TimeIdPosition {
  bool has_position = false;
  int64_t time_ms = 0;
  std::string id;
};
std::string EncodeTimeIdPageToken(TokenKind kind, int64_t time_ms, std::string_view id);
StatusOr<TimeIdPosition> DecodeTimeIdPageToken(std::string_view op, TokenKind kind,
                                               const PageRequest& page);
// ListActivityTasks's position: the last task returned, by its listing
// order (created_at_ms, execution_arn, task_id).
struct TaskPosition {
  bool has_position = false;
  int64_t created_at_ms = 0;
  std::string execution_arn;
  int64_t task_id = 0;
};
std::string EncodeTaskPageToken(const ActivityTaskRecord& last);
StatusOr<TaskPosition> DecodeTaskPageToken(std::string_view op, const PageRequest& page);
// Whether `task` comes after `position` in ListActivityTasks's order.
bool TaskIsAfter(const TaskPosition& position, const ActivityTaskRecord& task);

// The most versions a state machine may have at once (AWS's quota).
inline constexpr int64_t kMaxStateMachineVersions = 1000;

Status ValidateStateMachine(std::string_view op, const StateMachineRecord& machine);
Status ValidateExecution(std::string_view op, const ExecutionRecord& execution);
Status ValidateAudit(std::string_view op, const std::vector<AuditEntry>& audit);
// Checks `transition.events` against the execution's last committed event id
// (see Store::CommitTransition for the codes).
Status CheckTransitionEvents(const Transition& transition, int64_t last_event_id);
Status ValidateTransition(const Transition& transition);

Status StateMachineNotFound(std::string_view op, std::string_view arn);
Status StateMachineArnTaken(std::string_view op, std::string_view arn);
Status StateMachineNameTaken(std::string_view op, std::string_view name);
Status StateMachineDeleting(std::string_view op, std::string_view arn);
Status ExecutionNotFound(std::string_view op, std::string_view arn);
Status ExecutionArnTaken(std::string_view op, std::string_view arn);
Status ExecutionNameTaken(std::string_view op, std::string_view name,
                          std::string_view state_machine_arn);
// "<machine arn>:<version>".
std::string VersionArn(std::string_view machine_arn, int64_t version);
Status VersionNotFound(std::string_view op, std::string_view machine_arn, int64_t version);
Status TooManyVersions(std::string_view op, std::string_view machine_arn);
Status StaleRevision(std::string_view op, std::string_view machine_arn, std::string_view current,
                     std::string_view expected);
// `aliases` in name order.
Status VersionRoutedTo(std::string_view op, std::string_view machine_arn, int64_t version,
                       const std::vector<std::string>& aliases);
// ListExecutions by version or alias without a state machine.
Status VersionFilterWithoutMachine(std::string_view op);
Status AliasNotFound(std::string_view op, std::string_view machine_arn, std::string_view name);
Status AliasNameTaken(std::string_view op, std::string_view machine_arn, std::string_view name);
Status ValidateAlias(std::string_view op, const StateMachineAliasRecord& alias);
// Audit rows with an empty target get `target`.
std::vector<AuditEntry> WithTarget(const std::vector<AuditEntry>& audit, std::string_view target);
Status MapRunNotFound(std::string_view op, std::string_view arn);
// A map run written by `execution_arn`'s transition is stored for `owner`.
Status MapRunOfAnotherExecution(std::string_view op, std::string_view arn, std::string_view owner,
                                std::string_view execution_arn);
// Adds `n` children in `status` to `counts` (PENDING_REDRIVE counts as failed).
void CountMapRunChildren(ExecutionStatus status, int64_t n, MapRunExecutionCounts* counts);
Status ActivityNotFound(std::string_view op, std::string_view arn);
Status ActivityArnTaken(std::string_view op, std::string_view arn);
Status ActivityNameTaken(std::string_view op, std::string_view name);
Status ResourceNotFound(std::string_view op, std::string_view arn);
Status TaskTokenNotFound(std::string_view op);
Status TaskNotStarted(std::string_view op, ActivityTaskState state);
Status ValidateActivity(std::string_view op, const ActivityRecord& activity);
// The states ListActivityTasks selects: filter.states without repeats, in
// enum order; QUEUED and STARTED when it names none.
std::vector<ActivityTaskState> SelectedTaskStates(const ActivityTaskFilter& filter);
// `task` passes `filter`.
bool ActivityTaskMatches(const ActivityTaskFilter& filter, const ActivityTaskRecord& task);

// The most connections a store holds at once (AWS's quota).
inline constexpr int64_t kMaxConnections = 3000;
Status ValidateConnection(std::string_view op, const ConnectionRecord& connection);
Status ConnectionNotFound(std::string_view op, std::string_view name_or_arn);
Status ConnectionArnTaken(std::string_view op, std::string_view arn);
Status ConnectionNameTaken(std::string_view op, std::string_view name);
Status TooManyConnections(std::string_view op);
Status ConnectionRevisionChanged(std::string_view op, std::string_view arn, int64_t stored,
                                 int64_t expected);
// `connection` passes `filter` (name prefix and state).
bool ConnectionMatches(const ConnectionFilter& filter, const ConnectionRecord& connection);

Status ValidateLookerDelivery(std::string_view op, const LookerDeliveryRecord& delivery);
Status ValidateLookerDeliveryOutcome(std::string_view op, std::string_view outcome);
Status LookerDeliveryNotFound(std::string_view op, std::string_view id);
Status LookerDeliveryIdTaken(std::string_view op, std::string_view id);
// Whether `first` is a delivery `delivery` repeats (see
// Store::RecordLookerDelivery), `delivery` not being stored yet.
bool RepeatsLookerDelivery(const LookerDeliveryRecord& delivery, int64_t dedup_since_ms,
                           const LookerDeliveryRecord& first);
// `delivery` as stored when it repeats `first`.
LookerDeliveryRecord AsDuplicateOf(const LookerDeliveryRecord& delivery,
                                   const LookerDeliveryRecord& first);
// `delivery` passes `filter`.
bool LookerDeliveryMatches(const LookerDeliveryFilter& filter,
                           const LookerDeliveryRecord& delivery);

Status ValidateArtifact(std::string_view op, const ArtifactRecord& artifact);
Status ArtifactNotFound(std::string_view op, std::string_view id);
Status ArtifactIdTaken(std::string_view op, std::string_view id);

// VerifyAuditChain's check of one row given its predecessor's hash, the
// seq it must have and the audit key; OK or DATA_LOSS naming the row. With
// `legacy`, the row is one of audit_log_v1 (unkeyed SHA-256 chain).
Status CheckAuditRow(const AuditRecord& row, int64_t expected_seq, std::string_view prev_hash,
                     std::string_view key, bool legacy = false);

// Decoding a stored chunk (EncodeHistoryChunk, records.h) that is not one is
// DATA_LOSS.
StatusOr<std::vector<HistoryEventRecord>> DecodeHistoryChunk(std::string_view op,
                                                             std::string_view chunk);
// The chunk a transition stores: its events_chunk, or its events encoded.
std::string TransitionChunk(const Transition& transition);

// --- Schedules ---
Status ValidateSchedule(std::string_view op, const ScheduleRecord& schedule);
Status ScheduleNotFound(std::string_view op, std::string_view name);
Status ScheduleNameTaken(std::string_view op, std::string_view name);
Status ScheduleRevisionChanged(std::string_view op, std::string_view name, int64_t stored,
                               int64_t expected);
// --- Notifications ---------------------------------------------------------------
Status CheckNotificationLimit(std::string_view op, int limit);
Status ValidateNotification(std::string_view op, const NotificationRecord& item);
// FAILED_PRECONDITION when `cursor` is below `stored`.
Status CheckNotificationCursor(std::string_view op, int64_t stored, int64_t cursor);
Status NotificationNotFound(std::string_view op, int64_t id);
Status NotificationNotPending(std::string_view op, int64_t id, std::string_view status);
Status NotificationNotDeadLetter(std::string_view op, int64_t id, std::string_view status);
Status ValidateNotificationSink(std::string_view op, const NotificationSinkRecord& sink);
Status ValidateNotificationRule(std::string_view op, const NotificationRuleRecord& rule);
Status NotificationSinkInUse(std::string_view op, std::string_view sink,
                             const std::vector<std::string>& rules);
// `what`: "sink" or "rule".
Status NotificationConfigNotFound(std::string_view op, std::string_view what,
                                  std::string_view name);
bool NotificationMatches(const NotificationFilter& filter, const NotificationRecord& item);

}  // namespace stepd::store::internal
