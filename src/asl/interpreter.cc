#include "stepd/asl/interpreter.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "runner.h"
#include "stepd/asl/restart.h"

namespace stepd::asl {
namespace interpreter_internal {
namespace {

std::string_view EnteredType(StateType t) {
  switch (t) {
    case StateType::kPass:
      return "PassStateEntered";
    case StateType::kTask:
      return "TaskStateEntered";
    case StateType::kChoice:
      return "ChoiceStateEntered";
    case StateType::kWait:
      return "WaitStateEntered";
    case StateType::kSucceed:
      return "SucceedStateEntered";
    case StateType::kFail:
      return "FailStateEntered";
    case StateType::kParallel:
      return "ParallelStateEntered";
    case StateType::kMap:
      return "MapStateEntered";
  }
  return "";
}

std::string_view ExitedType(StateType t) {
  switch (t) {
    case StateType::kPass:
      return "PassStateExited";
    case StateType::kTask:
      return "TaskStateExited";
    case StateType::kChoice:
      return "ChoiceStateExited";
    case StateType::kWait:
      return "WaitStateExited";
    case StateType::kSucceed:
      return "SucceedStateExited";
    case StateType::kFail:
      return "FailStateExited";
    case StateType::kParallel:
      return "ParallelStateExited";
    case StateType::kMap:
      return "MapStateExited";
  }
  return "";
}

int64_t ToMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string ErrorDetails(const AslError& error) {
  EventDetails d;
  if (!error.error.empty()) d.String("error", error.error);
  if (!error.cause.empty()) d.String("cause", error.cause);
  return d.Take();
}

bool IsTerminalError(std::string_view error) { return error == "States.Runtime"; }

// A *StateExited event's details. Every exit that assigns variables records
// them (values as JSON text, as AWS shows them), so that the history alone
// determines a unit's variables (restart.h folds them).
std::string ExitedDetails(std::string_view name, const Json& output, const Json* assigned) {
  EventDetails d;
  d.String("name", name).Payload("output", output, "outputDetails");
  if (assigned != nullptr) {
    Json texts = Json::object();
    for (const auto& [k, v] : assigned->items()) {
      std::string text;
      AppendJsonText(v, &text);
      texts[k] = std::move(text);
    }
    d.Value("assignedVariables", texts);
    d.Value("assignedVariablesDetails", Json{{"truncated", false}});
  }
  return d.Take();
}

}  // namespace

Runner::Runner(std::shared_ptr<const StateMachine> machine, ExecutionOptions options)
    : machine_(std::move(machine)), options_(options) {}

int64_t Runner::Append(int64_t child, int64_t previous, TimePoint now, std::string_view type,
                       std::string_view details_key, std::string details) {
  int64_t& counter = child ? children_.at(child).last_event_id : last_event_id_;
  const int64_t id = ++counter;
  if (options_.record_history) {
    if (events_.capacity() == 0) events_.reserve(4);
    HistoryEvent& e = events_.emplace_back();
    e.id = id;
    e.previous_event_id = previous;
    e.child_execution = child;
    e.timestamp = now;
    e.type = type;
    e.details_key = details_key;
    e.details = std::move(details);
  }
  return id;
}

int64_t Runner::Emit(Frame* frame, TimePoint now, std::string_view type,
                     std::string_view details_key, std::string details) {
  const int64_t child = frame ? frame->child_execution : 0;
  if (child && !children_.count(child)) return frame->last_event_id;
  const int64_t id = Append(child, frame ? frame->last_event_id : last_event_id_, now, type,
                            details_key, std::move(details));
  if (frame) {
    frame->last_event_id = id;
    if (options_.record_history && frame->state >= 0) events_.back().state = StateOf(*frame).name;
  }
  return id;
}

namespace {
// "arn:aws:states:us-east-1:123456789012:" from an execution ARN.
std::string ArnPrefix(const std::string& execution_arn) {
  size_t pos = 0;
  for (int i = 0; i < 5 && pos != std::string::npos; ++i)
    pos = execution_arn.find(':', pos + (i > 0));
  if (pos == std::string::npos || execution_arn.rfind("arn:", 0) != 0) {
    return "arn:aws:states:us-east-1:123456789012:";
  }
  return execution_arn.substr(0, pos + 1);
}
}  // namespace

int64_t Runner::StartChildExecution(const Frame& map, Json input, TimePoint now) {
  const auto& state = static_cast<const MapState&>(StateOf(map));
  // map_run_arn = <prefix>mapRun:<machine>/<label>:<uuid>
  const std::string& run = map.map_run_arn;
  const size_t colon = run.rfind(':');
  const std::string machine_and_label =
      run.substr(run.find("mapRun:") + 7, colon - run.find("mapRun:") - 7);
  const std::string prefix = ArnPrefix(info_.execution_arn);
  const int64_t id = next_child_execution_++;
  ChildExecution& c = children_[id];
  c.info.name = NewUuid();
  c.info.state_machine_name = machine_and_label;
  c.info.state_machine_arn = prefix + "stateMachine:" + machine_and_label;
  c.info.execution_arn = prefix + "execution:" + machine_and_label + ":" + c.info.name;
  c.info.role_arn = info_.role_arn;
  c.info.start_time = now;
  c.map_run_arn = run;
  c.input = std::move(input);
  std::string details;
  if (options_.record_history) {
    details = EventDetails()
                  .Payload("input", c.input, "inputDetails")
                  .String("roleArn", c.info.role_arn)
                  .String("stateMachineArn", c.info.state_machine_arn)
                  .Take();
  }
  Append(id, 0, now, "ExecutionStarted", "executionStartedEventDetails", std::move(details));
  ChildExecutionStart start;
  start.id = id;
  start.info = c.info;
  start.map_run_arn = run;
  start.type = state.child_execution_type;
  start.input = c.input;
  new_children_.push_back(std::move(start));
  return id;
}

void Runner::EndChildExecution(int64_t child, const Frame& root, TimePoint now) {
  auto it = children_.find(child);
  if (it == children_.end()) return;
  if (root.succeeded) {
    Append(child, root.last_event_id, now, "ExecutionSucceeded", "executionSucceededEventDetails",
           options_.record_history
               ? EventDetails().Payload("output", root.output, "outputDetails").Take()
               : std::string());
  } else {
    Append(child, root.last_event_id, now, "ExecutionFailed", "executionFailedEventDetails",
           ErrorDetails(root.error));
    dormant_children_.insert_or_assign(child, std::move(it->second));
  }
  children_.erase(it);
}

void Runner::AbortChildExecution(int64_t child, TimePoint now) {
  auto it = children_.find(child);
  if (it == children_.end()) return;
  Append(child, it->second.last_event_id, now, "ExecutionAborted", "executionAbortedEventDetails",
         "{}");
  dormant_children_.insert_or_assign(child, std::move(it->second));
  children_.erase(it);
}

void Runner::AbortAllChildExecutions(TimePoint now) {
  while (!children_.empty()) AbortChildExecution(children_.begin()->first, now);
}

std::string Runner::NewUuid() {
  std::mt19937_64& rng = Rng();
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    const uint64_t word = i < 16 ? hi : lo;
    out += kHex[(word >> (60 - 4 * (i % 16))) & 15];
    if (i == 7 || i == 11 || i == 15 || i == 19) out += '-';
  }
  return out;
}

std::string Runner::Region() const {
  // arn:aws:states:REGION:ACCOUNT:...
  const std::string prefix = ArnPrefix(info_.execution_arn);
  const size_t start = prefix.find(':', prefix.find(':', 4) + 1) + 1;
  const size_t end = prefix.find(':', start);
  return end == std::string::npos ? "us-east-1" : prefix.substr(start, end - start);
}

std::string Runner::NewMapRunArn(std::string_view label) {
  std::string arn = ArnPrefix(info_.execution_arn) + "mapRun:" + info_.state_machine_name + "/";
  arn += label.empty() ? NewUuid() : std::string(label);
  arn += ":" + NewUuid();
  return arn;
}

const ExecutionInfo& Runner::InfoOf(const Frame& f) const {
  if (f.child_execution) {
    auto it = children_.find(f.child_execution);
    if (it != children_.end()) return it->second.info;
  }
  return info_;
}

const Json& Runner::InputOf(const Frame& f) const {
  if (f.child_execution) {
    auto it = children_.find(f.child_execution);
    if (it != children_.end()) return it->second.input;
  }
  return input_;
}

Frame& Runner::NewFrame(int64_t parent, int graph_id, Json input) {
  auto f = std::make_unique<Frame>();
  f->id = next_frame_id_++;
  f->parent = parent;
  f->graph_id = graph_id;
  f->state = machine_->graph(graph_id)->start;
  f->raw_input = std::move(input);
  if (Frame* p = Find(parent)) f->last_event_id = p->last_event_id;
  Frame& ref = *f;
  frames_.emplace(ref.id, std::move(f));
  return ref;
}

void Runner::MakeReady(Frame& f, bool front) {
  if (f.queued) return;
  f.queued = true;
  if (front) {
    ready_.push_front(f.id);
  } else {
    ready_.push_back(f.id);
  }
}

void Runner::Begin(Json input, TimePoint now, int state, Json variables) {
  input_ = std::move(input);
  std::string details;
  if (options_.record_history) {
    details = EventDetails()
                  .Payload("input", input_, "inputDetails")
                  .String("roleArn", info_.role_arn)
                  .String("stateMachineArn", info_.state_machine_arn)
                  .Take();
  }
  Emit(nullptr, now, "ExecutionStarted", "executionStartedEventDetails", std::move(details));
  Frame& root = NewFrame(0, 0, input_);
  root.last_event_id = last_event_id_;
  if (state >= 0) root.state = state;
  root.variables = std::move(variables);
  MakeReady(root);
}

void Runner::EnterState(Frame& f, TimePoint now) {
  const State& s = StateOf(f);
  f.entered_time = now;
  f.retry_attempts.assign(s.retriers.size(), 0);
  f.retry_count = 0;
  f.task_token.clear();
  f.input_consumed = false;
  f.resume_children = false;
  if (options_.max_payload_bytes && f.raw_input.dump().size() > options_.max_payload_bytes) {
    StepContext ctx(*this, f, s, now);
    ctx.FailUnit(AslError::Of(StatesError::kDataLimitExceeded,
                              "The state/task '" + s.name +
                                  "' returned a result with a size exceeding the maximum "
                                  "number of bytes service limit."));
    return;
  }
  std::string details;
  if (options_.record_history) {
    details =
        EventDetails().String("name", s.name).Payload("input", f.raw_input, "inputDetails").Take();
  }
  f.entered_event_id =
      Emit(&f, now, EnteredType(s.type), "stateEnteredEventDetails", std::move(details));
  if (options_.record_history && f.previous_state >= 0) {
    events_.back().from_state = GraphOf(f).state(f.previous_state).name;
  }
  StepContext ctx(*this, f, s, now);
  s.Enter(ctx);
}

StepResult Runner::Step(TimePoint now) {
  StepResult r;
  if (status_ != ExecutionStatus::kRunning) {
    r.kind = StepResult::Kind::kFinished;
    return r;
  }
  // Parked units whose time has come.
  for (int64_t pid : parked_) {
    Frame* f = Find(pid);
    if (f != nullptr && f->wake_at && *f->wake_at <= now && !f->queued) MakeReady(*f, false);
  }
  if (ready_.empty()) {
    r.kind = StepResult::Kind::kBlocked;
    for (int64_t pid : parked_) {
      Frame* f = Find(pid);
      if (f != nullptr && f->wake_at && (!r.wake_at || *f->wake_at < *r.wake_at)) {
        r.wake_at = f->wake_at;
      }
    }
    r.pending_tasks = pending_tasks_.size();
    return r;
  }
  const int64_t id = ready_.front();
  ready_.pop_front();
  Frame* f = Find(id);
  if (f == nullptr) return r;
  f->queued = false;
  switch (f->phase) {
    case Phase::kEnter:
      EnterState(*f, now);
      break;
    case Phase::kRetry: {
      f->phase = Phase::kEnter;
      f->wake_at.reset();
      parked_.erase(f->id);
      StepContext ctx(*this, *f, StateOf(*f), now);
      StateOf(*f).Enter(ctx);
      break;
    }
    case Phase::kTimer:
    case Phase::kTask:
    case Phase::kChildren: {
      f->wake_at.reset();
      parked_.erase(f->id);
      StepContext ctx(*this, *f, StateOf(*f), now);
      StateOf(*f).Resume(ctx);
      break;
    }
    case Phase::kDone:
      break;
  }
  // The unit continues at once when it moved to another state.
  if (Frame* again = Find(id); again && again->phase == Phase::kEnter && !again->queued) {
    MakeReady(*again, true);
  }
  if (status_ != ExecutionStatus::kRunning) r.kind = StepResult::Kind::kFinished;
  r.pending_tasks = pending_tasks_.size();
  return r;
}

void Runner::NoteMapRun(Frame& map, MapRunStatus status, TimePoint now) {
  if (map.map_run_arn.empty() || map.map_run_ended) return;
  const auto& state = static_cast<const MapState&>(StateOf(map));
  MapRunInfo info;
  info.arn = map.map_run_arn;
  info.child_execution = map.child_execution;
  info.status = status;
  info.max_concurrency = map.max_concurrency;
  info.tolerated_failure_count = map.tolerated_count;
  info.tolerated_failure_percentage = map.tolerated_percentage;
  info.total_items = state.TotalItems(map);
  info.total_executions = map.total_children;
  info.start_time = map.entered_time;
  info.redrive_count = map.map_run_redrives;
  info.redrive_time = map.map_run_redrive_time;
  if (status != MapRunStatus::kRunning) {
    info.stop_time = now;
    map.map_run_ended = true;
  }
  map_run_changes_.push_back(std::move(info));
}

void Runner::AbortMapRuns(TimePoint now) {
  for (auto& [id, f] : frames_) {
    if (f->phase != Phase::kDone) {
      NoteMapRun(*f, MapRunStatus::kAborted, now);
    }
  }
}

void Runner::AbortChildren(Frame& parent, TimePoint now) {
  std::vector<int64_t> doomed;
  for (auto& [id, f] : frames_) {
    if (f->parent == parent.id) doomed.push_back(id);
  }
  for (int64_t id : doomed) {
    Frame* c = Find(id);
    if (c == nullptr) continue;
    AbortChildren(*c, now);
    if (c->phase != Phase::kDone) NoteMapRun(*c, MapRunStatus::kAborted, now);
    const bool child_root = c->child_execution != parent.child_execution;
    if (c->phase != Phase::kDone && child_root) AbortChildExecution(c->child_execution, now);
    if (c->phase != Phase::kDone && !child_root && StateOf(parent).type == StateType::kMap) {
      Emit(&parent, now, "MapIterationAborted", "mapIterationAbortedEventDetails",
           EventDetails().String("name", StateOf(parent).name).Int("index", c->child_index).Take());
    }
    if (c->task_id) pending_tasks_.erase(c->task_id);
    if (c->phase == Phase::kChildren) c->resume_children = true;
    ready_.erase(id);
    parked_.erase(id);
    Retire(id);
  }
  parent.finished_children.clear();
  parent.running_children = 0;
}

void Runner::Retire(int64_t id) {
  auto it = frames_.find(id);
  if (it == frames_.end()) return;
  it->second->queued = false;
  it->second->wake_at.reset();
  dormant_.emplace(id, std::move(it->second));
  frames_.erase(it);
}

void Runner::DiscardDormant(int64_t parent) {
  if (dormant_.empty()) return;
  std::vector<int64_t> doomed;
  for (const auto& [id, f] : dormant_) {
    if (f->parent == parent) doomed.push_back(id);
  }
  for (int64_t id : doomed) {
    DiscardDormant(id);
    dormant_children_.erase(dormant_.at(id)->child_execution);
    dormant_.erase(id);
  }
}

void Runner::RecoverConsumedInput(Frame& f) {
  if (!f.input_consumed) return;
  for (auto e = events_.rbegin(); e != events_.rend(); ++e) {
    if (e->id != f.entered_event_id || e->child_execution != f.child_execution) continue;
    Json details = e->DetailsJson();
    if (!details.is_object() || !details.contains("input")) return;
    StatusOr<Json> input = ParseJson(details["input"].get<std::string>());
    if (!input.ok()) return;
    f.raw_input = std::move(input).value();
    f.input_consumed = false;
    return;
  }
}

void Runner::FinishFrame(Frame& f, TimePoint now) {
  f.phase = Phase::kDone;
  if (f.parent == 0) {
    EndExecution(f, now);
    return;
  }
  Frame* p = Find(f.parent);
  if (p == nullptr) return;
  if (f.child_execution != p->child_execution) EndChildExecution(f.child_execution, f, now);
  p->finished_children.push_back(f.id);
  MakeReady(*p, true);
}

void Runner::EndExecution(Frame& root, TimePoint now) {
  if (root.succeeded) {
    status_ = ExecutionStatus::kSucceeded;
    output_ = root.output;
    Emit(nullptr, now, "ExecutionSucceeded", "executionSucceededEventDetails",
         options_.record_history ? EventDetails().Payload("output", output_, "outputDetails").Take()
                                 : std::string());
  } else {
    status_ = ExecutionStatus::kFailed;
    error_ = root.error;
    Emit(nullptr, now, "ExecutionFailed", "executionFailedEventDetails", ErrorDetails(error_));
  }
  AbortMapRuns(now);
  AbortAllChildExecutions(now);
  ready_.clear();
  parked_.clear();
  pending_tasks_.clear();
  if (root.succeeded) {
    frames_.clear();
    dormant_.clear();
    dormant_children_.clear();
  } else {
    while (!frames_.empty()) Retire(frames_.begin()->first);
  }
}

// ---------------------------------------------------------------------------
// StepContext

EvalScope StepContext::Scope(const Json* input, const Json* map_index, const Json* map_value) {
  EvalScope scope;
  scope.input = input;
  if (state_.uses_context || map_index) {
    StateContextInfo sci;
    sci.state_name = state_.name;
    sci.entered_time = frame_.entered_time;
    if (state_.type == StateType::kTask) sci.retry_count = frame_.retry_count;
    sci.task_token = frame_.task_token;
    sci.map_item_index = map_index;
    sci.map_item_value = map_value;
    context_ = BuildContextObject(runner_.InfoOf(frame_), runner_.InputOf(frame_), sci);
    if (runner_.context_patch_) context_->merge_patch(*runner_.context_patch_);
    scope.context = &*context_;
  }
  if (!variables_) variables_.emplace(runner_, frame_);
  scope.variables = &*variables_;
  return scope;
}

AslError StepContext::RuntimeError(std::string_view cause) const {
  std::string c = "An error occurred while executing the state '" + state_.name +
                  "' (entered at the event id #" + std::to_string(frame_.entered_event_id) + "). ";
  c += cause;
  return AslError::Of(StatesError::kRuntime, std::move(c));
}

AslError StepContext::Contextualize(AslError error) const {
  if (error.error == "States.Runtime" || error.error == "States.IntrinsicFailure") {
    std::string c = "An error occurred while executing the state '" + state_.name +
                    "' (entered at the event id #" + std::to_string(frame_.entered_event_id) +
                    "). " + error.cause;
    error.cause = std::move(c);
  }
  return error;
}

JsonataScope StepContext::JsonataView(const Json* input, const Json* result,
                                      const Json* error_output, const Json* map_index,
                                      const Json* map_value) {
  EvalScope es = Scope(input, map_index, map_value);
  JsonataScope js;
  js.input = input;
  js.result = result;
  js.error_output = error_output;
  js.context = es.context;
  js.variables = es.variables;
  return js;
}

AslError StepContext::EvaluationFailed(JsonataFailure failure) {
  AslError e = std::move(failure.error);
  e.cause = "An error occurred while executing the state '" + state_.name +
            "' (entered at the event id #" + std::to_string(frame_.entered_event_id) + "). " +
            e.cause;
  Emit("EvaluationFailed", "evaluationFailedEventDetails",
       EventDetails()
           .String("error", e.error)
           .String("cause", e.cause)
           .String("location", failure.field)
           .String("state", state_.name)
           .Take());
  return e;
}

std::optional<Json> StepContext::EvaluateJsonata(const JsonataTemplate& field,
                                                 const JsonataScope& scope,
                                                 std::string_view final_event) {
  auto r = field.Evaluate(scope);
  if (auto* failure = std::get_if<JsonataFailure>(&r)) {
    Fail(EvaluationFailed(std::move(*failure)), final_event);
    return std::nullopt;
  }
  return std::get<Json>(std::move(r));
}

std::optional<Json> StepContext::EffectiveInput(bool with_parameters, bool consume_raw_input) {
  StateProbe* probe = Probe();
  if (state_.jsonata()) {
    // JSONata: Arguments (Task, Parallel) read $states.input; the raw input
    // stays for Output, Assign and Catch.
    if (with_parameters && state_.arguments) {
      std::optional<Json> args = EvaluateJsonata(*state_.arguments, JsonataView(&frame_.raw_input));
      if (args && probe) probe->after_parameters = *args;
      return args;
    }
    return frame_.raw_input;
  }
  Json eff;
  // Without Retry/Catch and with a replacing ResultPath nothing reads the raw
  // input after this point: it can be moved instead of copied.
  const bool movable = consume_raw_input && state_.retriers.empty() && state_.catchers.empty() &&
                       state_.result_path.kind() == ResultPath::Kind::kReplace;
  if (state_.input_path.kind() == SelectPath::Kind::kIdentity) {
    if (with_parameters && state_.parameters) {
      if (probe) probe->after_input_path = frame_.raw_input;
      // Parameters read the raw input in place: no copy of it.
      auto r = state_.parameters->Evaluate(Scope(&frame_.raw_input));
      if (!r.ok()) {
        Fail(Contextualize(std::move(r).take_error()));
        return std::nullopt;
      }
      if (probe) probe->after_parameters = r.value();
      return std::move(r).value();
    }
    if (movable) {
      eff = std::move(frame_.raw_input);
      frame_.input_consumed = true;
    } else {
      eff = frame_.raw_input;
    }
  } else {
    auto r = state_.input_path.Apply(frame_.raw_input, Scope(&frame_.raw_input));
    if (!r.ok()) {
      Fail(Contextualize(std::move(r).take_error()));
      return std::nullopt;
    }
    eff = std::move(r).value();
  }
  if (probe) probe->after_input_path = eff;
  if (with_parameters && state_.parameters) {
    auto r = state_.parameters->Evaluate(Scope(&eff));
    if (!r.ok()) {
      Fail(Contextualize(std::move(r).take_error()));
      return std::nullopt;
    }
    eff = std::move(r).value();
  }
  if (probe && with_parameters) probe->after_parameters = eff;
  return eff;
}

int64_t StepContext::Emit(std::string_view type, std::string_view details_key,
                          std::string details) {
  return runner_.Emit(&frame_, now_, type, details_key, std::move(details));
}

namespace {
// Applies Assign: every value is evaluated first (against the old variables),
// then all are stored.
AslResult<Json> EvaluateAssign(const PayloadTemplate& assign, const EvalScope& scope) {
  return assign.Evaluate(scope);
}
}  // namespace

std::optional<AslError> StepContext::OuterScopeWrite(const Json& assigned) const {
  if (frame_.parent == 0) return std::nullopt;
  for (const auto& [name, value] : assigned.items()) {
    if (runner_.DeclaredOutside(frame_, name)) {
      return RuntimeError("The variable '" + name +
                          "' belongs to an outer scope: states inside a Map or Parallel state can "
                          "read it but not assign it.");
    }
  }
  return std::nullopt;
}

void StepContext::CompleteJsonata(Json result, int next, bool state_assign,
                                  const ChoiceBranch* branch) {
  StateProbe* probe = Probe();
  const bool produces_result = state_.type == StateType::kTask ||
                               state_.type == StateType::kParallel ||
                               state_.type == StateType::kMap;
  if (probe && produces_result) probe->result = result;
  JsonataScope view = JsonataView(&frame_.raw_input, produces_result ? &result : nullptr);
  const JsonataTemplate* assign = nullptr;
  const JsonataTemplate* output = state_.output ? &*state_.output : nullptr;
  if (branch != nullptr) {
    if (branch->jsonata_assign) assign = &*branch->jsonata_assign;
    if (branch->output) output = &*branch->output;
  } else if (state_assign && state_.jsonata_assign) {
    assign = &*state_.jsonata_assign;
  }
  std::optional<Json> assigned;
  if (assign) {
    assigned = EvaluateJsonata(*assign, view);
    if (!assigned) return;
    if (auto e = OuterScopeWrite(*assigned)) return Fail(std::move(*e));
    if (probe) probe->assigned = *assigned;
  }
  Json out;
  if (output) {
    std::optional<Json> o = EvaluateJsonata(*output, view);
    if (!o) return;
    out = std::move(*o);
  } else if (produces_result) {
    out = std::move(result);
  } else {
    out = std::move(frame_.raw_input);
  }
  Exit(std::move(out), std::move(assigned), next);
}

void StepContext::Complete(Json result, bool apply_selector, int next,
                           const PayloadTemplate* assign, bool state_assign,
                           const ChoiceBranch* branch) {
  if (state_.jsonata()) return CompleteJsonata(std::move(result), next, state_assign, branch);
  StateProbe* probe = Probe();
  if (probe) probe->result = result;
  if (apply_selector && state_.result_selector) {
    auto r = state_.result_selector->Evaluate(Scope(&result));
    if (!r.ok()) return Fail(Contextualize(std::move(r).take_error()));
    result = std::move(r).value();
  }
  if (probe) probe->after_result_selector = result;
  if (assign == nullptr && state_assign && state_.assign) assign = &*state_.assign;
  std::optional<Json> assigned;
  if (assign) {
    auto r = EvaluateAssign(*assign, Scope(&result));
    if (!r.ok()) return Fail(Contextualize(std::move(r).take_error()));
    assigned = std::move(r).value();
    if (auto e = OuterScopeWrite(*assigned)) return Fail(std::move(*e));
    if (probe) probe->assigned = *assigned;
  }
  Json out;
  if (state_.result_path.kind() == ResultPath::Kind::kReplace) {
    out = std::move(result);
  } else {
    // Without Retry/Catch nothing reads the raw input after this point.
    const bool last_use = state_.retriers.empty() && state_.catchers.empty();
    auto r = state_.result_path.Apply(last_use ? std::move(frame_.raw_input) : frame_.raw_input,
                                      std::move(result));
    if (!r.ok()) return Fail(Contextualize(std::move(r).take_error()));
    out = std::move(r).value();
  }
  if (probe) probe->after_result_path = out;
  if (state_.output_path.kind() != SelectPath::Kind::kIdentity) {
    auto r = state_.output_path.Apply(std::move(out), Scope(&frame_.raw_input));
    if (!r.ok()) return Fail(Contextualize(std::move(r).take_error()));
    out = std::move(r).value();
  }
  Exit(std::move(out), std::move(assigned), next);
}

void StepContext::Exit(Json out, std::optional<Json> assigned, int next) {
  if (runner_.options_.max_payload_bytes &&
      out.dump().size() > runner_.options_.max_payload_bytes) {
    return FailUnit(AslError::Of(StatesError::kDataLimitExceeded,
                                 "The state/task '" + state_.name +
                                     "' returned a result with a size exceeding the maximum "
                                     "number of bytes service limit."));
  }
  std::string details;
  if (runner_.options_.record_history) {
    details = ExitedDetails(state_.name, out, assigned ? &*assigned : nullptr);
  }
  if (assigned) {
    if (!frame_.variables.is_object()) frame_.variables = Json::object();
    for (auto& [k, v] : assigned->items()) frame_.variables[k] = std::move(v);
  }
  Emit(ExitedType(state_.type), "stateExitedEventDetails", std::move(details));
  const int target = next == -2 ? state_.next : next;
  if (target < 0) {
    frame_.succeeded = true;
    frame_.output = std::move(out);
    runner_.FinishFrame(frame_, now_);
    return;
  }
  frame_.previous_state = frame_.state;
  frame_.state = target;
  frame_.phase = Phase::kEnter;
  frame_.raw_input = std::move(out);
  frame_.effective = Json();
}

void StepContext::SucceedUnit(Json output) {
  std::string details;
  if (runner_.options_.record_history) details = ExitedDetails(state_.name, output, nullptr);
  Emit(ExitedType(state_.type), "stateExitedEventDetails", std::move(details));
  frame_.succeeded = true;
  frame_.output = std::move(output);
  runner_.FinishFrame(frame_, now_);
}

void StepContext::FailUnit(AslError error) {
  runner_.RecoverConsumedInput(frame_);
  frame_.succeeded = false;
  frame_.error = std::move(error);
  runner_.FinishFrame(frame_, now_);
}

void StepContext::Fail(AslError error, std::string_view final_event, bool heartbeat_timeout) {
  if (!IsTerminalError(error.error)) {
    for (size_t i = 0; i < state_.retriers.size(); ++i) {
      const Retrier& r = state_.retriers[i];
      if (!r.Matches(error.error, heartbeat_timeout)) continue;
      int& attempts = frame_.retry_attempts[i];
      if (attempts >= r.max_attempts) break;
      double delay = r.DelaySeconds(attempts);
      if (StateProbe* probe = Probe()) {
        probe->handled_error = error;
        probe->retry_index = static_cast<int>(i);
        probe->retry_delay_seconds = delay;
      }
      if (r.full_jitter) {
        std::uniform_real_distribution<double> dist(0.0, delay);
        delay = dist(runner_.Rng());
      }
      ++attempts;
      ++frame_.retry_count;
      frame_.resume_children = false;
      runner_.DiscardDormant(frame_.id);
      frame_.phase = Phase::kRetry;
      runner_.parked_.insert(frame_.id);
      frame_.finished_children.clear();
      frame_.wake_at =
          now_ + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(delay));
      return;
    }
    if (!final_event.empty()) {
      Emit(final_event, "", std::string());
      final_event = {};
    }
    for (size_t ci = 0; ci < state_.catchers.size(); ++ci) {
      const Catcher& c = state_.catchers[ci];
      if (!c.Matches(error.error, heartbeat_timeout)) continue;
      StateProbe* probe = Probe();
      Json err_out = {{"Error", error.error}, {"Cause", error.cause}};
      std::optional<Json> assigned;
      Json out;
      if (state_.jsonata()) {
        // Assign and Output read $states.errorOutput; Output defaults to it.
        JsonataScope view = JsonataView(&frame_.raw_input, nullptr, &err_out);
        if (c.jsonata_assign) {
          auto r = c.jsonata_assign->Evaluate(view);
          if (auto* f = std::get_if<JsonataFailure>(&r)) {
            return FailUnit(EvaluationFailed(std::move(*f)));
          }
          assigned = std::get<Json>(std::move(r));
          if (auto e = OuterScopeWrite(*assigned)) return FailUnit(std::move(*e));
          if (probe) probe->assigned = *assigned;
        }
        if (c.output) {
          auto r = c.output->Evaluate(view);
          if (auto* f = std::get_if<JsonataFailure>(&r)) {
            return FailUnit(EvaluationFailed(std::move(*f)));
          }
          out = std::get<Json>(std::move(r));
        } else {
          out = std::move(err_out);
        }
      } else {
        if (c.assign) {
          auto r = c.assign->Evaluate(Scope(&err_out));
          if (!r.ok()) return FailUnit(Contextualize(std::move(r).take_error()));
          assigned = std::move(r).value();
          if (auto e = OuterScopeWrite(*assigned)) return FailUnit(std::move(*e));
          if (probe) probe->assigned = *assigned;
        }
        auto r = c.result_path.Apply(frame_.raw_input, std::move(err_out));
        if (!r.ok()) return FailUnit(Contextualize(std::move(r).take_error()));
        out = std::move(r).value();
      }
      if (probe) {
        probe->handled_error = error;
        probe->catch_index = static_cast<int>(ci);
      }
      std::string details;
      if (runner_.options_.record_history) {
        details = ExitedDetails(state_.name, out, assigned ? &*assigned : nullptr);
      }
      if (assigned) {
        if (!frame_.variables.is_object()) frame_.variables = Json::object();
        for (auto& [k, v] : assigned->items()) frame_.variables[k] = std::move(v);
      }
      Emit(ExitedType(state_.type), "stateExitedEventDetails", std::move(details));
      frame_.resume_children = false;
      runner_.DiscardDormant(frame_.id);
      frame_.items = Json();
      frame_.results = Json();
      frame_.previous_state = frame_.state;
      frame_.state = c.next;
      frame_.phase = Phase::kEnter;
      frame_.raw_input = std::move(out);
      frame_.effective = Json();
      return;
    }
  }
  if (!final_event.empty()) Emit(final_event, "", std::string());
  FailUnit(std::move(error));
}

