#include "stepd/runtime/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "stepd/asl/compiler.h"
#include "stepd/asl/interpreter.h"
#include "stepd/asl/states.h"
#include "stepd/base/crypto.h"
#include "stepd/base/log_context.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine_metrics.h"
#include "transitions.h"

namespace stepd::runtime {
namespace {

using internal::FromMillis;
using internal::ToMillis;
using SteadyClock = std::chrono::steady_clock;

// One WhenFinished caller: told once, by whoever fires first.
class FinishWatcher {
 public:
  explicit FinishWatcher(std::function<void(Status)> done) : done_(std::move(done)) {}
  void Fire(const Status& status) {
    std::function<void(Status)> done;
    {
      std::lock_guard lock(mu_);
      done.swap(done_);
    }
    if (done) done(status);
  }

 private:
  std::mutex mu_;
  std::function<void(Status)> done_;
};

// arn:aws:states:R:A:stateMachine:NAME -> arn:aws:states:R:A:execution:NAME:EXEC
std::string ExecutionArnFor(const std::string& machine_arn, const std::string& name, bool express) {
  const std::string marker = ":stateMachine:";
  const size_t at = machine_arn.find(marker);
  if (at == std::string::npos) return machine_arn + ":" + name;
  return machine_arn.substr(0, at) + (express ? ":express:" : ":execution:") +
         machine_arn.substr(at + marker.size()) + ":" + name;
}

// What waits on an execution another node took over is told this.
Status MovedError(const std::string& arn) {
  return UnavailableError("execution '" + arn + "' moved to another node");
}

bool SameJson(const std::string& text, const Json& value) {
  StatusOr<Json> parsed = ParseJson(text);
  return parsed.ok() && *parsed == value;
}

// A task the execution waits for, with its deadlines.
struct TrackedTask {
  TaskCall call;
  std::optional<TimePoint> deadline;            // TimeoutSeconds
  std::optional<TimePoint> heartbeat_deadline;  // HeartbeatSeconds
};

// Something for an execution to handle on its next slice.
struct Inbox {
  int64_t task_id = 0;  // about this task when non-zero: one of the three below
  std::optional<asl::AslResult<Json>> result;
  std::optional<std::string> started_by;  // an activity worker took it
  bool heartbeat = false;                 // its worker is alive
  std::optional<Json> submitted;          // its integration answered (TaskSubmitted)
  std::optional<StopRequest> stop;
  std::function<void(StatusOr<StopResult>)> stop_done;
  std::optional<MapRunUpdate> map_run_update;
  std::function<void(Status)> update_done;
};

// One execution in memory.
struct Slot {
  explicit Slot(std::string a) : arn(std::move(a)) {}
  const std::string arn;

  // Owned by whoever runs the slot (a worker during a slice; StartExecution
  // before it first releases it). Never touched by the committer.
  std::string machine_arn;
  std::string started_by;
  std::string input_text;
  int64_t start_time_ms = 0;
  bool express = false;
  std::shared_ptr<const asl::StateMachine> machine;
  std::unique_ptr<asl::Execution> exec;
  std::map<int64_t, TrackedTask> tasks;
  std::unordered_map<int64_t, std::string> child_arns;
  std::string store_revision;

  // Guarded by Impl::mu_.
  // What an idempotent StartExecution compares: set once the execution's
  // input and start time are known (created here, or read back).
  bool known = false;
  std::string known_input;
  int64_t known_start_ms = 0;
  bool queued = false;
  bool running = false;
  // Wants a slice but has kMaxInflight commits out: queued when one lands.
  bool deferred = false;
  int inflight = 0;       // commit items submitted and not done
  bool durable = false;   // its creation is committed
  bool finished = false;  // reached a final status (its last commit may be pending)
  // Its final commit is submitted: the store may show the end before the
  // committer sets `finished`.
  bool ending = false;
  bool broken = false;    // a commit failed: memory is ahead of the store
  // Cluster mode: adopted while in memory; compared with the store before
  // its next slice with no commit in flight (another node may have run it).
  bool verify = false;
  bool disowned = false;  // another node owns it now: forgotten here
  std::vector<Inbox> inbox;
};

// What one slice (or a start) hands to the committer.
struct CommitItem {
  std::shared_ptr<Slot> slot;
  store::TransitionGroup group;
  std::vector<TaskCall> dispatch;
  std::vector<TaskCall> cancel;
  std::function<void(StatusOr<StartResult>)> start_done;
  StartResult start_result;
  std::vector<std::pair<std::function<void(StatusOr<StopResult>)>, StopResult>> stops;
  std::vector<std::function<void(Status)>> updates;  // UpdateMapRun, answered once durable
  std::function<void(StatusOr<RedriveResult>)> redrive_done;
  RedriveResult redrive_result;
  bool finished = false;
  std::optional<TimePoint> wake_at;
  bool evictable = false;
  int items = 1;  // submitted items merged into this one (Slot::inflight counts each)

  void Absorb(CommitItem&& later) {
    items += later.items;
    internal::MergeGroup(group, std::move(later.group));
    for (auto& c : later.dispatch) dispatch.push_back(std::move(c));
    for (auto& c : later.cancel) cancel.push_back(std::move(c));
    if (later.start_done) {
      start_done = std::move(later.start_done);
      start_result = std::move(later.start_result);
    }
    for (auto& s : later.stops) stops.push_back(std::move(s));
    if (later.redrive_done) {
      redrive_done = std::move(later.redrive_done);
      redrive_result = later.redrive_result;
    }
    finished = later.finished;
    wake_at = later.wake_at;
    evictable = later.evictable;
  }
};

// An execution runs at most this many slices ahead of what is durable: the
// committer's pace holds back the workers (memory stays bounded), while one
// slice may run during the previous one's commit.
constexpr int kMaxInflight = 2;

struct TimerEntry {
  TimePoint due;
  std::string arn;
  bool operator>(const TimerEntry& o) const { return due > o.due; }
};

}  // namespace

class Engine::Impl {
 public:
  Impl(const RuntimeOptions& options, store::Store* store, Clock* clock, TaskRouter* tasks,
       std::shared_ptr<spdlog::logger> logger, metrics::Registry* registry)
      : options_(options),
        clustered_(options.clustered()),
        store_(store),
        clock_(clock),
        tasks_(tasks),
        log_(std::move(logger)),
        metrics_(registry, [this] { return Stats(); }) {
    exec_options_.max_payload_bytes = options_.max_payload_bytes;
    exec_options_.record_history = true;
  }

  Status Recover();
  void Adopt(const store::RunningExecution& execution);
  Status TakeOver(const std::string& arn);
  void Start();
  void Stop();
  void StartExecution(StartRequest request, std::function<void(StatusOr<StartResult>)> done);
  void StopExecution(StopRequest request, std::function<void(StatusOr<StopResult>)> done);
  void RedriveExecution(RedriveRequest request,
                        std::function<void(StatusOr<RedriveResult>)> done);
  void WhenFinished(const std::string& arn, std::function<void(Status)> done);
  void UpdateMapRun(MapRunUpdate update, std::function<void(Status)> done);
  void CompleteTask(const std::string& arn, int64_t task_id, asl::AslResult<Json> result);
  // Hands `in` to the execution `arn` if it is in memory (else drops it).
  void Notify(const std::string& arn, Inbox in);
  EngineStats Stats() const;

 private:
  // --- scheduling (mu_ held) ---
  void QueueLocked(const std::shared_ptr<Slot>& slot);
  std::shared_ptr<Slot> FindOrCreateLocked(const std::string& arn);
  void ArmLocked(const std::string& arn, TimePoint when);
  void MaybeResetLocked(const std::shared_ptr<Slot>& slot);
  void ForgetLocked(const std::shared_ptr<Slot>& slot);
  void AdoptLocked(const store::RunningExecution& execution);

  // --- cluster mode: another node took an execution over ---
  // Forgets `slot` (its timer, its queued commits) without touching its
  // tasks; what waited on it goes to `unanswered`, its tasks' calls to
  // `released` once no worker runs it (else RunSlice's end does that).
  void DisownLocked(const std::shared_ptr<Slot>& slot, std::vector<Inbox>* unanswered,
                    std::vector<TaskCall>* released);
  void ReleaseTasksLocked(Slot& slot, std::vector<TaskCall>* released);
  // Outside mu_: answers `unanswered` with MovedError, releases `released`.
  void AfterDisown(const std::string& arn, std::vector<Inbox>& unanswered,
                   const std::vector<TaskCall>& released);
  // When the store says the task's worker last reported alive (heartbeats
  // sent to another node are only stored).
  std::optional<TimePoint> StoredHeartbeat(const std::string& arn, int64_t task_id);
  // Fires the WhenFinished watchers of executions not running here once
  // the store shows them ended; forgets idle executions another node took
  // over (ClusterOptions::idle_check_interval_ms).
  void ClusterLoop();
  // Held here, read, and waiting for nothing but a task or a timer.
  bool IdleLocked(const Slot& slot) const;

  // --- workers ---
  void WorkerLoop();
  void RunSlice(const std::shared_ptr<Slot>& slot);
  // Reads a RUNNING execution back from the store.
  Status Load(Slot& slot, std::vector<TaskCall>* redispatch);
  // Rebuilds the slot's execution from `record` (read by the caller).
  Status LoadRecord(Slot& slot, store::ExecutionRecord record, std::vector<TaskCall>* redispatch);
  // Follows a task handed out (`restored`: read back after a restart).
  void Track(Slot& slot, const asl::TaskRequest& request, std::vector<TaskCall>* dispatch,
             bool restored = false);
  // The commit of a slice, its history encoded here on the worker.
  void BuildCommit(Slot& slot, asl::StepResult last, TimePoint now, const std::string& end_actor,
                   const std::string& end_origin,
                   CommitItem* item);
  void BuildGroup(Slot& slot, asl::StepResult last, TimePoint now, const std::string& end_actor,
                  const std::string& end_origin,
                  CommitItem* item);
  std::optional<TimePoint> WakeAt(const Slot& slot, const asl::StepResult& last) const;

