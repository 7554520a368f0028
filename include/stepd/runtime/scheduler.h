#pragma once
// Scheduler: starts state machines at the times of their schedules
// (schedule_expression.h), durably.
//
// Each schedule's next due time is in the store (ScheduleRecord::
// next_fire_ms). FireDue() handles every enabled schedule whose due time
// has come:
//   - on time (late by at most SchedulerOptions::grace): starts the target
//     with the schedule's input, then advances next_fire_ms past the due
//     time with a compare-and-set on the record's revision;
//   - late by more (stepd was down, the machine asleep): the schedule's
//     catch-up policy. SKIP advances to the next future time without
//     starting anything (logged, an audit row "ScheduleMissed", counted);
//     LAST starts the most recent missed due time once, then advances.
// Once per due time, even across a crash: the execution is named after the
// schedule and the due time ("<schedule>-<YYYYMMDDTHHMMSSZ>"), so a crash
// between the start and the advance refires the same name after the
// restart, and the engine's idempotent start (the same name and input: the
// running execution; a finished one: ALREADY_EXISTS) makes it a no-op. An
// EXPRESS target's names may repeat, so there the guarantee is at least once.
//
// Every start has the principal "schedule:<name>" and the origin
// {"source": "schedule", "schedule": name, "scheduled_time": ISO time}, so
// its ExecutionStarted audit row says which schedule and due time started
// it. A start the target refuses (it was deleted, a version or alias is
// gone, the input is too large) is recorded on the schedule (last_error,
// an audit row "ScheduleFireFailed"), logged and counted, and the schedule
// advances: it never loops. A start refused for overload or while stopping
// is retried a second later.
//
// Management (the REST API, the config file) goes through this class too, so
// that expressions, time zones, targets and next due times follow one set
// of rules.
//
// Several nodes (SchedulerOptions::node_id set; store/store.h "Nodes"):
// every node runs a scheduler, but FireDue() fires only on the node holding
// the store lease "scheduler"; elsewhere it only tries to take the lease.
// The holder renews it every lease_time / 5 (between schedules too), stops
// firing as soon as it cannot, and gives it up in Stop(), so that another
// node takes over within lease_time / 5. Two nodes firing the same due time
// would start a STANDARD target once (the name is the same; the engine's
// start is idempotent) but an EXPRESS one twice (its ARN gets a ':<uuid>'
// suffix): the lease is what prevents that. The compare-and-set of the
// advance stays a second guard: a node paused past its lease mid-fire finds
// the schedule advanced by the next holder and does not move it again
// (though an EXPRESS start it made before the pause stands: at least once).
// A node fires only what was due when it last checked its lease. Node
// clocks must agree to well within lease_time. With node_id empty: no
// lease, no extra store call.
//
// Thread-safety: every method may be called from any thread. FireDue() runs
// one at a time (the thread's and a test's calls take turns).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/schedule_expression.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::runtime {

struct SchedulerOptions {
  // Where names of state machines point: "arn:aws:states:<region>:<account>:
  // stateMachine:<name>" (the API's region and account).
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  // A due time found later than this has been missed: the catch-up policy
  // decides. Default 60 s.
  std::chrono::milliseconds grace{60000};
  // The thread looks at the clock at least this often, so that a clock
  // that jumps is noticed. Default 1 s.
  std::chrono::milliseconds max_sleep{1000};
  // Several nodes on one database: this node's id (StoreOptions::node_id).
  // Empty (the default): one node, no lease. Set: fires only while this
  // node holds the store lease "scheduler" (see above).
  std::string node_id;
  // The lease lasts this long unless renewed; it is renewed (or, by nodes
  // not holding it, tried) every lease_time / 5. Default 10 s.
  std::chrono::milliseconds lease_time{10000};
};

// A schedule as the config file and the API describe it.
struct ScheduleSpec {
  std::string name;         // 1-64 of [0-9A-Za-z_.-]
  std::string description;  // up to 512 characters
  // A state machine's name or its (unqualified) ARN.
  std::string state_machine;
  // A version number ("3") or an alias name; empty: the current revision.
  std::string qualifier;
  std::string input = "{}";  // JSON text, at most 256 KiB
  std::string expression;    // rate(...), cron(...), at(...)
  std::string timezone = "UTC";
  std::optional<int64_t> start_ms;  // fire times are >= start and < end
  std::optional<int64_t> end_ms;
  bool enabled = true;
  store::ScheduleCatchUp catch_up = store::ScheduleCatchUp::kLast;
  bool operator==(const ScheduleSpec&) const = default;
};