void StepContext::ParkUntil(TimePoint when) {
  frame_.phase = Phase::kTimer;
  frame_.wake_at = when;
  runner_.parked_.insert(frame_.id);
}

void StepContext::ScheduleTask(TaskRequest request) {
  request.task_id = runner_.next_task_id_++;
  request.unit_id = frame_.id;
  request.state_name = state_.name;
  request.retry_count = frame_.retry_count;
  request.scheduled_at = now_;
  frame_.task_id = request.task_id;
  frame_.phase = Phase::kTask;
  frame_.task_result.reset();
  runner_.pending_tasks_.emplace(request.task_id, request);
  runner_.new_tasks_.push_back(std::move(request));
}

Frame& StepContext::StartChild(const StateGraph& graph, Json input, int64_t index) {
  Frame& c = runner_.NewFrame(frame_.id, graph.id, std::move(input));
  c.child_index = index;
  c.child_execution = frame_.child_execution;
  c.last_event_id = frame_.last_event_id;
  ++frame_.running_children;
  runner_.MakeReady(c, false);
  return c;
}

const Frame* Runner::EnclosingScope(const Frame& f) {
  const Frame* p = f.parent ? Find(f.parent) : nullptr;
  // A child execution of a DISTRIBUTED Map sees none of its parent's variables.
  if (p != nullptr && p->child_execution != f.child_execution) return nullptr;
  return p;
}

