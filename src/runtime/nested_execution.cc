#include "stepd/runtime/nested_execution.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "stepd/base/aws_names.h"
#include "stepd/base/crypto.h"

namespace stepd::runtime {
namespace {

using asl::AslError;
using asl::AslResult;
using asl::StatesError;

enum class Pattern { kRequestResponse, kSync, kSync2, kWaitForTaskToken };

// The child's attribute that names the task that started it.
constexpr char kStartedByTask[] = "startedByTask";

std::optional<Pattern> PatternOf(std::string_view resource) {
  if (!resource.starts_with(kStartExecutionResource)) return std::nullopt;
  const std::string_view suffix = resource.substr(kStartExecutionResource.size());
  if (suffix.empty()) return Pattern::kRequestResponse;
  if (suffix == ".sync") return Pattern::kSync;
  if (suffix == ".sync:2") return Pattern::kSync2;
  if (suffix == ".waitForTaskToken") return Pattern::kWaitForTaskToken;
  return std::nullopt;
}

bool Waits(Pattern p) { return p == Pattern::kSync || p == Pattern::kSync2; }

AslError Runtime(std::string cause) {
  return AslError::Of(StatesError::kRuntime, std::move(cause));
}

// A refusal of StartExecution, as AWS's integration reports it.
AslError Refused(std::string_view code, std::string_view message) {
  std::string error = "StepFunctions." + std::string(code);
  if (!code.ends_with("Exception")) error += "Exception";
  return AslError{std::move(error), std::string(message) +
                                        " (Service: AWSStepFunctions; Status Code: 400; " +
                                        "Error Code: " + std::string(code) +
                                        "; Request ID: " + RandomUuid() + "; Proxy: null)"};
}

// What the Parameters ask for.
struct Target {
  std::string arn;          // StateMachineArn as given
  std::string machine_arn;  // without a version or alias qualifier
  int64_t version = 0;      // > 0: a version ARN
  std::string alias;        // non-empty: an alias ARN
  std::string name;         // as given, or named after the task
  std::string input;        // JSON text
};

// arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:VERSION|:ALIAS], as
// StartExecution accepts it; the refusal otherwise.
std::optional<AslError> ParseMachineArn(Target* t) {
  std::vector<std::string_view> parts;
  std::string_view rest = t->arn;
  for (size_t colon; (colon = rest.find(':')) != std::string_view::npos;) {
    parts.push_back(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  parts.push_back(rest);
  if (parts.size() < 7 || parts[0] != "arn" || parts[1].empty() || parts[2] != "states" ||
      parts[3].empty() || parts[4].empty() || parts[5].empty() || parts[6].empty()) {
    return Refused("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + t->arn + "'");
  }
  if (parts[5] != "stateMachine") {
    return Refused("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " +
                                     std::string(parts[5]) + "'");
  }
  const auto missing = [&] {
    return Refused("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + t->arn + "'");
  };
  if (parts.size() > 8) return missing();
  if (parts.size() == 7) {
    t->machine_arn = t->arn;
    return std::nullopt;
  }
  const std::string_view qualifier = parts[7];
  if (qualifier.empty()) return missing();
  t->machine_arn = t->arn.substr(0, t->arn.size() - qualifier.size() - 1);
  if (qualifier.find_first_not_of("0123456789") != std::string_view::npos) {
    t->alias = std::string(qualifier);
  } else if (qualifier.size() > 9 || (t->version = std::stoll(std::string(qualifier))) == 0) {
    return missing();
  }
  return std::nullopt;
}

// The child's name when the Parameters give none: the task's idempotency
// token, shaped as a UUID (what AWS's generated names look like).
std::string NameFor(const std::string& token) {
  std::string hex = token.substr(0, 32);
  if (hex.size() < 32) hex.append(32 - hex.size(), '0');
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

AslResult<Target> ParseParameters(const TaskCall& call) {
  const Json& parameters = call.request.parameters;
  if (!parameters.is_object()) {
    return Runtime("The parameters of " + std::string(kStartExecutionResource) +
                   " must be a JSON object");
  }
  static constexpr std::array<std::string_view, 3> kFields = {"StateMachineArn", "Input", "Name"};
  for (const auto& [field, value] : parameters.items()) {
    if (std::find(kFields.begin(), kFields.end(), field) == kFields.end()) {
      return Runtime("The field '" + field + "' is not supported by " +
                     std::string(kStartExecutionResource) +
                     " (it takes StateMachineArn, Input and Name)");
    }
  }
  Target t;
  auto arn = parameters.find("StateMachineArn");
  if (arn == parameters.end() || !arn->is_string() || arn->get_ref<const std::string&>().empty()) {
    return Runtime("The StateMachineArn of " + std::string(kStartExecutionResource) +
                   " is required and must be a non-empty string");
  }
  t.arn = arn->get<std::string>();
  if (auto name = parameters.find("Name"); name != parameters.end() && !name->is_null()) {
    if (!name->is_string()) {
      return Runtime("The Name of " + std::string(kStartExecutionResource) + " must be a string");
    }
    t.name = name->get<std::string>();
  } else {
    t.name = NameFor(call.idempotency_token);
  }
  auto input = parameters.find("Input");
  if (input == parameters.end() || input->is_null()) {
    t.input = "{}";
  } else if (input->is_string()) {
    t.input = input->get<std::string>();
  } else {
    AppendJsonText(*input, &t.input);
  }
  if (std::optional<AslError> bad = ParseMachineArn(&t)) return std::move(*bad);
  if (!IsValidAwsName(t.name)) return Refused("InvalidName", "Invalid Name: '" + t.name + "'");
  return t;
}

// The ARN a STANDARD child of `t` has (an EXPRESS child's holds a random
// part, so only its start tells it).
std::string ChildArn(const Target& t) {
  constexpr std::string_view kMarker = ":stateMachine:";
  const size_t at = t.machine_arn.find(kMarker);
  return t.machine_arn.substr(0, at) + ":execution:" + t.machine_arn.substr(at + kMarker.size()) +
         ":" + t.name;
}

// True when `child` was started by `call` (an earlier dispatch of it).
bool StartedBy(const store::ExecutionRecord& child, const TaskCall& call) {
  if (child.started_by_execution_arn != call.execution_arn) return false;
  StatusOr<Json> attributes = ParseJson(child.attributes_json);
  if (!attributes.ok() || !attributes->is_object()) return false;
  auto token = attributes->find(kStartedByTask);
  return token != attributes->end() && token->is_string() &&
         token->get_ref<const std::string&>() == call.idempotency_token;
}

// RFC 7231's HTTP-date of an epoch time in milliseconds.
std::string HttpDate(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// StartExecution's answer as AWS's request-response integration gives it:
// PascalCase, the date in epoch milliseconds, and the SDK's response
// metadata describing the API answer stepd would have sent.
Json StartOutput(const StartResult& started) {
  std::string body = "{\"executionArn\":";
  AppendJsonText(started.execution_arn, &body);
  body += ",\"startDate\":" + std::to_string(started.start_time_ms / 1000) + "." +
          std::to_string(1000 + started.start_time_ms % 1000).substr(1) + "}";
  const std::string request_id = RandomUuid();
  const std::string length = std::to_string(body.size());
  const std::string date = HttpDate(started.start_time_ms);
  constexpr char kContentType[] = "application/x-amz-json-1.0";
  Json all = Json::object();
  all["x-amzn-RequestId"] = Json::array({request_id});
  all["connection"] = Json::array({"keep-alive"});
  all["Content-Length"] = Json::array({length});
  all["Date"] = Json::array({date});
  all["Content-Type"] = Json::array({kContentType});
  Json headers = Json::object();
  headers["connection"] = "keep-alive";
  headers["Content-Length"] = length;
  headers["Content-Type"] = kContentType;
  headers["Date"] = date;
  headers["x-amzn-RequestId"] = request_id;
  Json out = Json::object();
  out["ExecutionArn"] = started.execution_arn;
  out["SdkHttpMetadata"] = {{"AllHttpHeaders", std::move(all)},
                            {"HttpHeaders", std::move(headers)},
                            {"HttpStatusCode", 200}};
  out["SdkResponseMetadata"] = {{"RequestId", request_id}};
  out["StartDate"] = started.start_time_ms;
  return out;
}

// A payload of the describe output: JSON text (.sync), or the JSON value
// itself (.sync:2).
Json Payload(const std::string& text, bool parsed) {
  if (!parsed) return text;
  StatusOr<Json> value = ParseJson(text);
  return value.ok() ? std::move(value).value() : Json(text);
}

// The ended child as AWS's .sync integration gives it: DescribeExecution in
// PascalCase, keys sorted, dates in epoch milliseconds.
Json DescribeOutput(const store::ExecutionRecord& e, bool parsed) {
  Json out = Json::object();
  if (e.cause) out["Cause"] = *e.cause;
  if (e.error) out["Error"] = *e.error;
  out["ExecutionArn"] = e.arn;
  out["Input"] = Payload(e.input, parsed);
  out["InputDetails"] = {{"Included", true}};
  out["Name"] = e.name.substr(0, e.name.find(':'));  // EXPRESS: "<name>:<uuid>"
  if (e.output) {
    out["Output"] = Payload(*e.output, parsed);
    out["OutputDetails"] = {{"Included", true}};
  }
  out["RedriveCount"] = e.redrive_count;
  if (e.redrive_time_ms) out["RedriveDate"] = *e.redrive_time_ms;
  // Just ended: only its status or type can keep it from a redrive.
  if (e.status == store::ExecutionStatus::kSucceeded) {
    out["RedriveStatus"] = "NOT_REDRIVABLE";
    out["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven";
  } else if (e.arn.find(":express:") != std::string::npos) {
    out["RedriveStatus"] = "NOT_REDRIVABLE";
    out["RedriveStatusReason"] = "Execution is of an EXPRESS state machine and cannot be redriven";
  } else {
    out["RedriveStatus"] = "REDRIVABLE";
  }
  out["StartDate"] = e.start_time_ms;
  if (!e.state_machine_alias.empty()) {
    out["StateMachineAliasArn"] = e.state_machine_arn + ":" + e.state_machine_alias;
  }
  out["StateMachineArn"] = e.state_machine_arn;
  if (e.state_machine_version > 0) {
    out["StateMachineVersionArn"] =
        e.state_machine_arn + ":" + std::to_string(e.state_machine_version);
  }
  out["Status"] = store::ExecutionStatusName(e.status);
  if (e.stop_time_ms) out["StopDate"] = *e.stop_time_ms;
  return out;
}

}  // namespace

class NestedExecutions::Impl {
 public:
  Impl(store::Store* store, std::shared_ptr<spdlog::logger> logger)
      : store_(store), log_(std::move(logger)) {}

  void SetEngine(Engine* engine) { engine_ = engine; }

  void Invoke(const TaskCall& call, TaskDone done) {
    std::optional<Pattern> pattern = PatternOf(call.request.resource);
    if (!pattern) {
      return done(Runtime("stepd does not support the resource '" + call.request.resource +
                          "': " + std::string(kStartExecutionResource) +
                          " takes no suffix, .sync, .sync:2 or .waitForTaskToken"));
    }
    AslResult<Target> target = ParseParameters(call);
    if (!target.ok()) return done(std::move(target).take_error());
    if (engine_.load() == nullptr) {
      return done(AslError::Of(StatesError::kTaskFailed,
                               "stepd cannot start nested executions: no engine was set"));
    }
    if (Waits(*pattern)) Watch(call.idempotency_token);
    Start(call, *pattern, std::move(target).value(), std::move(done));
  }

  void Cancel(const TaskCall& call) {
    std::optional<Pattern> pattern = PatternOf(call.request.resource);
    if (!pattern || !Waits(*pattern)) return;
    std::string child;
    {
      std::lock_guard lock(mu_);
      auto it = watched_.find(call.idempotency_token);
      if (it != watched_.end()) {
        it->second.cancelled = true;
        // Still starting: stopped once its start is answered.
        if (it->second.child_arn.empty()) return;
        child = it->second.child_arn;
      }
    }
    if (child.empty()) {
      // Not dispatched in this process (yet): the child of a STANDARD
      // machine is found by its name.
      AslResult<Target> target = ParseParameters(call);
      if (!target.ok()) return;
      child = ChildArn(target.value());
    }
    StopChild(call, child);
  }

 private:
  // A .sync task between its dispatch and its answer.
  struct Watched {
    int calls = 0;           // dispatches in flight (a redo after a failed commit adds one)
    std::string child_arn;   // known once the start is answered
    bool cancelled = false;  // the parent no longer waits
  };

  void Watch(const std::string& token) {
    std::lock_guard lock(mu_);
    ++watched_[token].calls;
  }

  bool Cancelled(const std::string& token) {
    std::lock_guard lock(mu_);
    auto it = watched_.find(token);
    return it != watched_.end() && it->second.cancelled;
  }

  void Unwatch(const std::string& token) {
    std::lock_guard lock(mu_);
    auto it = watched_.find(token);
    if (it != watched_.end() && --it->second.calls <= 0) watched_.erase(it);
  }

  // The start is answered: true when the parent still waits (else the
  // child is stopped and the call is over).
  bool Attach(const TaskCall& call, const std::string& child) {
    bool cancelled;
    {
      std::lock_guard lock(mu_);
      Watched& w = watched_[call.idempotency_token];
      w.child_arn = child;
      cancelled = w.cancelled;
    }
    if (cancelled) {
      StopChild(call, child);
      Unwatch(call.idempotency_token);
    }
    return !cancelled;
  }

  // Fills the version an alias or version ARN runs; an alias picks one of
  // its routes by weight.
  std::optional<AslError> ResolveVersion(const Target& t, StartRequest* request) {
    const auto missing = [&] {
      return Refused("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + t.arn + "'");
    };
    int64_t version = t.version;
    if (!t.alias.empty()) {
      StatusOr<store::StateMachineAliasRecord> alias =
          store_->GetStateMachineAlias(t.machine_arn, t.alias);
      if (!alias.ok()) {
        if (alias.status().code() == StatusCode::kNotFound) return missing();
        return AslError::Of(StatesError::kTaskFailed,
                            "stepd could not read the alias: " + alias.status().ToString());
      }
      uint32_t draw = 0;
      for (unsigned char b : RandomBytes(4)) draw = draw << 8 | b;
      int point = static_cast<int>(draw % 100);
      for (const store::AliasRoute& route : alias->routing) {
        version = route.version;
        if (point < route.weight) break;
        point -= route.weight;
      }
      request->alias = t.alias;
    }
    StatusOr<store::StateMachineVersionRecord> record =
        store_->GetStateMachineVersion(t.machine_arn, version);
    if (!record.ok()) {
      if (record.status().code() == StatusCode::kNotFound) return missing();
      return AslError::Of(StatesError::kTaskFailed,
                          "stepd could not read the version: " + record.status().ToString());
    }
    request->version = version;
    request->version_revision_id = record->revision_id;
    request->version_role_arn = record->role_arn;
    return std::nullopt;
  }

  void Start(const TaskCall& call, Pattern pattern, Target target, TaskDone done) {
    StartRequest request;
    request.state_machine_arn = target.machine_arn;
    if (target.version > 0 || !target.alias.empty()) {
      if (std::optional<AslError> refused = ResolveVersion(target, &request)) {
        return Finish(call, pattern, std::move(done), std::move(*refused));
      }
    }
    request.name = target.name;
    request.input = target.input;
    // The child's audit rows name the execution that started it.
    request.principal = call.execution_arn;
    request.started_by_execution_arn = call.execution_arn;
    request.attributes_json = Json{{kStartedByTask, call.idempotency_token}}.dump();
    engine_.load()->StartExecution(
        std::move(request), [this, call, pattern, target = std::move(target),
                             done = std::move(done)](StatusOr<StartResult> started) mutable {
          if (started.ok()) return Started(call, pattern, *started, std::move(done));
          if (started.status().code() == StatusCode::kAlreadyExists) {
            // This task's own child, started by an earlier dispatch, ended
            // since (a running one is returned by StartExecution itself).
            StatusOr<store::ExecutionRecord> child = store_->GetExecution(ChildArn(target));
            if (child.ok() && StartedBy(*child, call)) {
              return Started(call, pattern, StartResult{child->arn, child->start_time_ms, true},
                             std::move(done));
            }
          }
          Finish(call, pattern, std::move(done), RefusalOf(started.status(), target));
        });
  }

  static AslError RefusalOf(const Status& status, const Target& target) {
    const std::string message(status.message());
    switch (status.code()) {
      case StatusCode::kNotFound:
        return Refused("StateMachineDoesNotExist",
                       "State Machine Does Not Exist: '" + target.arn + "'");
      case StatusCode::kFailedPrecondition:
        return Refused("StateMachineDeleting",
                       "State Machine Is Being Deleted: '" + target.arn + "'");
      case StatusCode::kAlreadyExists:
        return Refused("ExecutionAlreadyExists", message);
      case StatusCode::kInvalidArgument:
        return message.starts_with("Invalid State Machine Execution Input")
                   ? Refused("InvalidExecutionInput", message)
                   : Refused("ValidationException", message);
      case StatusCode::kResourceExhausted:
        return Refused("ExecutionLimitExceeded", message);
      default:
        return AslError::Of(StatesError::kTaskFailed,
                            "stepd could not start the execution: " + status.ToString());
    }
  }

  void Started(const TaskCall& call, Pattern pattern, const StartResult& started, TaskDone done) {
    if (!Waits(pattern)) return done(StartOutput(started));
    if (!Attach(call, started.execution_arn)) return;
    Await(call, pattern, started.execution_arn, std::move(done));
  }

  // Answers once the child has ended (and its end is durable).
  void Await(const TaskCall& call, Pattern pattern, const std::string& child, TaskDone done) {
    engine_.load()->WhenFinished(child, [this, call, pattern, child,
                                         done = std::move(done)](Status ended) mutable {
      // stepd is stopping (the task is dispatched again after the restart,
      // and finds its child then), or the parent stopped waiting.
      if (ended.code() == StatusCode::kUnavailable || Cancelled(call.idempotency_token)) {
        Unwatch(call.idempotency_token);
        return;
      }
      if (!ended.ok()) {
        return Finish(call, pattern, std::move(done),
                      AslError::Of(StatesError::kTaskFailed, "stepd lost the execution '" + child +
                                                                 "': " + ended.ToString()));
      }
      StatusOr<store::ExecutionRecord> record = store_->GetExecution(child);
      if (!record.ok()) {
        return Finish(
            call, pattern, std::move(done),
            AslError::Of(StatesError::kTaskFailed, "stepd could not read the execution '" + child +
                                                       "': " + record.status().ToString()));
      }
      // Redriven between its end and this read: it runs again.
      if (record->status == store::ExecutionStatus::kRunning) {
        return Await(call, pattern, child, std::move(done));
      }
      Json output = DescribeOutput(*record, pattern == Pattern::kSync2);
      if (record->status == store::ExecutionStatus::kSucceeded) {
        return Finish(call, pattern, std::move(done), std::move(output));
      }
      std::string cause;
      AppendJsonText(output, &cause);
      Finish(call, pattern, std::move(done),
             AslError::Of(StatesError::kTaskFailed, std::move(cause)));
    });
  }

  void Finish(const TaskCall& call, Pattern pattern, TaskDone done, AslResult<Json> result) {
    if (Waits(pattern)) Unwatch(call.idempotency_token);
    done(std::move(result));
  }

  // Stops `child` if it is this task's and still running.
  void StopChild(const TaskCall& call, const std::string& child) {
    StatusOr<store::ExecutionRecord> record = store_->GetExecution(child);
    if (!record.ok() || record->status != store::ExecutionStatus::kRunning ||
        !StartedBy(*record, call)) {
      return;
    }
    StopRequest stop;
    stop.execution_arn = child;
    stop.cause = "The execution '" + call.execution_arn + "' that started it with " +
                 call.request.resource + " no longer waits for it";
    stop.principal = call.execution_arn;
    engine_.load()->StopExecution(std::move(stop), [log = log_, child](StatusOr<StopResult> r) {
      // Ended meanwhile (FAILED_PRECONDITION) is what was wanted anyway.
      if (!r.ok() && r.status().code() != StatusCode::kFailedPrecondition) {
        log->warn("could not stop the nested execution {}: {}", child, r.status().ToString());
      }
    });
  }

  store::Store* const store_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<Engine*> engine_{nullptr};

  std::mutex mu_;
  // .sync tasks in flight, by idempotency token; guarded by mu_.
  std::unordered_map<std::string, Watched> watched_;
};

NestedExecutions::NestedExecutions(store::Store* store, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(store, std::move(logger))) {}
NestedExecutions::~NestedExecutions() = default;
void NestedExecutions::SetEngine(Engine* engine) { impl_->SetEngine(engine); }
void NestedExecutions::Invoke(const TaskCall& call, TaskDone done) {
  impl_->Invoke(call, std::move(done));
}
void NestedExecutions::Cancel(const TaskCall& call) { impl_->Cancel(call); }

}  // namespace stepd::runtime
