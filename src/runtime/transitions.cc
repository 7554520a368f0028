#include "transitions.h"

namespace stepd::runtime::internal {

int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

store::MapRunRecord ToMapRunRecord(const asl::MapRunInfo& run, const std::string& execution_arn) {
  store::MapRunRecord r;
  r.arn = run.arn;
  r.execution_arn = execution_arn;
  switch (run.status) {
    case asl::MapRunStatus::kRunning:
      r.status = store::MapRunStatus::kRunning;
      break;
    case asl::MapRunStatus::kSucceeded:
      r.status = store::MapRunStatus::kSucceeded;
      break;
    case asl::MapRunStatus::kFailed:
      r.status = store::MapRunStatus::kFailed;
      break;
    case asl::MapRunStatus::kAborted:
      r.status = store::MapRunStatus::kAborted;
      break;
  }
  r.max_concurrency = run.max_concurrency;
  r.tolerated_failure_count = run.tolerated_failure_count.value_or(0);
  r.tolerated_failure_percentage = run.tolerated_failure_percentage.value_or(0);
  r.total_items = run.total_items;
  r.total_executions = run.total_executions;
  r.start_time_ms = ToMillis(run.start_time);
  if (run.stop_time) r.stop_time_ms = ToMillis(*run.stop_time);
  r.redrive_count = run.redrive_count;
  if (run.redrive_time) r.redrive_time_ms = ToMillis(*run.redrive_time);
  return r;
}

store::ExecutionStatus ToStoreStatus(asl::ExecutionStatus status) {
  switch (status) {
    case asl::ExecutionStatus::kRunning:
      return store::ExecutionStatus::kRunning;
    case asl::ExecutionStatus::kSucceeded:
      return store::ExecutionStatus::kSucceeded;
    case asl::ExecutionStatus::kFailed:
      return store::ExecutionStatus::kFailed;
    case asl::ExecutionStatus::kTimedOut:
      return store::ExecutionStatus::kTimedOut;
    case asl::ExecutionStatus::kAborted:
      return store::ExecutionStatus::kAborted;
  }
  return store::ExecutionStatus::kFailed;
}

store::HistoryEventRecord ToRecord(asl::HistoryEvent&& event) {
  store::HistoryEventRecord r;
  r.event_id = event.id;
  r.previous_event_id = event.previous_event_id;
  r.type = std::string(event.type);
  r.timestamp_ms = ToMillis(event.timestamp);
  r.details_key = std::string(event.details_key);
  r.details_json = event.details_key.empty() ? std::string("{}") : std::move(event.details);
  return r;
}

namespace {
bool IsExecutionEnd(std::string_view type) {
  return type == "ExecutionSucceeded" || type == "ExecutionFailed" || type == "ExecutionAborted" ||
         type == "ExecutionTimedOut";
}
}  // namespace

bool IsTransition(const asl::HistoryEvent& event) {
  return event.type == "ExecutionStarted" || event.type.ends_with("StateEntered") ||
         event.type == "ExecutionRedriven" || IsExecutionEnd(event.type);
}

store::AuditEntry TransitionAudit(const asl::HistoryEvent& event, const std::string& target,
                                  const std::string& actor, std::string_view start_state,
                                  std::string_view origin_json) {
  store::AuditEntry a;
  a.timestamp_ms = ToMillis(event.timestamp);
  a.actor = actor;
  a.action = std::string(event.type);
  a.target = target;
  a.event_id = event.id;
  std::string& d = a.details_json;
  d = "{\"from\":\"";
  AppendJsonStringBody(event.from_state, &d);
  d += "\",\"to\":\"";
  AppendJsonStringBody(event.type == "ExecutionStarted" ? start_state : event.state, &d);
  d += '"';
  // The origin's members ({"principal":...}) follow ours.
  if (origin_json.size() > 2 && origin_json.front() == '{' && origin_json.back() == '}') {
    d += ',';
    d.append(origin_json.substr(1, origin_json.size() - 2));
  }
  d += '}';
  return a;
}

void ApplyExecutionEnd(const asl::HistoryEvent& event, store::ExecutionUpdate* update) {
  const std::string_view type = event.type;
  update->stop_time_ms = ToMillis(event.timestamp);
  update->wake_at_ms = std::optional<int64_t>();
  update->snapshot = std::string();
  const Json details = event.details.empty() ? Json::object() : Json::parse(event.details);
  if (type == "ExecutionSucceeded") {
    update->status = store::ExecutionStatus::kSucceeded;
    update->output = details.value("output", std::string("null"));
    return;
  }
  update->status = type == "ExecutionAborted"    ? store::ExecutionStatus::kAborted
                   : type == "ExecutionTimedOut" ? store::ExecutionStatus::kTimedOut
                                                 : store::ExecutionStatus::kFailed;
  if (details.contains("error")) update->error = details["error"].get<std::string>();
  if (details.contains("cause")) update->cause = details["cause"].get<std::string>();
}

void ApplyExecutionRedrive(const asl::HistoryEvent& event, store::ExecutionUpdate* update) {
  update->reopen = true;
  update->status = store::ExecutionStatus::kRunning;
  update->output.reset();
  update->error.reset();
  update->cause.reset();
  update->stop_time_ms.reset();
  const Json details = event.details.empty() ? Json::object() : Json::parse(event.details);
  update->redrive_count = details.value("redriveCount", 1);
  update->redrive_time_ms = ToMillis(event.timestamp);
}

void SealEvents(store::Transition& t) {
  if (t.events.empty() || !t.events_chunk.empty()) return;
  t.events_chunk = store::EncodeHistoryChunk(t.events);
  for (store::HistoryEventRecord& e : t.events) std::string().swap(e.details_json);
}

void MergeTransition(store::Transition& earlier, store::Transition&& later) {
  if (!earlier.create && later.create) earlier.create = std::move(later.create);
  if (!earlier.events_chunk.empty() || !later.events_chunk.empty()) {
    SealEvents(earlier);
    SealEvents(later);
    store::AppendHistoryChunk(&earlier.events_chunk, later.events_chunk);
  }
  for (auto& e : later.events) earlier.events.push_back(std::move(e));
  for (auto& a : later.audit) earlier.audit.push_back(std::move(a));
  for (int64_t id : later.closed_tasks) earlier.closed_tasks.push_back(id);
  // In order: a run's later state replaces its earlier one.
  for (auto& run : later.map_runs) earlier.map_runs.push_back(std::move(run));
  store::ExecutionUpdate& u = earlier.update;
  store::ExecutionUpdate& v = later.update;
  if (v.reopen) {
    u.reopen = true;
    u.output.reset();
    u.error.reset();
    u.cause.reset();
    u.stop_time_ms.reset();
  }
  if (v.status) u.status = v.status;
  if (v.output) u.output = std::move(v.output);
  if (v.error) u.error = std::move(v.error);
  if (v.cause) u.cause = std::move(v.cause);
  if (v.stop_time_ms) u.stop_time_ms = v.stop_time_ms;
  if (v.redrive_count) u.redrive_count = v.redrive_count;
  if (v.redrive_time_ms) u.redrive_time_ms = v.redrive_time_ms;
  if (v.snapshot) u.snapshot = std::move(v.snapshot);
  if (v.wake_at_ms) u.wake_at_ms = v.wake_at_ms;
  if (v.tasks_pending) u.tasks_pending = v.tasks_pending;
  earlier.updated_at_ms = std::max(earlier.updated_at_ms, later.updated_at_ms);
}

void MergeGroup(store::TransitionGroup& earlier, store::TransitionGroup&& later) {
  for (store::Transition& t : later) {
    store::Transition* into = nullptr;
    for (store::Transition& e : earlier) {
      if (e.execution_arn == t.execution_arn) into = &e;
    }
    if (into) {
      MergeTransition(*into, std::move(t));
    } else {
      earlier.push_back(std::move(t));
    }
  }
}

}  // namespace stepd::runtime::internal