bool Runner::DeclaredOutside(const Frame& f, std::string_view name) {
  for (const Frame* p = EnclosingScope(f); p != nullptr; p = EnclosingScope(*p)) {
    if (p->variables.is_object() && p->variables.contains(name)) return true;
  }
  return false;
}

const Json* FrameVariables::Find(std::string_view name) const {
  const Frame* f = &frame_;
  while (f != nullptr) {
    if (f->variables.is_object()) {
      auto it = f->variables.find(name);
      if (it != f->variables.end()) return &*it;
    }
    f = runner_.EnclosingScope(*f);
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Snapshot

namespace {
const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kEnter:
      return "enter";
    case Phase::kTimer:
      return "timer";
    case Phase::kRetry:
      return "retry";
    case Phase::kTask:
      return "task";
    case Phase::kChildren:
      return "children";
    case Phase::kDone:
      return "done";
  }
  return "enter";
}
std::optional<Phase> PhaseFromName(std::string_view s) {
  for (Phase p : {Phase::kEnter, Phase::kTimer, Phase::kRetry, Phase::kTask, Phase::kChildren,
                  Phase::kDone}) {
    if (s == PhaseName(p)) return p;
  }
  return std::nullopt;
}
Json TaskToJson(const TaskRequest& t) {
  Json j = {{"task_id", t.task_id},         {"unit_id", t.unit_id},
            {"state_name", t.state_name},   {"resource", t.resource},
            {"parameters", t.parameters},   {"task_token", t.task_token},
            {"credentials", t.credentials}, {"retry_count", t.retry_count}};
  if (t.timeout_seconds) j["timeout_seconds"] = *t.timeout_seconds;
  if (t.heartbeat_seconds) j["heartbeat_seconds"] = *t.heartbeat_seconds;
  j["scheduled_at_ms"] = ToMillis(t.scheduled_at);
  if (t.started) j["started"] = true;
  return j;
}
TaskRequest TaskFromJson(const Json& j) {
  TaskRequest t;
  t.task_id = j.at("task_id").get<int64_t>();
  t.unit_id = j.at("unit_id").get<int64_t>();
  t.state_name = j.at("state_name").get<std::string>();
  t.resource = j.at("resource").get<std::string>();
  t.parameters = j.at("parameters");
  t.task_token = j.at("task_token").get<std::string>();
  t.credentials = j.at("credentials");
  t.retry_count = j.at("retry_count").get<int>();
  if (j.contains("timeout_seconds")) t.timeout_seconds = j["timeout_seconds"].get<int64_t>();
  if (j.contains("heartbeat_seconds")) t.heartbeat_seconds = j["heartbeat_seconds"].get<int64_t>();
  if (j.contains("scheduled_at_ms"))
    t.scheduled_at = FromMillis(j["scheduled_at_ms"].get<int64_t>());
  t.started = j.value("started", false);
  return t;
}

Json FrameToJson(const Frame* f) {
    Json j = {{"id", f->id},
              {"parent", f->parent},
              {"graph", f->graph_id},
              {"state", f->state},
              {"previous_state", f->previous_state},
              {"phase", PhaseName(f->phase)},
              {"raw_input", f->raw_input},
              {"effective", f->effective},
              {"entered_event_id", f->entered_event_id},
              {"last_event_id", f->last_event_id},
              {"entered_time_ms", ToMillis(f->entered_time)},
              {"retry_attempts", f->retry_attempts},
              {"retry_count", f->retry_count},
              {"variables", f->variables},
              {"child_index", f->child_index},
              {"finished_children", f->finished_children},
              {"total_children", f->total_children},
              {"next_child", f->next_child},
              {"running_children", f->running_children},
              {"succeeded_children", f->succeeded_children},
              {"failed_children", f->failed_children},
              {"max_concurrency", f->max_concurrency},
              {"items", f->items},
              {"results", f->results},
              {"task_id", f->task_id},
              {"task_token", f->task_token},
              {"child_execution", f->child_execution},
              {"map_run_arn", f->map_run_arn},
              {"succeeded", f->succeeded},
              {"output", f->output},
              {"error", {{"error", f->error.error}, {"cause", f->error.cause}}}};
    if (f->wake_at) j["wake_at_ms"] = ToMillis(*f->wake_at);
    if (f->tolerated_count) j["tolerated_count"] = *f->tolerated_count;
    if (f->tolerated_percentage) j["tolerated_percentage"] = *f->tolerated_percentage;
    if (f->child_error)
      j["child_error"] = {{"error", f->child_error->error}, {"cause", f->child_error->cause}};
    if (f->task_result) {
      if (f->task_result->ok()) {
        j["task_result"] = {{"ok", f->task_result->value()}};
      } else {
        j["task_result"] = {{"error", f->task_result->error().error},
                            {"cause", f->task_result->error().cause}};
      }
    }
    if (f->input_consumed) j["input_consumed"] = true;
    if (f->resume_children) j["resume_children"] = true;
    if (f->map_run_ended) j["map_run_ended"] = true;
    if (f->map_run_redrives) j["map_run_redrives"] = f->map_run_redrives;
    if (f->map_run_redrive_time) j["map_run_redrive_time_ms"] = ToMillis(*f->map_run_redrive_time);
    return j;
}

Json ChildToJson(int64_t id, const ChildExecution& c) {
  return Json{{"id", id},
              {"arn", c.info.execution_arn},
              {"name", c.info.name},
              {"state_machine_arn", c.info.state_machine_arn},
              {"state_machine_name", c.info.state_machine_name},
              {"start_time_ms", ToMillis(c.info.start_time)},
              {"redrive_count", c.info.redrive_count},
              {"input", c.input},
              {"map_run_arn", c.map_run_arn},
              {"last_event_id", c.last_event_id}};
}

void ChildFromJson(const Json& j, const std::string& role_arn, ChildExecution* c) {
  c->info.execution_arn = j.at("arn").get<std::string>();
  c->info.name = j.at("name").get<std::string>();
  c->info.state_machine_arn = j.at("state_machine_arn").get<std::string>();
  c->info.state_machine_name = j.at("state_machine_name").get<std::string>();
  c->info.role_arn = role_arn;
  c->info.start_time = FromMillis(j.at("start_time_ms").get<int64_t>());
  c->info.redrive_count = j.value("redrive_count", 0);
  c->input = j.at("input");
  c->map_run_arn = j.at("map_run_arn").get<std::string>();
  c->last_event_id = j.at("last_event_id").get<int64_t>();
}
}  // namespace