  // --- committer ---
  void SubmitLocked(CommitItem item);
  void CommitLoop();
  void Done(CommitItem& item);
  // `quiet`: the execution's failure was logged already.
  void Fail(CommitItem& item, const Status& status, bool quiet = false);
  // Cluster mode: the store refused `item` because another node owns its
  // execution (or an earlier commit was refused so): the execution is
  // disowned; whoever waits on the item hears UNAVAILABLE.
  void FailMoved(CommitItem& item, const Status& status);
  void Dispatch(const std::string& arn, std::vector<TaskCall> calls);

  // --- timers (kept by an idle worker) ---
  // Queues the executions whose timers are due.
  void FireDueTimersLocked(TimePoint now);

  // A state machine as starts need it, cached for a short while (and until
  // ForgetStateMachine): a start costs no database read.
  struct MachineInfo {
    store::StateMachineRecord record;  // without its definition
    std::shared_ptr<const asl::StateMachine> compiled;
    SteadyClock::time_point loaded;
  };
  StatusOr<MachineInfo> CurrentMachine(const std::string& arn);
  // The machine as it was at `revision` (a published version's), compiled
  // once and cached.
  StatusOr<std::shared_ptr<const asl::StateMachine>> MachineAt(const std::string& arn,
                                                               const std::string& revision,
                                                               store::StateMachineType type);

 public:
  void ForgetStateMachine(const std::string& arn) {
    std::lock_guard lock(machines_mu_);
    current_.erase(arn);
  }

 private:
  StatusOr<std::shared_ptr<const asl::StateMachine>> Machine(const std::string& arn,
                                                             const std::string& revision,
                                                             const std::string& definition,
                                                             store::StateMachineType type);

  const RuntimeOptions options_;
  const bool clustered_;
  store::Store* const store_;
  Clock* const clock_;
  TaskRouter* const tasks_;
  std::shared_ptr<spdlog::logger> log_;
  EngineMetrics metrics_;
  asl::ExecutionOptions exec_options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  bool stopping_ = false;                                         // guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;  // guarded by mu_
  std::deque<std::shared_ptr<Slot>> ready_;                       // guarded by mu_
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;  // mu_
  std::unordered_map<std::string, TimePoint> armed_;  // arn -> due; guarded by mu_
  size_t pending_tasks_ = 0;                          // guarded by mu_
  uint64_t moved_away_ = 0;                           // guarded by mu_
  // Who waits for an execution to finish (WhenFinished); guarded by mu_.
  std::unordered_map<std::string, std::vector<std::shared_ptr<FinishWatcher>>> watchers_;

  mutable std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::deque<CommitItem> commits_;  // guarded by commit_mu_
  bool commits_closing_ = false;    // guarded by commit_mu_
  uint64_t commit_count_ = 0;       // guarded by commit_mu_
  uint64_t committed_groups_ = 0;   // guarded by commit_mu_
  double commit_seconds_ = 0;       // guarded by commit_mu_

  std::mutex machines_mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const asl::StateMachine>>
      machines_;                                          // guarded by machines_mu_
  std::unordered_map<std::string, MachineInfo> current_;  // guarded by machines_mu_

  std::vector<std::thread> workers_;
  std::thread committer_;
  std::thread watcher_;               // cluster mode: ClusterLoop
  std::condition_variable watch_cv_;  // wakes ClusterLoop (with mu_)
  // An idle worker waits for the next timer rather than for work alone.
  bool timekeeper_ = false;  // guarded by mu_
  bool started_ = false;
};

// ---------------------------------------------------------------------------
// Machines

StatusOr<std::shared_ptr<const asl::StateMachine>> Engine::Impl::Machine(
    const std::string& arn, const std::string& revision, const std::string& definition,
    store::StateMachineType type) {
  const auto key = std::make_pair(arn, revision);
  {
    std::lock_guard lock(machines_mu_);
    auto it = machines_.find(key);
    if (it != machines_.end()) return it->second;
  }
  asl::CompileOptions compile_options;
  compile_options.type = type == store::StateMachineType::kExpress
                             ? asl::StateMachineType::kExpress
                             : asl::StateMachineType::kStandard;
  asl::CompileResult compiled = asl::Compile(definition, compile_options);
  if (!compiled.ok()) {
    return FailedPreconditionError(
        "state machine '" + arn + "' revision '" + revision +
        "' does not compile: " + asl::InvalidDefinitionMessage(compiled.diagnostics));
  }
  std::lock_guard lock(machines_mu_);
  if (machines_.size() >= 1024) machines_.clear();
  machines_[key] = compiled.machine;
  return std::shared_ptr<const asl::StateMachine>(compiled.machine);
}

StatusOr<std::shared_ptr<const asl::StateMachine>> Engine::Impl::MachineAt(
    const std::string& arn, const std::string& revision, store::StateMachineType type) {
  {
    std::lock_guard lock(machines_mu_);
    auto it = machines_.find(std::make_pair(arn, revision));
    if (it != machines_.end()) return it->second;
  }
  STEPD_ASSIGN_OR_RETURN(std::string definition, store_->GetStateMachineDefinition(arn, revision));
  return Machine(arn, revision, definition, type);
}

StatusOr<Engine::Impl::MachineInfo> Engine::Impl::CurrentMachine(const std::string& arn) {
  constexpr auto kFresh = std::chrono::seconds(2);
  {
    std::lock_guard lock(machines_mu_);
    auto it = current_.find(arn);
    if (it != current_.end() && SteadyClock::now() - it->second.loaded < kFresh) return it->second;
  }
  STEPD_ASSIGN_OR_RETURN(store::StateMachineRecord record, store_->GetStateMachine(arn));
  MachineInfo info;
  STEPD_ASSIGN_OR_RETURN(info.compiled,
                         Machine(record.arn, record.revision_id, record.definition, record.type));
  record.definition.clear();
  info.record = std::move(record);
  info.loaded = SteadyClock::now();
  std::lock_guard lock(machines_mu_);
  if (current_.size() >= 4096) current_.clear();
  current_[arn] = info;
  return info;
}

// ---------------------------------------------------------------------------
// Scheduling

void Engine::Impl::QueueLocked(const std::shared_ptr<Slot>& slot) {
  if (slot->queued || slot->running || slot->finished) return;
  if (slot->inflight >= kMaxInflight) {
    slot->deferred = true;
    return;
  }
  slot->queued = true;
  ready_.push_back(slot);
  work_cv_.notify_one();
}

std::shared_ptr<Slot> Engine::Impl::FindOrCreateLocked(const std::string& arn) {
  auto it = slots_.find(arn);
  if (it != slots_.end()) return it->second;
  // An execution that left memory (parked, or not yet resumed after a
  // restart): read back from the store by the worker that runs it.
  auto slot = std::make_shared<Slot>(arn);
  slot->durable = true;
  slots_.emplace(arn, slot);
  return slot;
}

void Engine::Impl::ArmLocked(const std::string& arn, TimePoint when) {
  auto it = armed_.find(arn);
  if (it != armed_.end() && it->second == when) return;
  const bool earliest = timers_.empty() || when < timers_.top().due;
  armed_[arn] = when;
  timers_.push(TimerEntry{when, arn});
  // The timekeeper waits for the earliest timer: it must see this one.
  if (earliest) work_cv_.notify_all();
}

void Engine::Impl::ForgetLocked(const std::shared_ptr<Slot>& slot) {
  auto it = slots_.find(slot->arn);
  if (it != slots_.end() && it->second == slot) slots_.erase(it);
}

// A slot whose commit failed drops what it held in memory once nothing of it
// is in flight, and is read back from the store (its last durable step) a
// moment later.
void Engine::Impl::MaybeResetLocked(const std::shared_ptr<Slot>& slot) {
  if (!slot->broken || slot->inflight > 0 || slot->running || slot->finished) return;
  ForgetLocked(slot);
  slot->finished = true;       // this Slot object is done; a fresh one takes over
  if (!slot->durable) return;  // it never existed durably: its start was refused
  std::shared_ptr<Slot> fresh = FindOrCreateLocked(slot->arn);
  for (Inbox& in : slot->inbox) fresh->inbox.push_back(std::move(in));
  slot->inbox.clear();
  ArmLocked(slot->arn, clock_->Now() + std::chrono::seconds(1));
}

// ---------------------------------------------------------------------------
// Cluster mode: executions moving between nodes

void Engine::Impl::DisownLocked(const std::shared_ptr<Slot>& slot, std::vector<Inbox>* unanswered,
                                std::vector<TaskCall>* released) {
  if (slot->disowned) return;
  slot->disowned = true;
  slot->broken = true;  // its queued commits are dropped, not written
  auto it = slots_.find(slot->arn);
  // A newer slot of the same execution (adopted again since) keeps its timer.
  if (it == slots_.end() || it->second == slot) armed_.erase(slot->arn);
  ForgetLocked(slot);
  slot->finished = true;
  ++moved_away_;
  for (Inbox& in : slot->inbox) {
    if (in.stop_done || in.update_done) unanswered->push_back(std::move(in));
  }
  slot->inbox.clear();
  if (!slot->running) ReleaseTasksLocked(*slot, released);
}

void Engine::Impl::ReleaseTasksLocked(Slot& slot, std::vector<TaskCall>* released) {
  pending_tasks_ -= std::min(pending_tasks_, slot.tasks.size());
  for (auto& [id, t] : slot.tasks) released->push_back(std::move(t.call));
  slot.tasks.clear();
}

void Engine::Impl::AfterDisown(const std::string& arn, std::vector<Inbox>& unanswered,
                               const std::vector<TaskCall>& released) {
  for (Inbox& in : unanswered) {
    if (in.stop_done) in.stop_done(MovedError(arn));
    if (in.update_done) in.update_done(MovedError(arn));
  }
  for (const TaskCall& call : released) tasks_->Release(call);
}

std::optional<TimePoint> Engine::Impl::StoredHeartbeat(const std::string& arn, int64_t task_id) {
  store::ActivityTaskFilter filter;
  filter.execution_arn = arn;
  filter.states = {store::ActivityTaskState::kStarted};
  store::PageRequest page{1000, ""};
  while (true) {
    StatusOr<store::Page<store::ActivityTaskRecord>> tasks =
        store_->ListActivityTasks(filter, page);
    if (!tasks.ok()) {
      log_->warn("cannot read the heartbeat of a task of {}: {}", arn, tasks.status().ToString());
      return std::nullopt;
    }
    for (const store::ActivityTaskRecord& t : tasks->items) {
      if (t.task_id != task_id) continue;
      if (!t.heartbeat_at_ms) return std::nullopt;
      return FromMillis(*t.heartbeat_at_ms);
    }
    if (tasks->next_token.empty()) return std::nullopt;
    page.next_token = std::move(tasks->next_token);
  }
}

// ---------------------------------------------------------------------------
// Lifecycle

Status Engine::Impl::Recover() {
  if (clustered_) {
    return FailedPreconditionError(
        "Recover: in cluster mode the store holds other nodes' executions too; "
        "ClusterMember::Start adopts this node's");
  }
  STEPD_ASSIGN_OR_RETURN(std::vector<store::RunningExecution> running,
                         store_->ListRunningExecutions());
  const TimePoint now = clock_->Now();
  size_t parked = 0;
  std::lock_guard lock(mu_);
  for (const store::RunningExecution& r : running) {
    // Tasks out: resume at once, so that they are dispatched again.
    if (r.tasks_pending == 0 && r.wake_at_ms && FromMillis(*r.wake_at_ms) > now) {
      ArmLocked(r.arn, FromMillis(*r.wake_at_ms));
      ++parked;
    } else {
      QueueLocked(FindOrCreateLocked(r.arn));
    }
  }
  log_->info("recovery: {} running executions ({} parked with a timer, {} resuming now)",
             running.size(), parked, running.size() - parked);
  return Status::OK();
}

void Engine::Impl::Adopt(const store::RunningExecution& execution) {
  std::lock_guard lock(mu_);
  AdoptLocked(execution);
}

void Engine::Impl::AdoptLocked(const store::RunningExecution& r) {
  if (stopping_) return;
  if (auto it = slots_.find(r.arn); it != slots_.end()) {
    // Not read yet: it will be. Read (or being read): it may be behind what
    // another node committed since (it was claimed away and back).
    Slot& slot = *it->second;
    if (slot.running || (slot.exec && !slot.finished)) {
      slot.verify = true;
      QueueLocked(it->second);
    }
    return;
  }
  // As Recover(); a timer armed here before is replaced (another node may
  // have moved the execution on since).
  if (r.tasks_pending == 0 && r.wake_at_ms && FromMillis(*r.wake_at_ms) > clock_->Now()) {
    ArmLocked(r.arn, FromMillis(*r.wake_at_ms));
  } else {
    QueueLocked(FindOrCreateLocked(r.arn));
  }
}

Status Engine::Impl::TakeOver(const std::string& arn) {
  if (!clustered_) return Status::OK();
  const std::string& self = options_.cluster.node_id;
  STEPD_ASSIGN_OR_RETURN(std::string owner, store_->GetExecutionOwner(arn));
  if (owner == self) return Status::OK();  // here already: in memory, queued or parked
  STEPD_ASSIGN_OR_RETURN(store::RunningExecution claimed, store_->ClaimExecution(arn, self));
  log_->info("took execution {} over from node '{}'", arn, owner);
  Adopt(claimed);
  return Status::OK();
}

void Engine::Impl::Start() {
  if (started_) return;
  started_ = true;
  int n = options_.workers;
  if (n <= 0) n = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  committer_ = std::thread([this] { CommitLoop(); });
  if (clustered_) watcher_ = std::thread([this] { ClusterLoop(); });
}

void Engine::Impl::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  watch_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  if (watcher_.joinable()) watcher_.join();
  {
    std::lock_guard lock(commit_mu_);
    commits_closing_ = true;
  }
  commit_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  // Executions that were queued or in memory resume from the store on the
  // next Recover(); answer whoever still waits on them.
  std::vector<Inbox> unanswered;
  {
    std::lock_guard lock(mu_);
    for (auto& [arn, slot] : slots_) {
      for (Inbox& in : slot->inbox) {
        if (in.stop_done || in.update_done) unanswered.push_back(std::move(in));
      }
      slot->inbox.clear();
    }
    ready_.clear();
  }
  for (Inbox& in : unanswered) {
    if (in.stop_done) in.stop_done(UnavailableError("StopExecution: stepd is stopping"));
    if (in.update_done) in.update_done(UnavailableError("UpdateMapRun: stepd is stopping"));
  }
  std::unordered_map<std::string, std::vector<std::shared_ptr<FinishWatcher>>> watchers;
  {
    std::lock_guard lock(mu_);
    watchers.swap(watchers_);
  }
  for (auto& [arn, list] : watchers) {
    for (auto& w : list) w->Fire(UnavailableError("stepd is stopping before '" + arn + "' ended"));
  }
}

