#pragma once
// Private to the interpreter: the mutable units of an execution (Frame), the
// Runner that schedules them, and the StepContext a state uses to report its
// outcome.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "stepd/asl/interpreter.h"
#include "stepd/asl/states.h"

namespace stepd::asl {
namespace interpreter_internal {

enum class Phase {
  kEnter,     // about to enter `state` with `raw_input`
  kTimer,     // parked until wake_at (Wait); then Resume
  kRetry,     // parked until wake_at (retry backoff); then Enter again
  kTask,      // waiting for task `task_id`; then Resume with task_result
  kChildren,  // waiting for child units; Resume on each finished child
  kDone,      // finished: outcome in succeeded/output/error
};

struct Frame {
  int64_t id = 0;
  int64_t parent = 0;  // 0: the top level
  int graph_id = 0;
  int state = -1;
  int previous_state = -1;  // the state the unit left for `state`; -1 at its start
  Phase phase = Phase::kEnter;
  bool queued = false;
  // 0: the unit's events go to this execution's history. Otherwise the id
  // of the child execution (an iteration of a DISTRIBUTED Map) they belong to.
  int64_t child_execution = 0;

  Json raw_input;
  // EffectiveInput moved raw_input out (a state that reads it no more).
  bool input_consumed = false;
  Json effective;  // effective input kept while parked
  int64_t entered_event_id = 0;
  int64_t last_event_id = 0;  // previousEventId chain
  TimePoint entered_time;
  std::optional<TimePoint> wake_at;
  std::vector<int> retry_attempts;
  int retry_count = 0;
  Json variables;  // null until the first assignment, then an object

  // As a child: its index (Map item index or Parallel branch index).
  int64_t child_index = -1;

  // As a Map/Parallel parent.
  std::vector<int64_t> finished_children;  // done, not yet handled by Resume
  int64_t total_children = 0;
  int64_t next_child = 0;
  int64_t running_children = 0;
  int64_t succeeded_children = 0;
  int64_t failed_children = 0;  // Map: failed items (a failed batch counts its items)
  int64_t max_concurrency = 0;  // 0: unlimited
  std::optional<int64_t> tolerated_count;
  std::optional<double> tolerated_percentage;
  Json items;               // Map: the items array (the batches, with an ItemBatcher)
  std::string map_run_arn;  // DISTRIBUTED Map: its Map Run
  bool map_run_ended = false;  // it succeeded, failed or was aborted
  int64_t map_run_redrives = 0;
  std::optional<TimePoint> map_run_redrive_time;
  // A Parallel/Map that failed, or was stopped, while its children ran: a
  // redrive resumes it with the children that did not succeed (kept in
  // Runner::dormant_) instead of entering the state again.
  bool resume_children = false;
  Json results;             // array of child outputs
  std::optional<AslError> child_error;

  // Task.
  int64_t task_id = 0;
  std::string task_token;
  std::optional<AslResult<Json>> task_result;

  // Outcome when kDone.
  bool succeeded = false;
  Json output;
  AslError error;
};

// The ready units, a double-ended queue in a ring buffer: std::deque
// allocates a 512-byte block and its index on construction, which every
// execution would pay while almost all of them hold one unit.
class UnitQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  int64_t front() const { return slots_[head_]; }
  void pop_front() {
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }
  void push_front(int64_t id) {
    Grow();
    head_ = (head_ + slots_.size() - 1) % slots_.size();
    slots_[head_] = id;
    ++size_;
  }
  void push_back(int64_t id) {
    Grow();
    slots_[(head_ + size_) % slots_.size()] = id;
    ++size_;
  }
  void clear() { head_ = size_ = 0; }
  // Removes every occurrence of `id`, keeping the order of the others.
  void erase(int64_t id) {
    std::vector<int64_t> kept = ToVector();
    kept.erase(std::remove(kept.begin(), kept.end(), id), kept.end());
    clear();
    for (int64_t k : kept) push_back(k);
  }
  // Front to back.
  std::vector<int64_t> ToVector() const {
    std::vector<int64_t> out;
    out.reserve(size_);
    for (size_t i = 0; i < size_; ++i) out.push_back(slots_[(head_ + i) % slots_.size()]);
    return out;
  }