Json Runner::Snapshot() const {
  Json frames = Json::array();
  for (const auto& [id, f] : frames_) frames.push_back(FrameToJson(f.get()));
  Json pending = Json::array();
  for (const auto& [id, t] : pending_tasks_) pending.push_back(TaskToJson(t));
  Json children = Json::array();
  for (const auto& [id, c] : children_) children.push_back(ChildToJson(id, c));
  Json snapshot{{"version", 1},
              {"execution",
               {{"arn", info_.execution_arn},
                {"name", info_.name},
                {"role_arn", info_.role_arn},
                {"state_machine_arn", info_.state_machine_arn},
                {"state_machine_name", info_.state_machine_name},
                {"start_time_ms", ToMillis(info_.start_time)},
                {"redrive_count", info_.redrive_count}}},
              {"input", input_},
              {"status", ExecutionStatusName(status_)},
              {"output", output_},
              {"error", {{"error", error_.error}, {"cause", error_.cause}}},
              {"frames", std::move(frames)},
              {"ready", Json(ready_.ToVector())},
              {"next_frame_id", next_frame_id_},
              {"next_task_id", next_task_id_},
              {"last_event_id", last_event_id_},
              {"pending_tasks", std::move(pending)},
              {"children", std::move(children)},
              {"next_child_execution", next_child_execution_}};
  if (info_.redrive_time) snapshot["execution"]["redrive_time_ms"] = ToMillis(*info_.redrive_time);
  if (!dormant_.empty()) {
    Json dormant = Json::array();
    for (const auto& [id, f] : dormant_) dormant.push_back(FrameToJson(f.get()));
    snapshot["dormant"] = std::move(dormant);
  }
  if (!dormant_children_.empty()) {
    Json dormant = Json::array();
    for (const auto& [id, c] : dormant_children_) dormant.push_back(ChildToJson(id, c));
    snapshot["dormant_children"] = std::move(dormant);
  }
  return snapshot;
}