void Engine::Impl::WhenFinished(const std::string& arn, std::function<void(Status)> done) {
  auto watcher = std::make_shared<FinishWatcher>(std::move(done));
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      watcher->Fire(UnavailableError("stepd is stopping"));
      return;
    }
    watchers_[arn].push_back(watcher);
  }
  // It may have ended before the watcher was in place.
  StatusOr<store::ExecutionRecord> stored = store_->GetExecution(arn);
  if (stored.ok() && stored->status == store::ExecutionStatus::kRunning) return;
  {
    std::lock_guard lock(mu_);
    auto it = watchers_.find(arn);
    if (it != watchers_.end()) {
      std::erase(it->second, watcher);
      if (it->second.empty()) watchers_.erase(it);
    }
  }
  watcher->Fire(stored.ok() ? Status::OK() : stored.status());
}

void Engine::Impl::ClusterLoop() {
  const auto poll_every = std::chrono::milliseconds(std::max(1, options_.cluster.poll_interval_ms));
  const auto check_every =
      std::chrono::milliseconds(std::max(1, options_.cluster.idle_check_interval_ms));
  auto next_check = SteadyClock::now() + check_every;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    watch_cv_.wait_for(lock, poll_every);
    if (stopping_) break;
    // Executions here fire their watchers when their end commits (Done);
    // they are read too, less often, in case another node took one over.
    const bool check = SteadyClock::now() >= next_check;
    if (check) next_check = SteadyClock::now() + check_every;
    std::vector<std::string> remote;
    for (const auto& [arn, list] : watchers_) {
      if (check || (!slots_.contains(arn) && !armed_.contains(arn))) remote.push_back(arn);
    }
    std::vector<std::shared_ptr<Slot>> idle;
    if (check) {
      for (const auto& [arn, slot] : slots_) {
        if (IdleLocked(*slot)) idle.push_back(slot);
      }
    }
    if (remote.empty() && idle.empty()) continue;
    lock.unlock();
    std::vector<std::pair<std::string, Status>> ended;
    for (const std::string& arn : remote) {
      StatusOr<store::ExecutionRecord> stored = store_->GetExecution(arn);
      if (stored.ok() && stored->status == store::ExecutionStatus::kRunning) continue;
      if (!stored.ok() && stored.status().code() != StatusCode::kNotFound) continue;  // next time
      ended.emplace_back(arn, stored.ok() ? Status::OK() : stored.status());
    }
    std::vector<std::pair<std::shared_ptr<FinishWatcher>, Status>> fire;
    {
      std::lock_guard relock(mu_);
      for (auto& [arn, status] : ended) {
        auto it = watchers_.find(arn);
        if (it == watchers_.end()) continue;
        for (auto& w : it->second) fire.emplace_back(std::move(w), status);
        watchers_.erase(it);
      }
    }
    for (auto& [w, status] : fire) w->Fire(status);
    for (const std::shared_ptr<Slot>& slot : idle) {
      StatusOr<std::string> owner = store_->GetExecutionOwner(slot->arn);
      if (!owner.ok() || owner->empty() || *owner == options_.cluster.node_id) continue;
      std::vector<Inbox> unanswered;
      std::vector<TaskCall> released;
      {
        std::lock_guard relock(mu_);
        auto it = slots_.find(slot->arn);
        if (it == slots_.end() || it->second != slot || !IdleLocked(*slot)) continue;
        DisownLocked(slot, &unanswered, &released);
      }
      log_->info("execution {} moved to node '{}'", slot->arn, *owner);
      AfterDisown(slot->arn, unanswered, released);
    }
    lock.lock();
  }
}

bool Engine::Impl::IdleLocked(const Slot& slot) const {
  // `exec` is the worker's while it runs the slot.
  return !slot.running && !slot.queued && !slot.finished && slot.inflight == 0 &&
         slot.inbox.empty() && slot.exec;
}

// ---------------------------------------------------------------------------
// Starting and stopping executions