 private:
  void Grow() {
    if (size_ < slots_.size()) return;
    std::vector<int64_t> bigger = ToVector();
    bigger.resize(std::max<size_t>(4, slots_.size() * 2));
    slots_.swap(bigger);
    head_ = 0;
  }
  std::vector<int64_t> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

// What TestState (src/asl/test_state.cc) records of one unit's data flow.
// The StepContext of unit `unit` fills it in when the Runner has one; an
// ordinary execution has none and pays one pointer test per hook.
struct StateProbe {
  int64_t unit = 0;
  std::optional<Json> after_input_path;  // EffectiveInput: after InputPath
  std::optional<Json> after_parameters;  // EffectiveInput: after Parameters
  std::optional<Json> result;            // Complete: the raw result
  std::optional<Json> after_result_selector;
  std::optional<Json> after_result_path;
  Json assigned;  // the values Assign (of the state, a Choice rule or a Catcher) stored; null: none
  // Fail: the error Retry or Catch handled, and which of them did.
  std::optional<AslError> handled_error;
  int retry_index = -1;
  double retry_delay_seconds = 0;  // the backoff before jitter
  int catch_index = -1;
};

// A live child execution of a DISTRIBUTED Map: its history has ids of its own.
struct ChildExecution {
  ExecutionInfo info;
  Json input;
  std::string map_run_arn;
  int64_t last_event_id = 0;
};

class Runner {
 public:
  Runner(std::shared_ptr<const StateMachine> machine, ExecutionOptions options);

  std::shared_ptr<const StateMachine> machine_;
  ExecutionOptions options_;
  ExecutionInfo info_;
  Json input_;
  ExecutionStatus status_ = ExecutionStatus::kRunning;
  Json output_;
  AslError error_;

  std::map<int64_t, std::unique_ptr<Frame>> frames_;
  // Units that failed or were aborted and whose enclosing units failed too:
  // kept (with their input, variables and position) for Redrive. A unit
  // whose failure is retried or caught drops its dormant descendants.
  std::map<int64_t, std::unique_ptr<Frame>> dormant_;
  // Child executions that ended unsuccessfully under a dormant unit.
  std::map<int64_t, ChildExecution> dormant_children_;
  UnitQueue ready_;
  std::set<int64_t> parked_;  // units in kTimer/kRetry, waiting for wake_at
  int64_t next_frame_id_ = 1;
  int64_t next_task_id_ = 1;
  int64_t last_event_id_ = 0;
  std::vector<HistoryEvent> events_;
  std::map<int64_t, ChildExecution> children_;  // live child executions by id
  int64_t next_child_execution_ = 1;
  std::vector<ChildExecutionStart> new_children_;
  std::vector<MapRunInfo> map_run_changes_;
  std::vector<TaskRequest> new_tasks_;
  std::map<int64_t, TaskRequest> pending_tasks_;
  // Seeded on first use (retry jitter, task tokens): seeding from
  // std::random_device costs a system call per execution otherwise. Held
  // on the heap: its 2.5 KB state would make every Runner a large
  // allocation (glibc then consolidates its free lists on each one).
  std::mt19937_64& Rng() {
    if (!rng_) {
      rng_ = std::make_unique<std::mt19937_64>(options_.jitter_seed ? options_.jitter_seed
                                                                    : std::random_device{}());
    }
    return *rng_;
  }
  std::unique_ptr<std::mt19937_64> rng_;
  // TestState only: the probe its unit reports to, and a context object
  // merged over the one built for `$$` (RFC 7396 merge patch).
  StateProbe* probe_ = nullptr;
  std::optional<Json> context_patch_;

