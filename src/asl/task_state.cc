// Task: hands a TaskRequest to the driver and completes when it answers.
#include <openssl/rand.h>

#include <cmath>
#include <cstdlib>

#include "runner.h"

namespace stepd::asl {
namespace {

// How history names a resource: Lambda function ARNs get LambdaFunction*
// events; service integrations "arn:aws:states:::svc:action" get Task* events
// with resourceType "svc" and resource "action".
struct ResourceName {
  bool lambda_function = false;
  bool activity = false;  // arn:aws:states:REGION:ACCOUNT:activity:NAME: Activity* events
  std::string type;
  std::string name;
};

ResourceName Describe(const std::string& arn) {
  ResourceName r;
  constexpr std::string_view kStates = "arn:aws:states:::";
  if (arn.rfind(kStates, 0) == 0) {
    std::string rest = arn.substr(kStates.size());
    size_t colon = rest.find(':');
    r.type = rest.substr(0, colon);
    r.name = colon == std::string::npos ? "" : rest.substr(colon + 1);
    return r;
  }
  if (arn.find(":lambda:") != std::string::npos && arn.find(":function:") != std::string::npos) {
    r.lambda_function = true;
  } else if (arn.rfind("arn:", 0) == 0 && arn.find(":states:") != std::string::npos &&
             arn.find(":activity:") != std::string::npos) {
    r.activity = true;
  }
  r.type = "activity";
  r.name = arn;
  return r;
}

// 256 bits from OpenSSL's CSPRNG, hex: a token is a bearer credential
// (SendTaskSuccess trusts whoever holds it), so it must not be guessable
// from other tokens the way a seeded mt19937 stream would be.
std::string NewTaskToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no entropy: nothing safe to do
  static constexpr char kHex[] = "0123456789abcdef";
  std::string t;
  t.reserve(64);
  for (unsigned char b : bytes) {
    t.push_back(kHex[b >> 4]);
    t.push_back(kHex[b & 15]);
  }
  return t;
}

AslResult<std::optional<int64_t>> ResolveSeconds(interpreter_internal::StepContext& ctx,
                                                 const IntOrPath& f, const Json& input,
                                                 std::string_view field) {
  if (f.value) return std::optional<int64_t>(*f.value);
  if (f.expression) {
    auto r = f.expression->Evaluate(ctx.JsonataView(&input));
    if (auto* failure = std::get_if<JsonataFailure>(&r)) {
      return ctx.EvaluationFailed(std::move(*failure));
    }
    const Json& v = std::get<Json>(r);
    const bool integral = v.is_number_integer() || v.is_number_unsigned() ||
                          (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    if (!integral || v.get<double>() < 1 || v.get<double>() > 99999999) {
      return ctx.EvaluationFailed(f.expression->UnexpectedType("integer", v));
    }
    return std::optional<int64_t>(static_cast<int64_t>(v.get<double>()));
  }
  if (!f.path) return std::optional<int64_t>();
  std::optional<Json> v = f.path->Evaluate(ctx.Scope(&input));
  if (!v || !v->is_number_integer() || v->get<int64_t>() <= 0) {
    return ctx.RuntimeError("The " + std::string(field) + " field refers to value \"" +
                            (v ? v->dump() : std::string("null")) +
                            "\" which is not a valid positive integer: " + f.path_text);
  }
  return std::optional<int64_t>(v->get<int64_t>());
}

}  // namespace

void TaskState::Enter(interpreter_internal::StepContext& ctx) const {
  TaskRequest req;
  // The token is visible to Parameters as $$.Task.Token.
  ctx.frame().task_token = wait_for_task_token ? NewTaskToken() : std::string();
  std::optional<Json> eff = ctx.EffectiveInput(true);
  if (!eff) return;
  auto timeout = ResolveSeconds(ctx, timeout_seconds, ctx.frame().raw_input, "TimeoutSecondsPath");
  if (!timeout.ok()) return ctx.Fail(std::move(timeout).take_error());
  auto heartbeat =
      ResolveSeconds(ctx, heartbeat_seconds, ctx.frame().raw_input, "HeartbeatSecondsPath");
  if (!heartbeat.ok()) return ctx.Fail(std::move(heartbeat).take_error());
  req.timeout_seconds = timeout.value();
  req.heartbeat_seconds = heartbeat.value();
  req.resource = resource;
  if (credentials) req.credentials = *credentials;
  req.task_token = ctx.frame().task_token;
  const ResourceName rn = Describe(resource);
  const bool history = ctx.runner().options_.record_history;
  if (rn.activity) {
    // ActivityStarted follows when a worker takes the task (MarkTaskStarted).
    EventDetails d;
    d.String("resource", resource);
    if (history) d.Payload("input", *eff, "inputDetails");
    if (req.timeout_seconds) d.Int("timeoutInSeconds", *req.timeout_seconds);
    if (req.heartbeat_seconds) d.Int("heartbeatInSeconds", *req.heartbeat_seconds);
    ctx.Emit("ActivityScheduled", "activityScheduledEventDetails", d.Take());
  } else if (rn.lambda_function) {
    EventDetails d;
    d.String("resource", resource);
    if (history) d.Payload("input", *eff, "inputDetails");
    if (req.timeout_seconds) d.Int("timeoutInSeconds", *req.timeout_seconds);
    ctx.Emit("LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", d.Take());
    ctx.Emit("LambdaFunctionStarted", "", std::string());
  } else {
    EventDetails d;
    d.String("resourceType", rn.type)
        .String("resource", rn.name)
        .String("region", ctx.runner().Region());
    if (history) d.Payload("parameters", *eff);
    if (req.timeout_seconds) d.Int("timeoutInSeconds", *req.timeout_seconds);
    if (req.heartbeat_seconds) d.Int("heartbeatInSeconds", *req.heartbeat_seconds);
    ctx.Emit("TaskScheduled", "taskScheduledEventDetails", d.Take());
    ctx.Emit("TaskStarted", "taskStartedEventDetails",
             EventDetails().String("resourceType", rn.type).String("resource", rn.name).Take());
  }
  req.parameters = std::move(*eff);
  ctx.ScheduleTask(std::move(req));
}

void TaskState::Resume(interpreter_internal::StepContext& ctx) const {
  interpreter_internal::Frame& f = ctx.frame();
  if (!f.task_result) return;  // spurious wake-up
  AslResult<Json> result = std::move(*f.task_result);
  f.task_result.reset();
  f.task_id = 0;
  const ResourceName rn = Describe(resource);
  const bool history = ctx.runner().options_.record_history;
  if (result.ok()) {
    if (rn.activity) {
      EventDetails d;
      if (history) d.Payload("output", result.value(), "outputDetails");
      ctx.Emit("ActivitySucceeded", "activitySucceededEventDetails", d.Take());
    } else if (rn.lambda_function) {
      EventDetails d;
      if (history) d.Payload("output", result.value(), "outputDetails");
      ctx.Emit("LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails", d.Take());
    } else {
      EventDetails d;
      d.String("resourceType", rn.type).String("resource", rn.name);
      if (history) d.Payload("output", result.value(), "outputDetails");
      ctx.Emit("TaskSucceeded", "taskSucceededEventDetails", d.Take());
    }
    ctx.Complete(std::move(result).value(), true);
    return;
  }
  AslError err = std::move(result).take_error();
  // A missed heartbeat is reported as States.Timeout, as AWS reports it;
  // Retry and Catch still tell it apart by "States.HeartbeatTimeout".
  const bool heartbeat_timeout = err.error == StatesErrorName(StatesError::kHeartbeatTimeout);
  if (heartbeat_timeout) err.error = std::string(StatesErrorName(StatesError::kTimeout));
  EventDetails d;
  if (!rn.lambda_function && !rn.activity) {
    d.String("resourceType", rn.type).String("resource", rn.name);
  }
  d.String("error", err.error).String("cause", err.cause);
  const bool timed_out = err.error == StatesErrorName(StatesError::kTimeout);
  if (rn.activity) {
    ctx.Emit(timed_out ? "ActivityTimedOut" : "ActivityFailed",
             timed_out ? "activityTimedOutEventDetails" : "activityFailedEventDetails", d.Take());
  } else if (timed_out) {
    ctx.Emit(rn.lambda_function ? "LambdaFunctionTimedOut" : "TaskTimedOut",
             rn.lambda_function ? "lambdaFunctionTimedOutEventDetails" : "taskTimedOutEventDetails",
             d.Take());
  } else {
    ctx.Emit(rn.lambda_function ? "LambdaFunctionFailed" : "TaskFailed",
             rn.lambda_function ? "lambdaFunctionFailedEventDetails" : "taskFailedEventDetails",
             d.Take());
  }
  ctx.Fail(std::move(err), {}, heartbeat_timeout);
}

Status Execution::MarkTaskSubmitted(int64_t task_id, const Json& output, TimePoint now) {
  auto it = runner_->pending_tasks_.find(task_id);
  if (it == runner_->pending_tasks_.end()) {
    return NotFoundError("no pending task " + std::to_string(task_id));
  }
  interpreter_internal::Frame* f = runner_->Find(it->second.unit_id);
  if (f == nullptr)
    return NotFoundError("task " + std::to_string(task_id) + " has no waiting unit");
  const ResourceName rn = Describe(it->second.resource);
  EventDetails d;
  d.String("resourceType", rn.type).String("resource", rn.name);
  if (runner_->options_.record_history) d.Payload("output", output, "outputDetails");
  runner_->Emit(f, now, "TaskSubmitted", "taskSubmittedEventDetails", d.Take());
  return Status::OK();
}

}  // namespace stepd::asl