void Engine::Impl::StartExecution(StartRequest request,
                                  std::function<void(StatusOr<StartResult>)> done) {
  if (request.input.empty()) request.input = "{}";
  if (request.principal.empty()) request.principal = "anonymous";
  StatusOr<Json> input = ParseJson(request.input);
  if (!input.ok()) {
    return done(InvalidArgumentError("Invalid State Machine Execution Input: '" +
                                     std::string(input.status().message()) + "'"));
  }
  if (options_.max_payload_bytes > 0 && request.input.size() > options_.max_payload_bytes) {
    return done(InvalidArgumentError("input: the execution input is " +
                                     std::to_string(request.input.size()) + " bytes; at most " +
                                     std::to_string(options_.max_payload_bytes) + " are allowed"));
  }
  StatusOr<MachineInfo> machine_info = CurrentMachine(request.state_machine_arn);
  if (!machine_info.ok()) return done(machine_info.status());
  const store::StateMachineRecord* machine_record = &machine_info->record;
  if (machine_record->status == store::StateMachineStatus::kDeleting) {
    return done(FailedPreconditionError("state machine '" + request.state_machine_arn +
                                        "' is being deleted"));
  }
  const std::shared_ptr<const asl::StateMachine>* machine = &machine_info->compiled;
  std::string revision_id = machine_record->revision_id;
  std::string role_arn = machine_record->role_arn;
  std::shared_ptr<const asl::StateMachine> version_machine;
  if (request.version > 0) {
    StatusOr<std::shared_ptr<const asl::StateMachine>> compiled =
        MachineAt(machine_record->arn, request.version_revision_id, machine_record->type);
    if (!compiled.ok()) return done(compiled.status());
    version_machine = std::move(compiled).value();
    machine = &version_machine;
    revision_id = request.version_revision_id;
    role_arn = request.version_role_arn;
  }
  // A generated name orders by time, so that the execution indexes grow
  // at their end (a random one dirties a random page of each per start).
  if (request.name.empty()) request.name = TimeOrderedUuid();
  const bool express = machine_record->type == store::StateMachineType::kExpress;
  // EXPRESS: names may repeat (no idempotency); each start is its own
  // execution, "...:express:<machine>:<name>:<uuid>" as on AWS.
  const std::string display_name = request.name;
  if (express) request.name += ":" + RandomUuid();  // the stored name, unique
  const std::string arn = ExecutionArnFor(machine_record->arn, request.name, express);

  // The name is checked here against executions in memory, and by the store
  // when the start commits (Fail then answers an idempotent repeat). A start
  // answered at once is answered once mu_ is released: `done` may call the
  // engine again (a nested execution's task waits for the one it gets).
  std::shared_ptr<Slot> slot;
  bool confirm_running = false;  // an idempotent repeat, if the store agrees
  std::optional<StatusOr<StartResult>> answered_now =
      [&]() -> std::optional<StatusOr<StartResult>> {
    std::lock_guard lock(mu_);
    if (stopping_) return UnavailableError("StartExecution: stepd is stopping");
    auto it = slots_.find(arn);
    // A start refused before (never durable) keeps its slot until its
    // worker lets go of it: that is no execution.
    if (it != slots_.end() && it->second->broken && !it->second->durable) {
      slots_.erase(it);
      it = slots_.end();
    }
    if (it != slots_.end() && it->second->known) {
      const Slot& existing = *it->second;
      if (existing.durable && !existing.finished &&
          machine_record->type == store::StateMachineType::kStandard &&
          SameJson(existing.known_input, *input)) {
        confirm_running = true;
        return StartResult{arn, existing.known_start_ms, true};
      }
      return AlreadyExistsError("Execution Already Exists: '" + arn + "'");
    }
    if (ready_.size() >= options_.ready_queue_capacity) {
      return ResourceExhaustedError("StartExecution: " + std::to_string(ready_.size()) +
                                    " executions are waiting to run; try again later");
    }
    slot = std::make_shared<Slot>(arn);
    slot->running = true;  // reserved: nobody else touches it until released
    slot->express = machine_record->type == store::StateMachineType::kExpress;
    // An execution known by its ARN only (parked, or resuming after a
    // restart) keeps its place; this start's commit will find the name taken.
    // So does one parked out of memory, known by its timer only: its timer
    // must wake it, not this start's slot (whose commit fails).
    if (it == slots_.end() && !armed_.contains(arn)) slots_.emplace(arn, slot);
    return std::nullopt;
  }();
  if (confirm_running) {
    // The slot learns that its execution finished only after the finish is
    // committed: a caller who already saw it finished must be refused.
    StatusOr<store::ExecutionRecord> existing = store_->GetExecution(arn);
    if (existing.ok() && existing->status != store::ExecutionStatus::kRunning) {
      answered_now = AlreadyExistsError("Execution Already Exists: '" + arn + "'");
    }
  }
  if (answered_now) return done(std::move(*answered_now));

  const TimePoint now = clock_->Now();
  asl::ExecutionInfo info;
  info.execution_arn = arn;
  info.name = display_name;
  info.role_arn = role_arn;
  info.state_machine_arn = machine_record->arn;
  info.state_machine_name = machine_record->name;
  info.start_time = now;
  slot->machine = *machine;
  slot->machine_arn = machine_record->arn;
  slot->store_revision = revision_id;
  slot->started_by = request.principal;
  slot->input_text = request.input;
  slot->start_time_ms = ToMillis(now);
  // A start refused after its slot was reserved lets go of it first.
  auto refuse = [this, &slot, &done](Status status) {
    {
      std::lock_guard lock(mu_);
      slot->running = false;
      slot->finished = true;
      ForgetLocked(slot);
    }
    done(std::move(status));
  };
  if (request.start_state.empty()) {
    slot->exec =
        asl::Execution::Start(slot->machine, info, std::move(input).value(), now, exec_options_);
  } else {
    asl::StartPoint point;
    point.state = request.start_state;
    if (!request.start_variables_json.empty()) {
      StatusOr<Json> variables = ParseJson(request.start_variables_json);
      if (!variables.ok()) {
        return refuse(InvalidArgumentError("restart: the variables are not JSON: " +
                                           std::string(variables.status().message())));
      }
      point.variables = std::move(variables).value();
    }
    StatusOr<std::unique_ptr<asl::Execution>> started = asl::Execution::StartAt(
        slot->machine, info, std::move(input).value(), now, point, exec_options_);
    if (!started.ok()) return refuse(started.status());
    slot->exec = std::move(started).value();
  }

  store::ExecutionRecord record;
  record.arn = arn;
  record.state_machine_arn = machine_record->arn;
  record.name = request.name;
  record.state_machine_revision_id = revision_id;
  record.state_machine_version = request.version;
  record.state_machine_alias = request.alias;
  record.status = store::ExecutionStatus::kRunning;
  record.input = request.input;
  record.start_time_ms = slot->start_time_ms;
  record.attributes_json = request.attributes_json;
  record.started_by = request.principal;
  record.started_by_execution_arn = request.started_by_execution_arn;
  record.restarted_from = request.restarted_from;

  CommitItem item;
  item.slot = slot;
  item.start_done = std::move(done);
  item.start_result = StartResult{arn, slot->start_time_ms, false};
  store::Transition t;
  t.execution_arn = arn;
  t.create = std::move(record);
  t.updated_at_ms = slot->start_time_ms;
  std::string start_state;
  if (!slot->machine->root.states.empty()) {
    start_state = slot->machine->root.state(slot->machine->root.start).name;
  }
  for (asl::HistoryEvent& e : slot->exec->TakeEvents()) {
    t.audit.push_back(
        internal::TransitionAudit(e, arn, slot->started_by, start_state, request.origin_json));
    t.events.push_back(internal::ToRecord(std::move(e)));
  }
  // No snapshot: an execution that never got further than ExecutionStarted
  // is started again from its input on recovery (Load). A restart's start
  // point lives only in its snapshot, so that one is written at once.
  if (!request.start_state.empty()) {
    std::string snapshot;
    AppendJsonText(slot->exec->Snapshot(), &snapshot);
    t.update.snapshot = std::move(snapshot);
  }
  internal::SealEvents(t);
  item.group.push_back(std::move(t));

  std::lock_guard lock(mu_);
  slot->known = true;
  slot->known_input = slot->input_text;
  slot->known_start_ms = slot->start_time_ms;
  slot->running = false;
  SubmitLocked(std::move(item));
  QueueLocked(slot);
}

void Engine::Impl::StopExecution(StopRequest request,
                                 std::function<void(StatusOr<StopResult>)> done) {
  StatusOr<store::ExecutionRecord> stored = store_->GetExecution(request.execution_arn);
  // What the store says is final: a finished execution stays finished.
  if (stored.ok() && stored->status != store::ExecutionStatus::kRunning) {
    return done(
        FailedPreconditionError("execution '" + request.execution_arn + "' is not running"));
  }
  if (clustered_ && stored.ok()) {
    if (Status taken = TakeOver(request.execution_arn); !taken.ok()) {
      // FAILED_PRECONDITION: it ended since it was read.
      return done(
          taken.code() == StatusCode::kFailedPrecondition
              ? FailedPreconditionError("execution '" + request.execution_arn + "' is not running")
              : taken);
    }
  }
  std::lock_guard lock(mu_);
  if (stopping_) return done(UnavailableError("StopExecution: stepd is stopping"));
  auto it = slots_.find(request.execution_arn);
  if (it == slots_.end() && !stored.ok()) return done(stored.status());
  std::shared_ptr<Slot> slot = FindOrCreateLocked(request.execution_arn);
  Inbox in;
  in.stop = std::move(request);
  in.stop_done = std::move(done);
  slot->inbox.push_back(std::move(in));
  QueueLocked(slot);
}