  // Core operations.
  // Records ExecutionStarted and readies the top level at `state` (-1: the
  // machine's StartAt) with `variables` in scope.
  void Begin(Json input, TimePoint now, int state = -1, Json variables = Json());
  StepResult Step(TimePoint now);
  // `type` and `details_key` must be string literals; `details` is the
  // details object's JSON text (EventDetails), unused without history.
  int64_t Emit(Frame* frame, TimePoint now, std::string_view type, std::string_view details_key,
               std::string details);
  // Appends to the history of `child` (0: this execution) with the given
  // previousEventId; returns the new id.
  int64_t Append(int64_t child, int64_t previous, TimePoint now, std::string_view type,
                 std::string_view details_key, std::string details);
  // Starts a child execution of the DISTRIBUTED Map unit `map` on `input`
  // (records its ExecutionStarted); returns its id.
  int64_t StartChildExecution(const Frame& map, Json input, TimePoint now);
  // Records how child execution `child` ended and forgets it.
  void EndChildExecution(int64_t child, const Frame& root, TimePoint now);
  void AbortChildExecution(int64_t child, TimePoint now);
  void AbortAllChildExecutions(TimePoint now);
  // The unit whose variables `f` sees next (its parent), or null at the top
  // level and at the root of a child execution.
  const Frame* EnclosingScope(const Frame& f);
  // True when a scope enclosing `f` (not `f` itself) has variable `name`.
  bool DeclaredOutside(const Frame& f, std::string_view name);
  // The region of the execution's ARN ("us-east-1" when it has none).
  std::string Region() const;
  // A random RFC 4122 version 4 UUID (execution names, Map Run ids).
  std::string NewUuid();
  // <prefix>mapRun:<machine>/<label or a UUID>:<uuid>
  std::string NewMapRunArn(std::string_view label);
  // Execution info and input as seen by `f` ($$.Execution): a child
  // execution's own for units inside one.
  const ExecutionInfo& InfoOf(const Frame& f) const;
  const Json& InputOf(const Frame& f) const;
  Frame& NewFrame(int64_t parent, int graph_id, Json input);
  void MakeReady(Frame& f, bool front = true);
  void EnterState(Frame& f, TimePoint now);
  void FinishFrame(Frame& f, TimePoint now);
  // Aborts every descendant of `parent`; they become dormant.
  void AbortChildren(Frame& parent, TimePoint now);
  // Moves unit `id` (ended or aborted) from frames_ to dormant_.
  void Retire(int64_t id);
  // Forgets the dormant descendants of unit `parent` (its failure was
  // retried or caught, or it succeeded) and their child executions.
  void DiscardDormant(int64_t parent);
  // The input a unit entered its state with, when EffectiveInput consumed
  // it: read back from the unit's StateEntered event, still in events_
  // (consuming states end in the step that entered them).
  void RecoverConsumedInput(Frame& f);
  // Execution::Redrive.
  Status Redrive(TimePoint now);
  // Moves dormant unit `f` back to frames_ and readies it: it enters its
  // state again, or (resume_children) waits for its dormant children,
  // revived the same way.
  void Revive(Frame& f, TimePoint now);
  // Records the state of the Map Run unit `map` runs (TakeMapRunChanges);
  // once it ended, the unit forgets its Map Run.
  void NoteMapRun(Frame& map, MapRunStatus status, TimePoint now);
  // Every Map Run still running ends ABORTED (the execution ended).
  void AbortMapRuns(TimePoint now);
  void EndExecution(Frame& root, TimePoint now);
  const StateGraph& GraphOf(const Frame& f) const { return *machine_->graph(f.graph_id); }
  const State& StateOf(const Frame& f) const { return GraphOf(f).state(f.state); }
  Frame* Find(int64_t id) {
    auto it = frames_.find(id);
    return it == frames_.end() ? nullptr : it->second.get();
  }

  Json Snapshot() const;
  Status Restore(const Json& snapshot);
};

// Implements VariableLookup over a frame and its ancestors.
class FrameVariables final : public VariableLookup {
 public:
  FrameVariables(Runner& runner, const Frame& frame) : runner_(runner), frame_(frame) {}
  const Json* Find(std::string_view name) const override;

 private:
  Runner& runner_;
  const Frame& frame_;
};

// The interface a state uses while it runs (one StepContext per call of
// State::Enter/Resume).
class StepContext {
 public:
  StepContext(Runner& runner, Frame& frame, const State& state, TimePoint now)
      : runner_(runner), frame_(frame), state_(state), now_(now) {}

  Runner& runner() { return runner_; }
  Frame& frame() { return frame_; }
  const State& state() const { return state_; }
  TimePoint now() const { return now_; }

  // An EvalScope over `input`, with the context object and variables of the
  // current state. `map_index`/`map_value` add $$.Map.Item.
  EvalScope Scope(const Json* input, const Json* map_index = nullptr,
                  const Json* map_value = nullptr);