Status Runner::Restore(const Json& s) {
  try {
    if (s.at("version").get<int>() != 1) return InvalidArgumentError("unknown snapshot version");
    const Json& e = s.at("execution");
    info_.execution_arn = e.at("arn").get<std::string>();
    info_.name = e.at("name").get<std::string>();
    info_.role_arn = e.at("role_arn").get<std::string>();
    info_.state_machine_arn = e.at("state_machine_arn").get<std::string>();
    info_.state_machine_name = e.at("state_machine_name").get<std::string>();
    info_.start_time = FromMillis(e.at("start_time_ms").get<int64_t>());
    info_.redrive_count = e.at("redrive_count").get<int>();
    input_ = s.at("input");
    const std::string st = s.at("status").get<std::string>();
    status_ = ExecutionStatus::kRunning;
    for (ExecutionStatus x :
         {ExecutionStatus::kRunning, ExecutionStatus::kSucceeded, ExecutionStatus::kFailed,
          ExecutionStatus::kTimedOut, ExecutionStatus::kAborted}) {
      if (st == ExecutionStatusName(x)) status_ = x;
    }
    output_ = s.at("output");
    error_ = AslError{s.at("error").at("error").get<std::string>(),
                      s.at("error").at("cause").get<std::string>()};
    auto frame_from_json = [&](const Json& j) -> StatusOr<std::unique_ptr<Frame>> {
      auto f = std::make_unique<Frame>();
      f->id = j.at("id").get<int64_t>();
      f->parent = j.at("parent").get<int64_t>();
      f->graph_id = j.at("graph").get<int>();
      const StateGraph* g = machine_->graph(f->graph_id);
      f->state = j.at("state").get<int>();
      if (g == nullptr || f->state < 0 || static_cast<size_t>(f->state) >= g->states.size()) {
        return InvalidArgumentError("snapshot does not fit the state machine");
      }
      f->previous_state = j.at("previous_state").get<int>();
      if (f->previous_state >= static_cast<int>(g->states.size())) {
        return InvalidArgumentError("snapshot does not fit the state machine");
      }
      auto phase = PhaseFromName(j.at("phase").get<std::string>());
      if (!phase) return InvalidArgumentError("snapshot has an unknown phase");
      f->phase = *phase;
      f->raw_input = j.at("raw_input");
      f->effective = j.at("effective");
      f->entered_event_id = j.at("entered_event_id").get<int64_t>();
      f->last_event_id = j.at("last_event_id").get<int64_t>();
      f->entered_time = FromMillis(j.at("entered_time_ms").get<int64_t>());
      f->retry_attempts = j.at("retry_attempts").get<std::vector<int>>();
      if (f->retry_attempts.size() != g->state(f->state).retriers.size()) {
        return InvalidArgumentError("snapshot does not fit the state machine");
      }
      f->retry_count = j.at("retry_count").get<int>();
      f->variables = j.at("variables");
      f->child_index = j.at("child_index").get<int64_t>();
      f->finished_children = j.at("finished_children").get<std::vector<int64_t>>();
      f->total_children = j.at("total_children").get<int64_t>();
      f->next_child = j.at("next_child").get<int64_t>();
      f->running_children = j.at("running_children").get<int64_t>();
      f->succeeded_children = j.at("succeeded_children").get<int64_t>();
      f->failed_children = j.at("failed_children").get<int64_t>();
      f->max_concurrency = j.at("max_concurrency").get<int64_t>();
      f->items = j.at("items");
      f->results = j.at("results");
      f->task_id = j.at("task_id").get<int64_t>();
      f->task_token = j.at("task_token").get<std::string>();
      f->child_execution = j.at("child_execution").get<int64_t>();
      f->map_run_arn = j.at("map_run_arn").get<std::string>();
      f->succeeded = j.at("succeeded").get<bool>();
      f->output = j.at("output");
      f->error = AslError{j.at("error").at("error").get<std::string>(),
                          j.at("error").at("cause").get<std::string>()};
      if (j.contains("wake_at_ms")) f->wake_at = FromMillis(j["wake_at_ms"].get<int64_t>());
      if (j.contains("tolerated_count")) f->tolerated_count = j["tolerated_count"].get<int64_t>();
      if (j.contains("tolerated_percentage")) {
        f->tolerated_percentage = j["tolerated_percentage"].get<double>();
      }
      if (j.contains("child_error")) {
        f->child_error = AslError{j["child_error"].at("error").get<std::string>(),
                                  j["child_error"].at("cause").get<std::string>()};
      }
      if (j.contains("task_result")) {
        const Json& tr = j["task_result"];
        if (tr.contains("ok")) {
          f->task_result = AslResult<Json>(tr["ok"]);
        } else {
          f->task_result = AslResult<Json>(
              AslError{tr.at("error").get<std::string>(), tr.at("cause").get<std::string>()});
        }
      }
      f->input_consumed = j.value("input_consumed", false);
      f->resume_children = j.value("resume_children", false);
      f->map_run_ended = j.value("map_run_ended", false);
      f->map_run_redrives = j.value("map_run_redrives", int64_t{0});
      if (j.contains("map_run_redrive_time_ms")) {
        f->map_run_redrive_time = FromMillis(j["map_run_redrive_time_ms"].get<int64_t>());
      }
      return f;
    };
    for (const Json& j : s.at("frames")) {
      StatusOr<std::unique_ptr<Frame>> f = frame_from_json(j);
      if (!f.ok()) return f.status();
      if ((*f)->wake_at && ((*f)->phase == Phase::kTimer || (*f)->phase == Phase::kRetry)) {
        parked_.insert((*f)->id);
      }
      frames_.emplace((*f)->id, std::move(f).value());
    }
    if (s.contains("dormant")) {
      for (const Json& j : s["dormant"]) {
        StatusOr<std::unique_ptr<Frame>> f = frame_from_json(j);
        if (!f.ok()) return f.status();
        dormant_.emplace((*f)->id, std::move(f).value());
      }
    }
    if (s.contains("dormant_children")) {
      for (const Json& j : s["dormant_children"]) {
        ChildFromJson(j, info_.role_arn, &dormant_children_[j.at("id").get<int64_t>()]);
      }
    }
    if (e.contains("redrive_time_ms")) {
      info_.redrive_time = FromMillis(e["redrive_time_ms"].get<int64_t>());
    }
    for (const Json& id : s.at("ready")) {
      Frame* f = Find(id.get<int64_t>());
      if (f == nullptr) return InvalidArgumentError("snapshot readies an unknown unit");
      f->queued = true;
      ready_.push_back(f->id);
    }
    next_frame_id_ = s.at("next_frame_id").get<int64_t>();
    next_task_id_ = s.at("next_task_id").get<int64_t>();
    last_event_id_ = s.at("last_event_id").get<int64_t>();
    for (const Json& t : s.at("pending_tasks")) {
      TaskRequest req = TaskFromJson(t);
      pending_tasks_.emplace(req.task_id, std::move(req));
    }
    for (const Json& j : s.at("children")) {
      ChildFromJson(j, info_.role_arn, &children_[j.at("id").get<int64_t>()]);
    }
    next_child_execution_ = s.at("next_child_execution").get<int64_t>();
  } catch (const std::exception& ex) {
    return InvalidArgumentError(std::string("malformed snapshot: ") + ex.what());
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Redrive

Status Runner::Redrive(TimePoint now) {
  if (status_ == ExecutionStatus::kRunning || status_ == ExecutionStatus::kSucceeded) {
    return FailedPreconditionError("Execution is " + std::string(ExecutionStatusName(status_)) +
                                   " and cannot be redriven");
  }
  Frame* root = nullptr;
  for (auto& [id, f] : dormant_) {
    if (f->parent == 0) root = f.get();
    if (f->input_consumed) {
      return FailedPreconditionError("Execution cannot be redriven: the input of state '" +
                                     GraphOf(*f).state(f->state).name + "' was not kept");
    }
  }
  if (root == nullptr) {
    return FailedPreconditionError(
        "Execution cannot be redriven: it ended before this server kept redrive points");
  }
  status_ = ExecutionStatus::kRunning;
  output_ = Json();
  error_ = AslError();
  ++info_.redrive_count;
  info_.redrive_time = now;
  Emit(nullptr, now, "ExecutionRedriven", "executionRedrivenEventDetails",
       EventDetails().Int("redriveCount", info_.redrive_count).Take());
  root->last_event_id = last_event_id_;
  Revive(*root, now);
  return Status::OK();
}

void Runner::Revive(Frame& dormant, TimePoint now) {
  auto node = dormant_.extract(dormant.id);
  Frame& f = *frames_.insert(std::move(node)).position->second;
  Frame* parent = Find(f.parent);
  if (f.phase == Phase::kDone && f.succeeded) {
    // Finished before the stop, not yet collected by its Parallel/Map.
    if (parent != nullptr) {
      parent->finished_children.push_back(f.id);
      MakeReady(*parent, false);
    }
    return;
  }
  const State& state = StateOf(f);
  const bool resume = f.resume_children &&
                      (state.type == StateType::kParallel || state.type == StateType::kMap);
  if (!resume) {
    DiscardDormant(f.id);
    f.phase = Phase::kEnter;
    f.succeeded = false;
    f.error = AslError();
    f.output = Json();
    f.task_id = 0;
    f.task_token.clear();
    f.task_result.reset();
    f.effective = Json();
    f.finished_children.clear();
    f.resume_children = false;
    MakeReady(f, false);
    return;
  }
  f.phase = Phase::kChildren;
  f.succeeded = false;
  f.error = AslError();
  f.resume_children = false;
  f.finished_children.clear();
  const bool is_map = state.type == StateType::kMap;
  const auto* map = is_map ? static_cast<const MapState*>(&state) : nullptr;
  if (is_map) {
    f.failed_children = 0;
    if (!f.map_run_arn.empty()) {
      f.map_run_ended = false;
      ++f.map_run_redrives;
      f.map_run_redrive_time = now;
      Emit(&f, now, "MapRunRedriven", "mapRunRedrivenEventDetails",
           EventDetails()
               .String("mapRunArn", f.map_run_arn)
               .Int("redriveCount", f.map_run_redrives)
               .Take());
      NoteMapRun(f, MapRunStatus::kRunning, now);
    }
  }
  std::vector<Frame*> children;
  for (auto& [id, c] : dormant_) {
    if (c->parent == f.id) children.push_back(c.get());
  }
  std::sort(children.begin(), children.end(),
            [](const Frame* a, const Frame* b) { return a->child_index < b->child_index; });
  f.running_children = static_cast<int64_t>(children.size());
  for (Frame* c : children) {
    if (c->phase == Phase::kDone && c->succeeded) {
      Revive(*c, now);
      continue;
    }
    if (c->child_execution != f.child_execution) {
      // The root of a child execution of a DISTRIBUTED Map: redriven too.
      auto node = dormant_children_.extract(c->child_execution);
      if (!node.empty()) {
        ChildExecution& child = children_.insert(std::move(node)).position->second;
        ++child.info.redrive_count;
        Append(c->child_execution, child.last_event_id, now, "ExecutionRedriven",
               "executionRedrivenEventDetails",
               EventDetails().Int("redriveCount", child.info.redrive_count).Take());
        c->last_event_id = child.last_event_id;
        ChildExecutionStart start;
        start.id = c->child_execution;
        start.info = child.info;
        start.map_run_arn = child.map_run_arn;
        start.type = map->child_execution_type;
        start.input = child.input;
        start.redriven = true;
        new_children_.push_back(std::move(start));
      }
    } else {
      if (is_map) {
        Emit(&f, now, "MapIterationStarted", "mapIterationStartedEventDetails",
             options_.record_history
                 ? EventDetails().String("name", state.name).Int("index", c->child_index).Take()
                 : std::string());
      }
      c->last_event_id = f.last_event_id;
    }
    Revive(*c, now);
  }
  // A Map may start the iterations it never reached.
  if (is_map) MakeReady(f, false);
}

}  // namespace interpreter_internal

// ---------------------------------------------------------------------------
// Execution

using interpreter_internal::Frame;
using interpreter_internal::Phase;
using interpreter_internal::Runner;
using interpreter_internal::StepContext;

std::string_view ExecutionStatusName(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kRunning:
      return "RUNNING";
    case ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case ExecutionStatus::kFailed:
      return "FAILED";
    case ExecutionStatus::kTimedOut:
      return "TIMED_OUT";
    case ExecutionStatus::kAborted:
      return "ABORTED";
  }
  return "RUNNING";
}