void Engine::Impl::RedriveExecution(RedriveRequest request,
                                    std::function<void(StatusOr<RedriveResult>)> done) {
  const std::string& arn = request.execution_arn;
  StatusOr<store::ExecutionRecord> stored = store_->GetExecution(arn);
  if (!stored.ok()) return done(stored.status());
  if (stored->status == store::ExecutionStatus::kRunning ||
      stored->status == store::ExecutionStatus::kSucceeded) {
    return done(FailedPreconditionError("Execution is " +
                                        std::string(store::ExecutionStatusName(stored->status)) +
                                        " and cannot be redriven"));
  }
  // Its ExecutionRedriven event must fit, and a state after it.
  if (options_.history_limit > 0 && stored->last_event_id + 2 > options_.history_limit) {
    return done(FailedPreconditionError("Execution history event limit exceeded."));
  }
  if (stored->snapshot.empty()) {
    return done(FailedPreconditionError(
        "Execution cannot be redriven: it ended before this server kept redrive points"));
  }
  // Cluster mode: only its owner may write it, and a finished execution
  // cannot be claimed (Store::ClaimExecution takes RUNNING ones): when
  // another node owns it, the commit says so and the caller hears
  // UNAVAILABLE naming that node.
  auto slot = std::make_shared<Slot>(arn);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(UnavailableError("RedriveExecution: stepd is stopping"));
    auto it = slots_.find(arn);
    // A finished slot whose last commit is being answered may linger; any
    // other is this execution running again (a redrive just before this).
    if (it != slots_.end() && !it->second->finished && !it->second->ending) {
      return done(FailedPreconditionError("Execution is RUNNING and cannot be redriven"));
    }
    slot->running = true;  // reserved: nobody else touches it until released
    slots_[arn] = slot;
  }
  std::vector<TaskCall> redispatch;
  Status loaded = LoadRecord(*slot, std::move(stored).value(), &redispatch);
  const TimePoint now = clock_->Now();
  if (loaded.ok()) loaded = slot->exec->Redrive(now);
  if (!loaded.ok()) {
    {
      std::lock_guard lock(mu_);
      slot->running = false;
      slot->finished = true;
      ForgetLocked(slot);
    }
    return done(loaded);
  }
  CommitItem item;
  item.slot = slot;
  item.redrive_done = std::move(done);
  item.redrive_result = RedriveResult{ToMillis(now)};
  asl::StepResult last;
  last.kind = asl::StepResult::Kind::kProgress;
  BuildCommit(*slot, last, now, request.principal, request.origin_json, &item);
  std::lock_guard lock(mu_);
  slot->known = true;
  slot->known_input = slot->input_text;
  slot->known_start_ms = slot->start_time_ms;
  slot->running = false;
  pending_tasks_ += item.dispatch.size();
  SubmitLocked(std::move(item));
  QueueLocked(slot);
}

void Engine::Impl::UpdateMapRun(MapRunUpdate update, std::function<void(Status)> done) {
  StatusOr<store::ExecutionRecord> stored = store_->GetExecution(update.execution_arn);
  if (!stored.ok()) return done(stored.status());
  if (stored->status != store::ExecutionStatus::kRunning) {
    return done(
        NotFoundError("UpdateMapRun: execution '" + update.execution_arn + "' is not running"));
  }
  if (clustered_) {
    if (Status taken = TakeOver(update.execution_arn); !taken.ok()) {
      return done(taken.code() == StatusCode::kFailedPrecondition
                      ? NotFoundError("UpdateMapRun: execution '" + update.execution_arn +
                                      "' is not running")
                      : taken);
    }
  }
  std::lock_guard lock(mu_);
  if (stopping_) return done(UnavailableError("UpdateMapRun: stepd is stopping"));
  std::shared_ptr<Slot> slot = FindOrCreateLocked(update.execution_arn);
  Inbox in;
  in.map_run_update = std::move(update);
  in.update_done = std::move(done);
  slot->inbox.push_back(std::move(in));
  QueueLocked(slot);
}

void Engine::Impl::Notify(const std::string& arn, Inbox in) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(arn);
  if (it == slots_.end() || stopping_) return;
  it->second->inbox.push_back(std::move(in));
  QueueLocked(it->second);
}

void Engine::Impl::CompleteTask(const std::string& arn, int64_t task_id,
                                asl::AslResult<Json> result) {
  Inbox in;
  in.task_id = task_id;
  in.result = std::move(result);
  Notify(arn, std::move(in));  // dropped: no longer awaited, or resumed after a restart
}

EngineStats Engine::Impl::Stats() const {
  EngineStats s;
  {
    std::lock_guard lock(mu_);
    s.ready = ready_.size();
    s.in_memory = slots_.size();
    s.timers = armed_.size();
    s.pending_tasks = pending_tasks_;
    s.moved_away = moved_away_;
  }
  std::lock_guard lock(commit_mu_);
  s.commits = commit_count_;
  s.committed_groups = committed_groups_;
  s.commit_seconds = commit_seconds_;
  return s;
}

// ---------------------------------------------------------------------------
// Workers

// Timers need no thread of their own: a due timer only queues work for a
// worker, so while every worker is busy it could not run sooner anyway. One
// idle worker at a time (the timekeeper) sleeps until the earliest timer is
// due; the other idle ones until work arrives.
void Engine::Impl::WorkerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    FireDueTimersLocked(clock_->Now());
    if (!ready_.empty()) {
      std::shared_ptr<Slot> slot = std::move(ready_.front());
      ready_.pop_front();
      slot->queued = false;
      if (slot->finished || slot->running) continue;
      slot->running = true;
      // Busy from now: another idle worker (if any) keeps time.
      if (!timekeeper_ && !timers_.empty()) work_cv_.notify_one();
      lock.unlock();
      RunSlice(slot);
      lock.lock();
      continue;
    }
    if (timekeeper_ || timers_.empty()) {
      work_cv_.wait(lock);
      continue;
    }
    timekeeper_ = true;
    // Bounded: the clock may be a FakeClock moved by a test.
    const Duration wait = std::min<Duration>(timers_.top().due - clock_->Now(),
                                             std::chrono::milliseconds(20));
    if (wait > Duration::zero()) work_cv_.wait_for(lock, wait);
    timekeeper_ = false;
  }
}

Status Engine::Impl::Load(Slot& slot, std::vector<TaskCall>* redispatch) {
  STEPD_ASSIGN_OR_RETURN(store::ExecutionRecord record, store_->GetExecution(slot.arn));
  if (record.status != store::ExecutionStatus::kRunning) {
    return FailedPreconditionError("execution '" + slot.arn + "' is not running");
  }
  if (clustered_) {
    // A timer armed before another node took it over; or a takeover lost
    // to a later one.
    STEPD_ASSIGN_OR_RETURN(std::string owner, store_->GetExecutionOwner(slot.arn));
    if (owner != options_.cluster.node_id) {
      return AbortedError("execution '" + slot.arn + "' is owned by node '" + owner + "'");
    }
  }
  return LoadRecord(slot, std::move(record), redispatch);
}

Status Engine::Impl::LoadRecord(Slot& slot, store::ExecutionRecord record,
                                std::vector<TaskCall>* redispatch) {
  STEPD_ASSIGN_OR_RETURN(store::StateMachineRecord machine_record,
                         store_->GetStateMachine(record.state_machine_arn));
  STEPD_ASSIGN_OR_RETURN(std::string definition,
                         store_->GetStateMachineDefinition(record.state_machine_arn,
                                                           record.state_machine_revision_id));
  STEPD_ASSIGN_OR_RETURN(
      slot.machine, Machine(record.state_machine_arn, record.state_machine_revision_id, definition,
                            machine_record.type));
  if (record.snapshot.empty()) {
    // Durable up to ExecutionStarted only: begin again from the input, at
    // the recorded start time ($$.Execution.StartTime stays), without
    // recording ExecutionStarted twice.
    if (record.last_event_id != 1) {
      return DataLossError("execution '" + slot.arn + "' has " +
                           std::to_string(record.last_event_id) + " events but no snapshot");
    }
    StatusOr<Json> input = ParseJson(record.input);
    if (!input.ok()) return DataLossError("input of '" + slot.arn + "' is not JSON");
    asl::ExecutionInfo info;
    info.execution_arn = record.arn;
    info.name = record.name.substr(0, record.name.find(':'));  // EXPRESS: "<name>:<uuid>"
    info.role_arn = machine_record.role_arn;
    if (record.state_machine_version > 0) {
      auto version =
          store_->GetStateMachineVersion(machine_record.arn, record.state_machine_version);
      if (version.ok()) info.role_arn = version->role_arn;
    }
    info.state_machine_arn = machine_record.arn;
    info.state_machine_name = machine_record.name;
    info.start_time = FromMillis(record.start_time_ms);
    slot.exec = asl::Execution::Start(slot.machine, std::move(info), std::move(input).value(),
                                      FromMillis(record.start_time_ms), exec_options_);
    (void)slot.exec->TakeEvents();
  } else {
    StatusOr<Json> snapshot = ParseJson(record.snapshot);
    if (!snapshot.ok()) return DataLossError("snapshot of '" + slot.arn + "' is not JSON");
    STEPD_ASSIGN_OR_RETURN(slot.exec,
                           asl::Execution::Restore(slot.machine, *snapshot, exec_options_));
  }
  slot.machine_arn = record.state_machine_arn;
  slot.store_revision = record.state_machine_revision_id;
  slot.started_by = record.started_by;
  slot.input_text = record.input;
  slot.start_time_ms = record.start_time_ms;
  slot.tasks.clear();
  for (const asl::TaskRequest& t : slot.exec->PendingTasks()) Track(slot, t, redispatch, true);
  slot.child_arns.clear();
  for (const asl::ChildExecutionStart& c : slot.exec->LiveChildExecutions()) {
    slot.child_arns[c.id] = c.info.execution_arn;
  }
  return Status::OK();
}