  // InputPath, then Parameters (when `with_parameters`), applied to the raw
  // input. On error: Fail() has been called and nullopt is returned.
  // `consume_raw_input`: the caller reads the raw input no more after this
  // call, except through Complete/Fail; the raw input is then moved out
  // when the state has no Retry, no Catch and a replacing ResultPath.
  std::optional<Json> EffectiveInput(bool with_parameters, bool consume_raw_input = false);

  // JSONata states: the `$states` an expression of this state reads, over
  // `input` (the state's raw input), with `result` (after a Task, Parallel
  // or Map) or `error_output` (in a Catcher); `map_index`/`map_value` add
  // $states.context.Map.Item.
  JsonataScope JsonataView(const Json* input, const Json* result = nullptr,
                           const Json* error_output = nullptr, const Json* map_index = nullptr,
                           const Json* map_value = nullptr);
  // A failed JSONata evaluation: records EvaluationFailed and returns the
  // States.QueryEvaluationError, its cause prefixed like RuntimeError's.
  AslError EvaluationFailed(JsonataFailure failure);
  // Evaluates `field`; when that fails, EvaluationFailed, then Fail() with
  // `final_event`, and nullopt.
  std::optional<Json> EvaluateJsonata(const JsonataTemplate& field, const JsonataScope& scope,
                                      std::string_view final_event = {});

  // "An error occurred while executing the state 'S' (entered at the event id #N). <cause>"
  AslError RuntimeError(std::string_view cause) const;
  // Adds that prefix to a States.Runtime / States.IntrinsicFailure error
  // coming from a path, template or intrinsic.
  AslError Contextualize(AslError error) const;

  // A States.Runtime error when `assigned` (an Assign's values) names a
  // variable of an enclosing scope, which a Map iteration or Parallel
  // branch may read but not write.
  std::optional<AslError> OuterScopeWrite(const Json& assigned) const;

  // Outcomes (exactly one per Enter/Resume call, except Emit).
  // The state produced `result`: ResultSelector (when `apply_selector`),
  // Assign, ResultPath, OutputPath, StateExited, then the transition to
  // `next` (default: the state's Next or End).
  // `assign` overrides the state's Assign (Choice rules); with
  // `state_assign` false no Assign applies at all.
  // JSONata states: `result` is $states.result (Task, Parallel, Map; the
  // others ignore it), Assign and Output are evaluated, both against the
  // variables as they were, and Output (default: the result, or the raw
  // input) leaves the state. `branch`: the Choice rule that matched, whose
  // Output and Assign apply instead of the state's.
  void Complete(Json result, bool apply_selector, int next = -2,
                const PayloadTemplate* assign = nullptr, bool state_assign = true,
                const ChoiceBranch* branch = nullptr);
  // The state failed: Retry, then Catch, then the unit fails. When the
  // failure is not retried, `final_event` (e.g. "MapStateFailed") is
  // recorded first, when given.
  // `heartbeat_timeout`: the error is the States.Timeout of a missed
  // heartbeat, which Retry and Catch also match by "States.HeartbeatTimeout".
  void Fail(AslError error, std::string_view final_event = {}, bool heartbeat_timeout = false);
  // A Succeed state: ends the unit with `output`, after StateExited.
  void SucceedUnit(Json output);
  // A Fail state: ends the unit with `error` (no StateExited).
  void FailUnit(AslError error);
  void ParkUntil(TimePoint when);
  void ScheduleTask(TaskRequest request);
  // Creates a child unit running `graph` on `input` and readies it.
  Frame& StartChild(const StateGraph& graph, Json input, int64_t index);
  int64_t Emit(std::string_view type, std::string_view details_key, std::string details);

 private:
  void CompleteJsonata(Json result, int next, bool state_assign, const ChoiceBranch* branch);
  // StateExited (with `assigned` stored as variables), then the transition
  // to `next` (-2: the state's Next or End) with `out` as the next input.
  void Exit(Json out, std::optional<Json> assigned, int next);

  // The Runner's probe when it observes this unit; null otherwise.
  StateProbe* Probe() const {
    return runner_.probe_ != nullptr && runner_.probe_->unit == frame_.id ? runner_.probe_
                                                                          : nullptr;
  }

  Runner& runner_;
  Frame& frame_;
  const State& state_;
  TimePoint now_;
  std::optional<Json> context_;
  std::optional<FrameVariables> variables_;
};

}  // namespace interpreter_internal
}  // namespace stepd::asl