Execution::Execution() = default;
Execution::~Execution() = default;

std::unique_ptr<Execution> Execution::Start(std::shared_ptr<const StateMachine> machine,
                                            ExecutionInfo info, Json input, TimePoint now,
                                            const ExecutionOptions& options) {
  std::unique_ptr<Execution> e(new Execution());
  e->runner_ = std::make_unique<Runner>(std::move(machine), options);
  e->runner_->info_ = std::move(info);
  e->runner_->Begin(std::move(input), now);
  return e;
}

StatusOr<std::unique_ptr<Execution>> Execution::StartAt(std::shared_ptr<const StateMachine> machine,
                                                        ExecutionInfo info, Json input,
                                                        TimePoint now, const StartPoint& start,
                                                        const ExecutionOptions& options) {
  STEPD_ASSIGN_OR_RETURN(const int state, TopLevelStateIndex(*machine, start.state));
  if (!start.variables.is_null() && !start.variables.is_object()) {
    return InvalidArgumentError("The variables to start state '" + start.state +
                                "' with must be an object or null, not " +
                                start.variables.type_name());
  }
  std::unique_ptr<Execution> e(new Execution());
  e->runner_ = std::make_unique<Runner>(std::move(machine), options);
  e->runner_->info_ = std::move(info);
  e->runner_->Begin(std::move(input), now, state, start.variables);
  return e;
}