void Engine::Impl::Track(Slot& slot, const asl::TaskRequest& request,
                         std::vector<TaskCall>* dispatch, bool restored) {
  TrackedTask t;
  t.call.execution_arn = slot.arn;
  t.call.request = request;
  t.call.idempotency_token = TaskIdempotencyToken(slot.arn, request.task_id);
  if (request.timeout_seconds) {
    t.deadline = request.scheduled_at + std::chrono::seconds(*request.timeout_seconds);
  }
  // An activity's heartbeats count from when a worker takes it
  // (TaskStarted); other tasks' from their scheduling. After a restart a
  // task gets a full heartbeat period from now.
  if (request.heartbeat_seconds && !IsActivityArn(request.resource)) {
    t.heartbeat_deadline =
        std::max(request.scheduled_at, restored ? clock_->Now() : request.scheduled_at) +
        std::chrono::seconds(*request.heartbeat_seconds);
  }
  dispatch->push_back(t.call);
  slot.tasks[request.task_id] = std::move(t);
}

std::optional<TimePoint> Engine::Impl::WakeAt(const Slot& slot, const asl::StepResult& last) const {
  std::optional<TimePoint> wake = last.wake_at;
  auto consider = [&](const std::optional<TimePoint>& t) {
    if (t && (!wake || *t < *wake)) wake = t;
  };
  for (const auto& [id, t] : slot.tasks) {
    consider(t.deadline);
    consider(t.heartbeat_deadline);
  }
  consider(asl::ExecutionDeadline(*slot.exec));
  return wake;
}

void Engine::Impl::RunSlice(const std::shared_ptr<Slot>& slot) {
  ScopedLogContext scope(LogContext::OfExecution(slot->arn));
  std::vector<Inbox> inbox;
  bool verify = false;
  {
    std::lock_guard lock(mu_);
    inbox.swap(slot->inbox);
    if (slot->verify && slot->inflight == 0) {
      verify = true;
      slot->verify = false;
    }
  }
  if (verify && slot->exec) {
    // Adopted while in memory: another node may have run it meanwhile.
    StatusOr<store::ExecutionRecord> stored = store_->GetExecution(slot->arn);
    if (!stored.ok() || stored->status != store::ExecutionStatus::kRunning ||
        stored->last_event_id != slot->exec->last_event_id()) {
      std::lock_guard lock(mu_);
      pending_tasks_ -= std::min(pending_tasks_, slot->tasks.size());
      slot->tasks.clear();
      slot->exec.reset();  // read back below
    }
  }
  CommitItem item;
  item.slot = slot;
  std::vector<TaskCall> redispatch;
  if (!slot->exec) {
    Status loaded = Load(*slot, &redispatch);
    if (!loaded.ok() && clustered_ && loaded.code() == StatusCode::kAborted) {
      std::vector<TaskCall> released;
      {
        std::lock_guard lock(mu_);
        slot->running = false;
        for (Inbox& in : inbox) slot->inbox.push_back(std::move(in));
        inbox.clear();
        DisownLocked(slot, &inbox, &released);
      }
      AfterDisown(slot->arn, inbox, released);
      return;
    }
    if (!loaded.ok()) {
      const bool gone = loaded.code() == StatusCode::kNotFound ||
                        loaded.code() == StatusCode::kFailedPrecondition;
      if (!gone) log_->error("cannot resume execution {}: {}", slot->arn, loaded.ToString());
      {
        std::lock_guard lock(mu_);
        slot->running = false;
        ForgetLocked(slot);
        slot->finished = true;
        if (!gone) ArmLocked(slot->arn, clock_->Now() + std::chrono::seconds(5));
        for (Inbox& in : slot->inbox) inbox.push_back(std::move(in));
        slot->inbox.clear();
      }
      for (Inbox& in : inbox) {
        if (in.stop_done) {
          in.stop_done(gone
                           ? FailedPreconditionError("execution '" + slot->arn + "' is not running")
                           : loaded);
        }
      }
      return;
    }
    std::lock_guard lock(mu_);
    pending_tasks_ += redispatch.size();
    slot->known = true;
    slot->known_input = slot->input_text;
    slot->known_start_ms = slot->start_time_ms;
  }
  // Tasks whose scheduling is durable but whose result is not: again, with
  // the same idempotency token.
  if (!redispatch.empty()) Dispatch(slot->arn, std::move(redispatch));

  asl::Execution& exec = *slot->exec;
  TimePoint now = clock_->Now();
  std::string end_actor = slot->started_by;
  std::string end_origin;
  for (Inbox& in : inbox) {
    if (in.map_run_update) {
      const MapRunUpdate& u = *in.map_run_update;
      Status applied =
          exec.status() == asl::ExecutionStatus::kRunning
              ? exec.UpdateMapRun(u.map_run_arn, u.max_concurrency, u.tolerated_failure_count,
                                  u.tolerated_failure_percentage, now)
              : NotFoundError("UpdateMapRun: execution '" + slot->arn + "' is not running");
      if (applied.ok()) {
        item.updates.push_back(std::move(in.update_done));
      } else {
        in.update_done(applied);
      }
      continue;
    }
    if (in.stop) {
      if (exec.status() == asl::ExecutionStatus::kRunning) {
        exec.Stop(asl::ExecutionStatus::kAborted, in.stop->error, in.stop->cause, now);
        end_actor = in.stop->principal;
        end_origin = in.stop->origin_json;
        item.stops.emplace_back(std::move(in.stop_done), StopResult{ToMillis(now)});
      } else {
        in.stop_done(FailedPreconditionError("execution '" + slot->arn + "' is not running"));
      }
      continue;
    }
    auto tracked = slot->tasks.find(in.task_id);
    if (tracked == slot->tasks.end()) continue;  // answered already, or timed out
    const std::optional<int64_t> heartbeat_seconds = tracked->second.call.request.heartbeat_seconds;
    if (in.submitted) {
      (void)exec.MarkTaskSubmitted(in.task_id, *in.submitted, now);
      continue;
    }
    if (in.started_by || in.heartbeat) {
      if (in.started_by) (void)exec.MarkTaskStarted(in.task_id, *in.started_by, now);
      if (heartbeat_seconds) {
        tracked->second.heartbeat_deadline = now + std::chrono::seconds(*heartbeat_seconds);
      }
      continue;
    }
    slot->tasks.erase(tracked);
    {
      std::lock_guard lock(mu_);
      --pending_tasks_;
    }
    (void)exec.CompleteTask(in.task_id, std::move(*in.result), now);
  }
  // Deadlines of the tasks still out.
  for (auto it = slot->tasks.begin(); it != slot->tasks.end();) {
    TrackedTask& t = it->second;
    const bool timeout = t.deadline && *t.deadline <= now;
    const bool heartbeat = t.heartbeat_deadline && *t.heartbeat_deadline <= now;
    if (!timeout && heartbeat && clustered_ && t.call.request.heartbeat_seconds) {
      // The worker may have reported to another node.
      if (std::optional<TimePoint> beat = StoredHeartbeat(slot->arn, it->first)) {
        const TimePoint renewed = *beat + std::chrono::seconds(*t.call.request.heartbeat_seconds);
        if (renewed > now) {
          t.heartbeat_deadline = renewed;
          ++it;
          continue;
        }
      }
    }
    if (!timeout && !heartbeat) {
      ++it;
      continue;
    }
    item.cancel.push_back(t.call);
    (void)exec.CompleteTask(
        it->first,
        asl::AslError::Of(
            timeout ? asl::StatesError::kTimeout : asl::StatesError::kHeartbeatTimeout, ""),
        now);
    it = slot->tasks.erase(it);
    std::lock_guard lock(mu_);
    --pending_tasks_;
  }
  if (asl::EnforceExecutionTimeout(exec, now)) {
    end_actor = "stepd";
    end_origin.clear();
  }

  asl::StepResult last;
  last.kind = asl::StepResult::Kind::kBlocked;
  const auto started = SteadyClock::now();
  for (int steps = 0; exec.status() == asl::ExecutionStatus::kRunning; ++steps) {
    if (steps >= options_.slice_max_steps) {
      last.kind = asl::StepResult::Kind::kProgress;
      break;
    }
    if ((steps & 31) == 31) {
      now = clock_->Now();
      if (SteadyClock::now() - started > options_.slice_max_time) {
        last.kind = asl::StepResult::Kind::kProgress;
        break;
      }
    }
    last = exec.Step(now);
    if (asl::EnforceHistoryLimit(exec, options_.history_limit, now)) {
      end_actor = "stepd";
      end_origin.clear();
    }
    if (last.kind != asl::StepResult::Kind::kProgress) break;
  }
  if (exec.status() != asl::ExecutionStatus::kRunning) last.kind = asl::StepResult::Kind::kFinished;

  BuildCommit(*slot, last, now, end_actor, end_origin, &item);
  const bool has_commit = !item.group.empty();

  // Deadlines moved without a commit (a heartbeat) still need their timer.
  std::optional<TimePoint> wake;
  if (!has_commit && exec.status() == asl::ExecutionStatus::kRunning) wake = WakeAt(*slot, last);
  std::unique_lock lock(mu_);
  slot->running = false;
  pending_tasks_ += item.dispatch.size();
  if (slot->disowned) {
    // Another node took it over during this slice: nothing of it is kept.
    std::vector<Inbox> unanswered;
    std::vector<TaskCall> released;
    ReleaseTasksLocked(*slot, &released);
    for (auto& [stop_done, result] : item.stops) {
      Inbox in;
      in.stop_done = std::move(stop_done);
      unanswered.push_back(std::move(in));
    }
    for (auto& update_done : item.updates) {
      Inbox in;
      in.update_done = std::move(update_done);
      unanswered.push_back(std::move(in));
    }
    lock.unlock();
    AfterDisown(slot->arn, unanswered, released);
    return;
  }
  if (has_commit) {
    SubmitLocked(std::move(item));
  } else {
    for (auto& [stop_done, result] : item.stops) stop_done(result);
    for (auto& update_done : item.updates) update_done(Status::OK());
    if (wake) ArmLocked(slot->arn, *wake);
  }
  if (slot->broken) {
    MaybeResetLocked(slot);
    return;
  }
  if (exec.status() == asl::ExecutionStatus::kRunning &&
      (last.kind == asl::StepResult::Kind::kProgress || !slot->inbox.empty() ||
       (slot->verify && slot->inflight == 0))) {
    QueueLocked(slot);
  }
}

