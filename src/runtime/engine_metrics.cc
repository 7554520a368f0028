#include "stepd/runtime/engine_metrics.h"

#include <chrono>
#include <map>
#include <memory>

#include "stepd/runtime/engine.h"

namespace stepd::runtime {
namespace {

constexpr std::string_view kStatesPrefix = "arn:aws:states:::";
constexpr size_t kMaxLabel = 64;

std::string_view FinishedStatus(std::string_view type) {
  if (type == "ExecutionSucceeded") return "SUCCEEDED";
  if (type == "ExecutionFailed") return "FAILED";
  if (type == "ExecutionTimedOut") return "TIMED_OUT";
  if (type == "ExecutionAborted") return "ABORTED";
  return {};
}

// Decrements the in-flight gauge once the task's callback is gone (called
// or dropped by a cancelled call).
struct InFlight {
  explicit InFlight(metrics::Gauge* g) : gauge(g) { gauge->Add(1); }
  ~InFlight() { gauge->Add(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  metrics::Gauge* gauge;
};

}  // namespace

std::string TaskResourceType(std::string_view resource) {
  std::string type;
  if (resource.starts_with(kStatesPrefix)) {
    type = std::string(resource.substr(kStatesPrefix.size()));
  } else if (resource.starts_with("arn:aws:states:") &&
             resource.find(":activity:") != std::string_view::npos) {
    type = "activity";
  } else if (resource.starts_with("arn:aws:lambda:")) {
    type = "lambda:function";
  } else {
    type = "other";
  }
  if (type.size() > kMaxLabel) type.resize(kMaxLabel);
  return type;
}

std::string StateMachineNameOf(std::string_view arn) {
  // arn:aws:states:<region>:<account>:execution:<machine>:<name>
  // arn:aws:states:<region>:<account>:express:<machine>:<name>:<uuid>
  // A Map Run's child: ...:execution:<machine>/<label>:<uuid>
  size_t colons = 0;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < arn.size(); ++i) {
    if (arn[i] != ':') continue;
    if (++colons == 6) {
      start = i + 1;
      break;
    }
  }
  if (start == std::string_view::npos) return "";
  std::string_view rest = arn.substr(start);
  rest = rest.substr(0, rest.find(':'));
  rest = rest.substr(0, rest.find('/'));
  return std::string(rest);
}

EngineMetrics::EngineMetrics(metrics::Registry* registry, std::function<EngineStats()> stats) {
  if (registry == nullptr) return;
  started_ = &registry->AddCounter("stepd_executions_started_total",
                                   "Executions started, by state machine.", {"state_machine"});
  finished_ = &registry->AddCounter("stepd_executions_finished_total",
                                    "Executions that ended, by state machine and status.",
                                    {"state_machine", "status"});
  redriven_ = &registry->AddCounter("stepd_executions_redriven_total",
                                    "Executions redriven, by state machine.", {"state_machine"});
  transitions_ = &registry->AddCounter("stepd_state_transitions_total",
                                       "States entered, by state machine.", {"state_machine"});
  events_ = &registry->AddCounter("stepd_history_events_total", "History events committed.")
                 .With({});
  task_duration_ = &registry->AddHistogram(
      "stepd_task_duration_seconds",
      "Time from a Task's dispatch to its result, by integration and outcome.",
      {"resource", "outcome"}, metrics::DurationBuckets());
  in_flight_ = &registry->AddGauge("stepd_tasks_in_flight",
                                   "Tasks dispatched and not answered, by integration.",
                                   {"resource"});
  commit_duration_ = &registry
                          ->AddHistogram("stepd_commit_duration_seconds",
                                         "Time to write one group commit of transitions.", {},
                                         metrics::DurationBuckets())
                          .With({});
  commit_batch_ = &registry
                       ->AddHistogram("stepd_commit_batch_executions",
                                      "Executions whose transitions one group commit wrote.", {},
                                      metrics::SizeBuckets())
                       .With({});
  commit_failures_ =
      &registry->AddCounter("stepd_commit_failures_total", "Group commits that failed.").With({});
  auto gauge = [&](std::string name, std::string help, auto field) {
    registry->AddCallback(std::move(name), std::move(help), metrics::MetricType::kGauge, {},
                          [stats, field] {
                            return metrics::Registry::Samples{
                                {{}, static_cast<double>(field(stats()))}};
                          });
  };
  gauge("stepd_ready_executions", "Executions waiting for a worker (the ready queue).",
        [](const EngineStats& s) { return s.ready; });
  gauge("stepd_executions_in_memory", "Executions held in memory.",
        [](const EngineStats& s) { return s.in_memory; });
  gauge("stepd_timers_pending", "Armed wake-ups: Wait states, retry back-offs, deadlines.",
        [](const EngineStats& s) { return s.timers; });
  gauge("stepd_tasks_pending", "Tasks dispatched and not answered.",
        [](const EngineStats& s) { return s.pending_tasks; });
}

void EngineMetrics::Committed(std::span<const store::TransitionGroup> groups,
                              const std::vector<Status>& results, double seconds) {
  if (started_ == nullptr) return;
  commit_duration_->Observe(seconds);
  commit_batch_->Observe(static_cast<double>(groups.size()));
  uint64_t events = 0;
  for (size_t i = 0; i < groups.size() && i < results.size(); ++i) {
    if (!results[i].ok()) continue;
    for (const store::Transition& t : groups[i]) {
      if (t.events.empty()) continue;
      events += t.events.size();
      const std::string machine = StateMachineNameOf(t.execution_arn);
      int64_t entered = 0;
      for (const store::HistoryEventRecord& e : t.events) {
        if (e.type.ends_with("StateEntered")) {
          ++entered;
        } else if (e.type == "ExecutionStarted") {
          started_->With({machine}).Increment();
        } else if (e.type == "ExecutionRedriven") {
          redriven_->With({machine}).Increment();
        } else if (std::string_view status = FinishedStatus(e.type); !status.empty()) {
          finished_->With({machine, std::string(status)}).Increment();
        }
      }
      if (entered > 0) transitions_->With({machine}).Increment(static_cast<double>(entered));
    }
  }
  events_->Increment(static_cast<double>(events));
}

void EngineMetrics::CommitFailed() {
  if (commit_failures_ != nullptr) commit_failures_->Increment();
}

TaskDone EngineMetrics::Timed(const TaskCall& call, TaskDone done) {
  if (task_duration_ == nullptr) return done;
  std::string resource = TaskResourceType(call.request.resource);
  auto in_flight = std::make_shared<InFlight>(&in_flight_->With({resource}));
  metrics::Histogram* succeeded = &task_duration_->With({resource, "succeeded"});
  metrics::Histogram* failed = &task_duration_->With({resource, "failed"});
  metrics::Histogram* timed_out = &task_duration_->With({resource, "timed_out"});
  return [done = std::move(done), in_flight = std::move(in_flight), succeeded, failed, timed_out,
          since = std::chrono::steady_clock::now()](asl::AslResult<Json> result) mutable {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    if (result.ok()) {
      succeeded->Observe(seconds);
    } else if (result.error().error == "States.Timeout" ||
               result.error().error == "States.HeartbeatTimeout") {
      timed_out->Observe(seconds);
    } else {
      failed->Observe(seconds);
    }
    in_flight.reset();
    done(std::move(result));
  };
}

}  // namespace stepd::runtime