StatusOr<std::unique_ptr<Execution>> Execution::Restore(std::shared_ptr<const StateMachine> machine,
                                                        const Json& snapshot,
                                                        const ExecutionOptions& options) {
  std::unique_ptr<Execution> e(new Execution());
  e->runner_ = std::make_unique<Runner>(std::move(machine), options);
  STEPD_RETURN_IF_ERROR(e->runner_->Restore(snapshot));
  return e;
}

StepResult Execution::Step(TimePoint now) { return runner_->Step(now); }

std::vector<TaskRequest> Execution::TakeTaskRequests() {
  std::vector<TaskRequest> out;
  out.swap(runner_->new_tasks_);
  return out;
}

std::vector<ChildExecutionStart> Execution::LiveChildExecutions() const {
  std::vector<ChildExecutionStart> out;
  for (const auto& [id, c] : runner_->children_) {
    ChildExecutionStart start;
    start.id = id;
    start.info = c.info;
    start.map_run_arn = c.map_run_arn;
    start.input = c.input;
    out.push_back(std::move(start));
  }
  return out;
}

std::vector<MapRunInfo> Execution::TakeMapRunChanges() {
  std::vector<MapRunInfo> out;
  out.swap(runner_->map_run_changes_);
  return out;
}

Status Execution::UpdateMapRun(std::string_view arn, std::optional<int64_t> max_concurrency,
                               std::optional<int64_t> tolerated_failure_count,
                               std::optional<double> tolerated_failure_percentage, TimePoint now) {
  if ((max_concurrency && *max_concurrency < 0) ||
      (tolerated_failure_count && *tolerated_failure_count < 0)) {
    return InvalidArgumentError("UpdateMapRun: counts cannot be negative");
  }
  if (tolerated_failure_percentage &&
      !(*tolerated_failure_percentage >= 0 && *tolerated_failure_percentage <= 100)) {
    return InvalidArgumentError("UpdateMapRun: the tolerated failure percentage must be 0..100");
  }
  Runner& r = *runner_;
  for (auto& [id, f] : r.frames_) {
    if (f->map_run_arn != arn || f->map_run_ended || f->phase == Phase::kDone) continue;
    if (max_concurrency) f->max_concurrency = *max_concurrency;
    if (tolerated_failure_count) f->tolerated_count = *tolerated_failure_count;
    if (tolerated_failure_percentage) f->tolerated_percentage = *tolerated_failure_percentage;
    r.NoteMapRun(*f, MapRunStatus::kRunning, now);
    if (!f->queued) r.MakeReady(*f, false);  // starts more children if it may now
    return Status::OK();
  }
  return NotFoundError("UpdateMapRun: no running Map Run '" + std::string(arn) + "'");
}