void Engine::Impl::BuildCommit(Slot& slot, asl::StepResult last, TimePoint now,
                               const std::string& end_actor, const std::string& end_origin,
                               CommitItem* item) {
  BuildGroup(slot, last, now, end_actor, end_origin, item);
  for (store::Transition& t : item->group) {
    internal::SealEvents(t);
    for (const TaskCall& call : item->cancel) {
      if (call.execution_arn == t.execution_arn) t.closed_tasks.push_back(call.request.task_id);
    }
  }
}

void Engine::Impl::BuildGroup(Slot& slot, asl::StepResult last, TimePoint now,
                              const std::string& end_actor, const std::string& end_origin,
                              CommitItem* item) {
  asl::Execution& exec = *slot.exec;
  std::vector<asl::HistoryEvent> events = exec.TakeEvents();
  std::vector<asl::ChildExecutionStart> children = exec.TakeChildExecutions();
  for (const asl::TaskRequest& request : exec.TakeTaskRequests()) {
    Track(slot, request, &item->dispatch);
  }
  for (const asl::ChildExecutionStart& c : children) slot.child_arns[c.id] = c.info.execution_arn;
  // Map Runs go with the execution whose Map state runs them (resolved
  // now: a child ending in this slice leaves child_arns below).
  std::vector<store::MapRunRecord> map_runs;
  for (asl::MapRunInfo& run : exec.TakeMapRunChanges()) {
    std::string owner = slot.arn;
    if (run.child_execution != 0) {
      auto known = slot.child_arns.find(run.child_execution);
      if (known == slot.child_arns.end()) continue;
      owner = known->second;
    }
    map_runs.push_back(internal::ToMapRunRecord(run, owner));
  }
  const bool finished = exec.status() != asl::ExecutionStatus::kRunning;
  if (events.empty() && !finished && map_runs.empty()) return;

  const int64_t now_ms = ToMillis(now);
  store::TransitionGroup& group = item->group;
  group.emplace_back();
  group[0].execution_arn = slot.arn;
  group[0].updated_at_ms = now_ms;
  // Child executions started in this slice: created before their events.
  std::unordered_map<int64_t, size_t> child_index;
  for (asl::ChildExecutionStart& c : children) {
    if (c.redriven) continue;  // exists; its ExecutionRedriven event reopens it
    store::Transition t;
    t.execution_arn = c.info.execution_arn;
    t.updated_at_ms = now_ms;
    store::ExecutionRecord r;
    r.arn = c.info.execution_arn;
    r.state_machine_arn = slot.machine_arn;
    r.name = c.info.name;
    r.state_machine_revision_id = slot.store_revision;
    r.status = store::ExecutionStatus::kRunning;
    r.input = c.input.dump(-1, ' ', false, Json::error_handler_t::replace);
    r.start_time_ms = ToMillis(c.info.start_time);
    r.started_by = slot.started_by;
    r.parent_arn = slot.arn;
    r.map_run_arn = c.map_run_arn;
    t.create = std::move(r);
    child_index[c.id] = group.size();
    group.push_back(std::move(t));
  }
  // Only child executions start in a slice; their first state is not named.
  const std::string_view start_state;
  for (asl::HistoryEvent& e : events) {
    store::Transition* t = &group[0];
    const std::string* target = &slot.arn;
    if (e.child_execution != 0) {
      auto known = slot.child_arns.find(e.child_execution);
      if (known == slot.child_arns.end()) continue;  // cannot happen: children start first
      target = &known->second;
      auto at = child_index.find(e.child_execution);
      if (at == child_index.end()) {
        at = child_index.emplace(e.child_execution, group.size()).first;
        store::Transition child;
        child.execution_arn = *target;
        child.updated_at_ms = now_ms;
        group.push_back(std::move(child));
      }
      t = &group[at->second];
    }
    if (internal::IsTransition(e)) {
      const bool redriven = e.type == "ExecutionRedriven";
      const bool end =
          !redriven && e.type != "ExecutionStarted" && !e.type.ends_with("StateEntered");
      t->audit.push_back(internal::TransitionAudit(
          e, *target, (end || redriven) && e.child_execution == 0 ? end_actor : slot.started_by,
          start_state,
          (end || redriven) && e.child_execution == 0 ? std::string_view(end_origin)
                                                      : std::string_view()));
      if (redriven) internal::ApplyExecutionRedrive(e, &t->update);
      if (end && e.child_execution != 0) {
        internal::ApplyExecutionEnd(e, &t->update);
        slot.child_arns.erase(e.child_execution);
      }
    }
    t->events.push_back(internal::ToRecord(std::move(e)));
  }
  for (store::MapRunRecord& run : map_runs) {
    size_t at = 0;
    while (at < group.size() && group[at].execution_arn != run.execution_arn) ++at;
    if (at == group.size()) {
      store::Transition t;
      t.execution_arn = run.execution_arn;
      t.updated_at_ms = now_ms;
      group.push_back(std::move(t));
    }
    group[at].map_runs.push_back(std::move(run));
  }
  store::ExecutionUpdate& u = group[0].update;
  if (finished) {
    u.status = internal::ToStoreStatus(exec.status());
    u.stop_time_ms = now_ms;
    if (exec.status() == asl::ExecutionStatus::kSucceeded) {
      std::string output;
      AppendJsonText(exec.output(), &output);
      u.output = std::move(output);
    } else {
      if (!exec.error().error.empty()) u.error = exec.error().error;
      if (!exec.error().cause.empty()) u.cause = exec.error().cause;
    }
    // An unsuccessful STANDARD execution keeps its state: a redrive
    // resumes from it.
    u.snapshot = std::string();
    if (exec.status() != asl::ExecutionStatus::kSucceeded && !slot.express) {
      AppendJsonText(exec.Snapshot(), &*u.snapshot);
    }
    u.wake_at_ms = std::optional<int64_t>();
    u.tasks_pending = 0;
    for (auto& [id, t] : slot.tasks) item->cancel.push_back(t.call);
    {
      std::lock_guard lock(mu_);
      pending_tasks_ -= slot.tasks.size();
    }
    slot.tasks.clear();
    item->finished = true;
    return;
  }
  std::string snapshot;
  AppendJsonText(exec.Snapshot(), &snapshot);
  u.snapshot = std::move(snapshot);
  u.tasks_pending = static_cast<int>(slot.tasks.size());
  item->wake_at = WakeAt(slot, last);
  u.wake_at_ms =
      item->wake_at ? std::optional<int64_t>(ToMillis(*item->wake_at)) : std::optional<int64_t>();
  item->evictable = last.kind == asl::StepResult::Kind::kBlocked && slot.tasks.empty() &&
                    item->wake_at && *item->wake_at - now > options_.evict_parked_after;
}

// ---------------------------------------------------------------------------
// Committer

void Engine::Impl::SubmitLocked(CommitItem item) {
  ++item.slot->inflight;
  if (item.finished) item.slot->ending = true;
  {
    std::lock_guard lock(commit_mu_);
    commits_.push_back(std::move(item));
  }
  commit_cv_.notify_one();
}

void Engine::Impl::CommitLoop() {
  while (true) {
    std::vector<CommitItem> batch;
    {
      std::unique_lock lock(commit_mu_);
      commit_cv_.wait(lock, [this] { return commits_closing_ || !commits_.empty(); });
      if (commits_.empty()) return;  // closing and drained
      // Consecutive commits of one execution become one group.
      std::unordered_map<Slot*, size_t> index;
      while (!commits_.empty()) {
        CommitItem& next = commits_.front();
        auto it = index.find(next.slot.get());
        if (it != index.end()) {
          batch[it->second].Absorb(std::move(next));
        } else {
          if (batch.size() >= options_.commit_max_groups) break;
          index.emplace(next.slot.get(), batch.size());
          batch.push_back(std::move(next));
        }
        commits_.pop_front();
      }
    }
    // Commits of an execution whose earlier commit failed build on steps
    // that never became durable: they are dropped, not written.
    std::vector<CommitItem> live;
    std::vector<store::TransitionGroup> groups;
    for (CommitItem& item : batch) {
      bool broken;
      {
        std::lock_guard lock(mu_);
        broken = item.slot->broken;
      }
      if (broken) {
        Fail(item, UnavailableError("an earlier commit of this execution failed"), true);
        continue;
      }
      groups.push_back(std::move(item.group));
      live.push_back(std::move(item));
    }
    if (live.empty()) continue;
    std::vector<Status> results;
    const auto commit_started = SteadyClock::now();
    Status committed = store_->CommitTransitions(groups, &results);
    auto backoff = options_.commit_retry_backoff;
    for (int attempt = 0; !committed.ok() && attempt < options_.commit_retries; ++attempt) {
      log_->warn("commit of {} executions failed ({}); retrying in {} ms", groups.size(),
                 committed.ToString(), backoff.count());
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
      committed = store_->CommitTransitions(groups, &results);
    }
    if (!committed.ok()) {
      metrics_.CommitFailed();
      log_->error(
          "commit of {} executions failed, giving up: {}; they resume from their last "
          "durable step",
          groups.size(), committed.ToString());
      for (CommitItem& item : live) Fail(item, committed);
      continue;
    }
    {
      const double seconds =
          std::chrono::duration<double>(SteadyClock::now() - commit_started).count();
      metrics_.Committed(groups, results, seconds);
      std::lock_guard lock(commit_mu_);
      ++commit_count_;
      committed_groups_ += groups.size();
      commit_seconds_ += seconds;
    }
    for (size_t i = 0; i < live.size(); ++i) {
      if (results[i].ok()) {
        Done(live[i]);
      } else if (clustered_ && results[i].code() == StatusCode::kAborted) {
        // Another node owns the execution now: never retried nor read back.
        log_->info("execution {} moved to another node: {}", live[i].slot->arn,
                   results[i].ToString());
        FailMoved(live[i], results[i]);
      } else {
        Fail(live[i], results[i]);
      }
    }
  }
}