// Checks what needs no store: the name, expression, time zone, input (JSON),
// qualifier and bounds. INVALID_ARGUMENT naming the problem, e.g.
// "schedule 'x': cron: hours '24' is out of range (0-23)".
Status ValidateScheduleSpec(const ScheduleSpec& spec);

// The execution a schedule starts for a due time:
// "<schedule>-<YYYYMMDDTHHMMSSZ>"; a name that would pass 80 characters is
// shortened and keeps a hash of the whole schedule name.
std::string ScheduledExecutionName(const std::string& schedule, TimePoint due);

// Counters since start and gauges as of the last FireDue().
struct SchedulerStats {
  size_t schedules_enabled = 0;
  uint64_t fires = 0;           // executions started at a due time
  uint64_t missed_skipped = 0;  // due times not run (catch-up)
  uint64_t failures = 0;        // fires the target refused
  // The earliest due time; unset when none, and on a node without the
  // lease (SchedulerOptions::node_id).
  std::optional<int64_t> next_due_ms;
};

// Who asks for a change (the API's caller): the audit rows' actor and
// details.
struct ScheduleCaller {
  std::string principal;
  // A JSON object whose members join the audit row's details (the caller,
  // the request id); empty: none.
  std::string details_json;
};

class Scheduler {
 public:
  // `store`, `engine` and `clock` must outlive the scheduler.
  Scheduler(store::Store* store, Engine* engine, Clock* clock, SchedulerOptions options,
            std::shared_ptr<spdlog::logger> logger);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the thread that calls FireDue() when a due time comes (after the
  // engine recovered: it starts executions).
  void Start();
  // Joins the thread (a FireDue() in progress finishes first); with
  // node_id, then gives the lease up. Idempotent. Call before the engine
  // stops.
  void Stop();

  // Fires every schedule due at the clock's now (see above). Store errors
  // are logged and retried on the next call. With node_id: takes or renews
  // the lease first (when due), and does nothing without it or once
  // stopped.
  void FireDue();

  // --- Management ---------------------------------------------------------------

  // The schedule `spec` describes, checked against the store (the target
  // and its version or alias exist) and stored with its first due time,
  // source "api". INVALID_ARGUMENT (ValidateScheduleSpec, a missing target),
  // ALREADY_EXISTS (the name is taken).
  StatusOr<store::ScheduleRecord> Create(const ScheduleSpec& spec, const ScheduleCaller& caller);
  // Replaces an API schedule's description, target, input, expression,
  // time zone, bounds, state and catch-up policy. The next due time is
  // recomputed from now when the times change (expression, time zone,
  // bounds, enabled), kept otherwise. As Create, plus NOT_FOUND, and
  // FAILED_PRECONDITION for a schedule from the config file.
  StatusOr<store::ScheduleRecord> Replace(const ScheduleSpec& spec, const ScheduleCaller& caller);
  // Enables (next due time from now: what was missed while disabled is not
  // caught up) or disables it. Errors as Replace.
  StatusOr<store::ScheduleRecord> SetEnabled(const std::string& name, bool enabled,
                                             const ScheduleCaller& caller);
  // NOT_FOUND; FAILED_PRECONDITION for a schedule from the config file.
  Status Delete(const std::string& name, const ScheduleCaller& caller);
  // Starts the schedule's target now, once, as `caller` (outside its due
  // times: the schedule is not changed), with a random execution name; the
  // ExecutionStarted row's details are the caller's plus {"schedule": name,
  // "manual": true}. NOT_FOUND for an unknown schedule;
  // otherwise the engine's errors.
  StatusOr<StartResult> FireNow(const std::string& name, const ScheduleCaller& caller);

  // Makes the config file's schedules the store's source "config"
  // schedules: creates and updates them (a changed schedule gets a new next
  // due time; an unchanged one keeps its state) and deletes config
  // schedules no longer listed. A target that does not exist is logged, not
  // refused (the fires record the error). An API schedule of the same name
  // becomes a config schedule. Call before Start().
  // Several nodes: idempotent when they share one config (the later starts
  // find every schedule as wanted and write nothing; a node starting at
  // the same time as another one, or while the holder advances a
  // schedule, reads it again instead of failing). When their configs
  // differ, the node started last wins: its schedules are the store's until
  // another node starts; every node fires what the store holds.
  Status SyncConfig(const std::vector<ScheduleSpec>& specs);

  // Up to `count` due times of `schedule` from its next one on (none when
  // disabled or ended).
  std::vector<TimePoint> Upcoming(const store::ScheduleRecord& schedule, size_t count) const;
  // The spec a stored schedule was made from (state_machine is the ARN).
  static ScheduleSpec SpecOf(const store::ScheduleRecord& schedule);

  SchedulerStats Stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::runtime