std::vector<ChildExecutionStart> Execution::TakeChildExecutions() {
  std::vector<ChildExecutionStart> out;
  out.swap(runner_->new_children_);
  return out;
}

std::vector<TaskRequest> Execution::PendingTasks() const {
  std::vector<TaskRequest> out;
  for (const auto& [id, t] : runner_->pending_tasks_) out.push_back(t);
  return out;
}

Status Execution::MarkTaskStarted(int64_t task_id, std::string_view worker_name, TimePoint now) {
  auto it = runner_->pending_tasks_.find(task_id);
  if (it == runner_->pending_tasks_.end()) {
    return NotFoundError("no pending task " + std::to_string(task_id));
  }
  Frame* f = runner_->Find(it->second.unit_id);
  if (f == nullptr)
    return NotFoundError("task " + std::to_string(task_id) + " has no waiting unit");
  if (it->second.started) return Status::OK();
  it->second.started = true;
  runner_->Emit(f, now, "ActivityStarted", "activityStartedEventDetails",
                EventDetails().String("workerName", worker_name).Take());
  return Status::OK();
}

Status Execution::CompleteTask(int64_t task_id, AslResult<Json> result, TimePoint now) {
  (void)now;
  auto it = runner_->pending_tasks_.find(task_id);
  if (it == runner_->pending_tasks_.end()) {
    return NotFoundError("no pending task " + std::to_string(task_id));
  }
  Frame* f = runner_->Find(it->second.unit_id);
  runner_->pending_tasks_.erase(it);
  if (f == nullptr || f->phase != Phase::kTask || f->task_id != task_id) {
    return NotFoundError("task " + std::to_string(task_id) + " has no waiting unit");
  }
  f->task_result = std::move(result);
  runner_->MakeReady(*f, true);
  return Status::OK();
}

void Execution::Stop(ExecutionStatus status, std::string error, std::string cause, TimePoint now) {
  Runner& r = *runner_;
  if (r.status_ != ExecutionStatus::kRunning) return;
  r.status_ = status;
  r.error_ = AslError{std::move(error), std::move(cause)};
  r.AbortMapRuns(now);
  r.AbortAllChildExecutions(now);
  std::string d = interpreter_internal::ErrorDetails(r.error_);
  if (status == ExecutionStatus::kTimedOut) {
    r.Emit(nullptr, now, "ExecutionTimedOut", "executionTimedOutEventDetails", std::move(d));
  } else if (status == ExecutionStatus::kAborted) {
    r.Emit(nullptr, now, "ExecutionAborted", "executionAbortedEventDetails", std::move(d));
  } else {
    r.Emit(nullptr, now, "ExecutionFailed", "executionFailedEventDetails", std::move(d));
  }
  r.ready_.clear();
  r.parked_.clear();
  r.pending_tasks_.clear();
  for (auto& [id, f] : r.frames_) {
    if (f->phase == Phase::kChildren) f->resume_children = true;
  }
  while (!r.frames_.empty()) r.Retire(r.frames_.begin()->first);
}

Status Execution::Redrive(TimePoint now) { return runner_->Redrive(now); }

std::vector<HistoryEvent> Execution::TakeEvents() {
  std::vector<HistoryEvent> out;
  out.swap(runner_->events_);
  return out;
}

void Execution::TakeEvents(std::vector<HistoryEvent>* out) {
  auto& events = runner_->events_;
  out->insert(out->end(), std::make_move_iterator(events.begin()),
              std::make_move_iterator(events.end()));
  events.clear();
}

int64_t Execution::last_event_id() const { return runner_->last_event_id_; }
ExecutionStatus Execution::status() const { return runner_->status_; }
const Json& Execution::output() const { return runner_->output_; }
const AslError& Execution::error() const { return runner_->error_; }
const ExecutionInfo& Execution::info() const { return runner_->info_; }
const Json& Execution::input() const { return runner_->input_; }
const StateMachine& Execution::machine() const { return *runner_->machine_; }
Json Execution::Snapshot() const { return runner_->Snapshot(); }

// ---------------------------------------------------------------------------
// Limits the driver enforces

bool EnforceHistoryLimit(Execution& execution, int64_t max_events, TimePoint now) {
  if (max_events <= 0 || execution.last_event_id() <= max_events ||
      execution.status() != ExecutionStatus::kRunning) {
    return false;
  }
  execution.Stop(ExecutionStatus::kFailed, "States.Runtime",
                 "The execution reached the maximum number of history events (" +
                     std::to_string(max_events) + ").",
                 now);
  return true;
}

std::optional<TimePoint> ExecutionDeadline(const Execution& execution) {
  if (!execution.machine().timeout_seconds) return std::nullopt;
  const TimePoint from = execution.info().redrive_time.value_or(execution.info().start_time);
  return from + std::chrono::seconds(*execution.machine().timeout_seconds);
}

bool EnforceExecutionTimeout(Execution& execution, TimePoint now) {
  const std::optional<TimePoint> deadline = ExecutionDeadline(execution);
  if (!deadline || now < *deadline || execution.status() != ExecutionStatus::kRunning) return false;
  execution.Stop(ExecutionStatus::kTimedOut, "States.Timeout",
                 "The execution timed out after " +
                     std::to_string(*execution.machine().timeout_seconds) + " seconds.",
                 now);
  return true;
}

// ---------------------------------------------------------------------------
// RunExecution

void RunExecution(Execution& execution, TaskInvoker& invoker, Clock& clock,
                  std::vector<HistoryEvent>* history, int64_t max_events) {
  struct Done {
    int64_t task_id;
    AslResult<Json> result;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Done> done;  // guarded by mu
  auto* fake = dynamic_cast<FakeClock*>(&clock);
  const std::optional<TimePoint> deadline = ExecutionDeadline(execution);
  auto drain_events = [&] {
    (void)execution.TakeChildExecutions();
    if (history) {
      const size_t from = history->size();
      execution.TakeEvents(history);
      history->erase(
          std::remove_if(history->begin() + static_cast<std::ptrdiff_t>(from), history->end(),
                         [](const HistoryEvent& e) { return e.child_execution != 0; }),
          history->end());
    } else {
      (void)execution.TakeEvents();
    }
  };
  while (true) {
    {
      std::vector<Done> ready;
      {
        std::lock_guard<std::mutex> lock(mu);
        ready.swap(done);
      }
      for (auto& d : ready) {
        (void)execution.CompleteTask(d.task_id, std::move(d.result), clock.Now());
      }
    }
    StepResult r = execution.Step(clock.Now());
    for (TaskRequest& t : execution.TakeTaskRequests()) {
      const int64_t id = t.task_id;
      invoker.Invoke(t, [&, id](AslResult<Json> result) {
        std::lock_guard<std::mutex> lock(mu);
        done.push_back(Done{id, std::move(result)});
        cv.notify_all();
      });
    }
    EnforceHistoryLimit(execution, max_events, clock.Now());
    EnforceExecutionTimeout(execution, clock.Now());
    if (history) drain_events();
    if (execution.status() != ExecutionStatus::kRunning) break;
    if (r.kind != StepResult::Kind::kBlocked) continue;
    if (deadline && (!r.wake_at || *r.wake_at > *deadline)) r.wake_at = deadline;
    std::unique_lock<std::mutex> lock(mu);
    if (!done.empty()) continue;
    if (r.wake_at) {
      if (fake != nullptr && r.pending_tasks == 0) {
        fake->Set(*r.wake_at);
        continue;
      }
      auto wait = *r.wake_at - clock.Now();
      if (wait > Duration::zero()) {
        cv.wait_for(lock, wait, [&] { return !done.empty(); });
      }
      if (fake != nullptr && done.empty() && clock.Now() < *r.wake_at) fake->Set(*r.wake_at);
    } else if (r.pending_tasks > 0) {
      cv.wait(lock, [&] { return !done.empty(); });
    } else {
      // Nothing parked and nothing pending: cannot happen while running.
      lock.unlock();
      execution.Stop(ExecutionStatus::kFailed, "States.Runtime",
                     "The execution stalled with no runnable state.", clock.Now());
      if (history) drain_events();
      break;
    }
  }
}

}  // namespace stepd::asl