void Engine::Impl::Done(CommitItem& item) {
  const std::shared_ptr<Slot>& slot = item.slot;
  std::vector<Inbox> late;
  // Tasks the execution stopped waiting for are cancelled before anyone
  // hears of the commit.
  for (const TaskCall& call : item.cancel) tasks_->Cancel(call);
  {
    // Durable before the caller hears so: a start repeated as soon as it
    // was answered finds the execution and gets it back (idempotent).
    std::lock_guard lock(mu_);
    slot->durable = true;
  }
  if (item.start_done) item.start_done(item.start_result);
  if (item.redrive_done) item.redrive_done(item.redrive_result);
  for (auto& [stop_done, result] : item.stops) stop_done(result);
  for (auto& update_done : item.updates) update_done(Status::OK());
  std::vector<std::shared_ptr<FinishWatcher>> watchers;
  {
    std::lock_guard lock(mu_);
    if (item.finished) {
      if (auto it = watchers_.find(slot->arn); it != watchers_.end()) {
        watchers.swap(it->second);
        watchers_.erase(it);
      }
    }
    slot->inflight -= item.items;
    if (slot->deferred && !item.finished) {
      slot->deferred = false;
      QueueLocked(slot);
    }
    // Adopted while committing: compared with the store once nothing is out.
    if (slot->verify && slot->inflight == 0 && !item.finished && !slot->broken) QueueLocked(slot);
    if (item.finished) {
      ForgetLocked(slot);
      armed_.erase(slot->arn);
      slot->finished = true;
      late.swap(slot->inbox);  // arrived after its last slice: answered below
    } else if (!slot->broken) {
      if (item.wake_at) {
        ArmLocked(slot->arn, *item.wake_at);
      } else {
        armed_.erase(slot->arn);
      }
      // Parked far ahead: out of memory until its time (the timer stays).
      if (item.evictable && slot->inflight == 0 && !slot->running && !slot->queued &&
          slot->inbox.empty()) {
        ForgetLocked(slot);
        slot->finished = true;
      }
    }
    MaybeResetLocked(slot);
  }
  for (Inbox& in : late) {
    if (in.stop_done)
      in.stop_done(FailedPreconditionError("execution '" + slot->arn + "' is not running"));
  }
  for (auto& w : watchers) w->Fire(Status::OK());
  if (!item.dispatch.empty()) Dispatch(slot->arn, std::move(item.dispatch));
}

void Engine::Impl::Fail(CommitItem& item, const Status& status, bool quiet) {
  const std::shared_ptr<Slot>& slot = item.slot;
  bool moved = false;
  {
    // Broken before anyone hears: a start repeated as soon as it was
    // refused must not find this slot (StartExecution skips broken ones).
    std::lock_guard lock(mu_);
    slot->broken = true;
    moved = slot->disowned;
  }
  if (moved) return FailMoved(item, status);
  if (item.start_done) {
    if (status.code() == StatusCode::kAlreadyExists) {
      // The name is taken in the store. The same input while it runs is an
      // idempotent repeat (STANDARD only); anything else is refused.
      StatusOr<store::ExecutionRecord> existing = store_->GetExecution(slot->arn);
      const Json input = ParseJson(slot->input_text).value_or(Json());
      if (existing.ok() && existing->status == store::ExecutionStatus::kRunning && !slot->express &&
          SameJson(existing->input, input)) {
        item.start_done(StartResult{slot->arn, existing->start_time_ms, true});
      } else {
        item.start_done(AlreadyExistsError("Execution Already Exists: '" + slot->arn + "'"));
      }
      quiet = true;
    } else {
      item.start_done(UnavailableError("StartExecution: the start could not be made durable: " +
                                       status.ToString()));
    }
  }
  for (auto& [stop_done, result] : item.stops) {
    stop_done(UnavailableError("StopExecution: the stop could not be made durable: " +
                               status.ToString()));
  }
  if (item.redrive_done) {
    item.redrive_done(UnavailableError("RedriveExecution: the redrive could not be made durable: " +
                                       status.ToString()));
  }
  for (auto& update_done : item.updates) {
    update_done(UnavailableError("UpdateMapRun: the change could not be made durable: " +
                                 status.ToString()));
  }
  if (!quiet) log_->error("commit for execution {} failed: {}", slot->arn, status.ToString());
  std::lock_guard lock(mu_);
  slot->inflight -= item.items;
  pending_tasks_ -= std::min(pending_tasks_, item.dispatch.size());
  MaybeResetLocked(slot);
}

void Engine::Impl::FailMoved(CommitItem& item, const Status& status) {
  const std::shared_ptr<Slot>& slot = item.slot;
  // Forgotten before anyone hears (a caller may ask again at once).
  std::vector<Inbox> unanswered;
  std::vector<TaskCall> released;
  {
    std::lock_guard lock(mu_);
    slot->broken = true;
    slot->inflight -= item.items;
    DisownLocked(slot, &unanswered, &released);
  }
  if (item.start_done) item.start_done(MovedError(slot->arn));
  for (auto& [stop_done, result] : item.stops) stop_done(MovedError(slot->arn));
  if (item.redrive_done) {
    item.redrive_done(UnavailableError("RedriveExecution: the redrive could not be made durable: " +
                                       status.ToString()));
  }
  for (auto& update_done : item.updates) update_done(MovedError(slot->arn));
  AfterDisown(slot->arn, unanswered, released);
}

void Engine::Impl::Dispatch(const std::string& arn, std::vector<TaskCall> calls) {
  for (TaskCall& call : calls) {
    const int64_t task_id = call.request.task_id;
    tasks_->Invoke(call, metrics_.Timed(call, [this, arn, task_id](asl::AslResult<Json> result) {
      CompleteTask(arn, task_id, std::move(result));
    }));
  }
}

// ---------------------------------------------------------------------------
// Timers

void Engine::Impl::FireDueTimersLocked(TimePoint now) {
  while (!timers_.empty() && timers_.top().due <= now) {
    TimerEntry entry = timers_.top();
    timers_.pop();
    auto armed = armed_.find(entry.arn);
    if (armed == armed_.end() || armed->second != entry.due) continue;  // replaced or disarmed
    armed_.erase(armed);
    QueueLocked(FindOrCreateLocked(entry.arn));
  }
}

// ---------------------------------------------------------------------------

Engine::Engine(const RuntimeOptions& options, store::Store* store, Clock* clock, TaskRouter* tasks,
               std::shared_ptr<spdlog::logger> logger, metrics::Registry* metrics)
    : impl_(std::make_unique<Impl>(options, store, clock, tasks, std::move(logger), metrics)) {}
Engine::~Engine() { impl_->Stop(); }
Status Engine::Recover() { return impl_->Recover(); }
void Engine::Adopt(const store::RunningExecution& execution) { impl_->Adopt(execution); }
Status Engine::TakeOver(const std::string& execution_arn) { return impl_->TakeOver(execution_arn); }
void Engine::Start() { impl_->Start(); }
void Engine::Stop() { impl_->Stop(); }
void Engine::StartExecution(StartRequest request, std::function<void(StatusOr<StartResult>)> done) {
  impl_->StartExecution(std::move(request), std::move(done));
}
void Engine::StopExecution(StopRequest request, std::function<void(StatusOr<StopResult>)> done) {
  impl_->StopExecution(std::move(request), std::move(done));
}

void Engine::RedriveExecution(RedriveRequest request,
                              std::function<void(StatusOr<RedriveResult>)> done) {
  impl_->RedriveExecution(std::move(request), std::move(done));
}
void Engine::CompleteTask(const std::string& execution_arn, int64_t task_id,
                          asl::AslResult<Json> result) {
  impl_->CompleteTask(execution_arn, task_id, std::move(result));
}
EngineStats Engine::Stats() const { return impl_->Stats(); }
void Engine::TaskStarted(const std::string& execution_arn, int64_t task_id,
                         const std::string& worker_name) {
  Inbox in;
  in.task_id = task_id;
  in.started_by = worker_name;
  impl_->Notify(execution_arn, std::move(in));
}
void Engine::TaskSubmitted(const std::string& execution_arn, int64_t task_id, Json output) {
  Inbox in;
  in.task_id = task_id;
  in.submitted = std::move(output);
  impl_->Notify(execution_arn, std::move(in));
}
void Engine::TaskHeartbeat(const std::string& execution_arn, int64_t task_id) {
  Inbox in;
  in.task_id = task_id;
  in.heartbeat = true;
  impl_->Notify(execution_arn, std::move(in));
}
void Engine::UpdateMapRun(MapRunUpdate update, std::function<void(Status)> done) {
  impl_->UpdateMapRun(std::move(update), std::move(done));
}
void Engine::WhenFinished(const std::string& execution_arn, std::function<void(Status)> done) {
  impl_->WhenFinished(execution_arn, std::move(done));
}
void Engine::ForgetStateMachine(const std::string& state_machine_arn) {
  impl_->ForgetStateMachine(state_machine_arn);
}

}  // namespace stepd::runtime
