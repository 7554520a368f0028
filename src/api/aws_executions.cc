// StartExecution, StopExecution, DescribeExecution, ListExecutions,
// GetExecutionHistory.

#include "aws_internal.h"
#include "stepd/asl/compiler.h"
#include "stepd/asl/restart.h"
#include "stepd/base/crypto.h"
#include "stepd/runtime/alias_routing.h"

namespace stepd::api::aws {
namespace {

constexpr size_t kMaxPayload = 262144;

Outcome ExecutionDoesNotExist(std::string_view arn) {
  return Outcome::Fail(ErrorType::kExecutionDoesNotExist,
                       "Execution Does Not Exist: '" + std::string(arn) + "'");
}

void AppendTimestamp(int64_t ms, std::string* out) {
  if (ms < 0) {
    out->push_back('-');
    ms = -ms;
  }
  *out += std::to_string(ms / 1000);
  if (const int64_t frac = ms % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
    std::string_view digits(buf);
    while (digits.back() == '0') digits.remove_suffix(1);
    *out += digits;
  }
}

// Fills the version a start through a version or alias ARN runs: an
// alias picks one of its routes by weight.
std::optional<AwsError> ResolveVersion(const Context& context, const MachineRef& ref,
                                       const std::string& arn, runtime::StartRequest* request) {
  const AwsError missing{ErrorType::kStateMachineDoesNotExist,
                         "State Machine Does Not Exist: '" + arn + "'"};
  int64_t version = ref.version;
  if (!ref.alias.empty()) {
    auto alias = context.store->GetStateMachineAlias(ref.machine_arn, ref.alias);
    if (alias.status().code() == StatusCode::kNotFound) return missing;
    if (!alias.ok()) return StoreFailure(context, alias.status(), "StartExecution").error;
    version = runtime::PickAliasVersion(*alias);
    request->alias = ref.alias;
  }
  auto record = context.store->GetStateMachineVersion(ref.machine_arn, version);
  if (record.status().code() == StatusCode::kNotFound) return missing;
  if (!record.ok()) return StoreFailure(context, record.status(), "StartExecution").error;
  request->version = version;
  request->version_revision_id = record->revision_id;
  request->version_role_arn = record->role_arn;
  return std::nullopt;
}

// An execution's name as AWS shows it: an EXPRESS execution is stored as
// "<name>:<uuid>" (its names may repeat), and names never hold ':'.
std::string ExecutionName(const store::ExecutionRecord& e) {
  return e.name.substr(0, e.name.find(':'));
}

// What DescribeExecution and StartSyncExecution both answer of an
// execution: its identity, status, dates, payloads (`with_data`: input and
// output themselves, not only their details), error and trace header.
Json ExecutionBody(const store::ExecutionRecord& e, bool with_data) {
  Json body = {{"executionArn", e.arn},
               {"stateMachineArn", e.state_machine_arn},
               {"name", ExecutionName(e)},
               {"status", store::ExecutionStatusName(e.status)},
               {"startDate", Timestamp(e.start_time_ms)}};
  if (e.stop_time_ms) body["stopDate"] = Timestamp(*e.stop_time_ms);
  if (with_data) body["input"] = e.input;
  body["inputDetails"] = {{"included", with_data}};
  if (e.output) {
    if (with_data) body["output"] = *e.output;
    body["outputDetails"] = {{"included", with_data}};
  }
  if (e.error) body["error"] = *e.error;
  if (e.cause) body["cause"] = *e.cause;
  Json attributes = JsonObjectOrEmpty(e.attributes_json);
  if (auto it = attributes.find("traceHeader"); it != attributes.end()) body["traceHeader"] = *it;
  return body;
}

// The version and alias an execution was started through, as Describe and
// List show them.
void AddVersionFields(const store::ExecutionRecord& e, Json* body) {
  if (e.state_machine_version > 0) {
    (*body)["stateMachineVersionArn"] = VersionArn(e.state_machine_arn, e.state_machine_version);
  }
  if (!e.state_machine_alias.empty()) {
    (*body)["stateMachineAliasArn"] = AliasArn(e.state_machine_arn, e.state_machine_alias);
  }
}

constexpr int64_t kRedrivablePeriodMs = int64_t{14} * 24 * 3600 * 1000;
constexpr int kMaxRedrives = 1000;

// Why RedriveExecution would refuse `e` now, in AWS's words; nullopt when
// it may be redriven. (The engine checks the history limit as it redrives.)
std::optional<std::string> NotRedrivableReason(const Context& context,
                                               const store::ExecutionRecord& e) {
  if (e.status == store::ExecutionStatus::kRunning ||
      e.status == store::ExecutionStatus::kSucceeded) {
    return "Execution is " + std::string(store::ExecutionStatusName(e.status)) +
           " and cannot be redriven";
  }
  if (e.arn.find(":express:") != std::string::npos) {
    return std::string("Execution is of an EXPRESS state machine and cannot be redriven");
  }
  if (!e.parent_arn.empty()) {
    return "Execution is a child of Map Run '" + e.map_run_arn +
           "': redrive its parent execution '" + e.parent_arn + "'";
  }
  if (e.snapshot.empty()) return std::string("Execution was started before the launch of RedriveExecution.");
  if (e.redrive_count >= kMaxRedrives) {
    return "Execution has been redriven " + std::to_string(kMaxRedrives) +
           " times, the most allowed.";
  }
  if (e.stop_time_ms && context.NowMs() - *e.stop_time_ms > kRedrivablePeriodMs) {
    return std::string("Execution redrivable period exceeded.");
  }
  auto machine = context.store->GetStateMachine(e.state_machine_arn);
  if (machine.ok() && machine->status == store::StateMachineStatus::kDeleting) {
    return std::string("State machine is in DELETING status.");
  }
  return std::nullopt;
}

// Describe's redrive fields.
void AddRedriveFields(const Context& context, const store::ExecutionRecord& e, Json* body) {
  (*body)["redriveCount"] = e.redrive_count;
  if (e.redrive_time_ms) (*body)["redriveDate"] = Timestamp(*e.redrive_time_ms);
  if (std::optional<std::string> reason = NotRedrivableReason(context, e)) {
    (*body)["redriveStatus"] = "NOT_REDRIVABLE";
    (*body)["redriveStatusReason"] = std::move(*reason);
  } else {
    (*body)["redriveStatus"] = "REDRIVABLE";
  }
}

}  // namespace

namespace {

// StartSyncExecution's answer: the execution as it ended.
Outcome SyncAnswer(const Context& context, const std::string& arn, bool with_data) {
  auto stored = context.store->GetExecution(arn);
  if (!stored.ok()) return StoreFailure(context, stored.status(), "StartSyncExecution");
  const store::ExecutionRecord& e = *stored;
  Json body = ExecutionBody(e, with_data);
  body["stopDate"] = Timestamp(e.stop_time_ms.value_or(e.start_time_ms));
  // AWS bills EXPRESS by 100 ms and 64 MB steps; stepd reports the same
  // rounding of the real duration, for clients that read it.
  const int64_t duration = e.stop_time_ms.value_or(e.start_time_ms) - e.start_time_ms;
  body["billingDetails"] = {
      {"billedMemoryUsedInMB", 64},
      {"billedDurationInMilliseconds", std::max<int64_t>(100, (duration + 99) / 100 * 100)}};
  return Outcome::Ok(body);
}

// Answers a start once the engine took it (or refused it): `arn_for_errors`
// is the ARN the caller named, `unqualified` the machine's.
std::function<void(StatusOr<runtime::StartResult>)> StartReply(
    const Context& context, std::function<void(Outcome)> reply, std::string arn_for_errors,
    std::string unqualified, bool sync, bool with_data) {
  const Context* ctx = &context;
  return [reply = std::move(reply), arn_for_errors = std::move(arn_for_errors),
          unqualified = std::move(unqualified), ctx, sync,
          with_data](StatusOr<runtime::StartResult> result) {
    if (result.ok() && sync) {
      const std::string arn = result->execution_arn;
      return ctx->engine->WhenFinished(arn, [reply, ctx, arn, with_data](Status ended) {
        if (!ended.ok()) {
          return reply(
              Outcome::Fail(ErrorType::kServiceUnavailable, "The execution '" + arn +
                                                                "' did not end before stepd "
                                                                "stopped; it resumes on restart: " +
                                                                std::string(ended.message())));
        }
        reply(SyncAnswer(*ctx, arn, with_data));
      });
    }
    if (result.ok()) {
      return reply(Outcome::Ok({{"executionArn", result->execution_arn},
                                {"startDate", Timestamp(result->start_time_ms)}}));
    }
    const Status& s = result.status();
    const std::string message(s.message());
    switch (s.code()) {
      case StatusCode::kNotFound:
        return reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                   "State Machine Does Not Exist: '" + arn_for_errors + "'"));
      case StatusCode::kFailedPrecondition: {
        // Being deleted; gone already if its last execution ended.
        auto machine = ctx->store->GetStateMachine(unqualified);
        if (!machine.ok() || !PurgeIfDone(*ctx, std::move(machine).value())) {
          return reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                     "State Machine Does Not Exist: '" + arn_for_errors + "'"));
        }
        return reply(Outcome::Fail(ErrorType::kStateMachineDeleting,
                                   "State Machine Is Being Deleted: '" + arn_for_errors + "'"));
      }
      case StatusCode::kAlreadyExists:
        return reply(Outcome::Fail(ErrorType::kExecutionAlreadyExists, message));
      case StatusCode::kInvalidArgument:
        return reply(Outcome::Fail(message.rfind("Invalid State Machine Execution Input", 0) == 0
                                       ? ErrorType::kInvalidExecutionInput
                                       : ErrorType::kValidationException,
                                   message));
      case StatusCode::kResourceExhausted:
        return reply(Outcome::Fail(ErrorType::kThrottlingException, "Rate exceeded: " + message));
      default:
        return reply(Outcome::Fail(ErrorType::kServiceUnavailable,
                                   "The execution could not be started; try again: " + message));
    }
  };
}

// StartExecution (`sync` false: answers once the start is durable) and
// StartSyncExecution (answers once the EXPRESS execution ended).
void Start(const Context& context, Call call, bool sync) {
  Fields f(call.input);
  auto machine_arn = f.String("stateMachineArn", true, 1, 256);
  auto name = f.String("name", false, 1, 80);
  auto input = f.String("input", false, 0, SIZE_MAX, /*sensitive=*/true);
  auto trace_header = f.String("traceHeader", false, 0, 256);
  std::optional<std::string> included;
  if (sync) included = f.Enum("includedData", false, {"ALL_DATA", "METADATA_ONLY"});
  if (input && input->size() > kMaxPayload) {
    f.AddConstraint("input", "",
                    "Member must have length less than or equal to " + std::to_string(kMaxPayload));
  }
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckArn(*machine_arn, {"stateMachine"})) return call.reply(Outcome{{}, *error});
  if (name && !IsValidAwsName(*name)) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidName, "Invalid Name: '" + *name + "'"));
  }
  if (input && input->find_first_not_of(" \t\r\n") == std::string::npos) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidExecutionInput,
                                    "Invalid State Machine Execution Input: 'Invalid execution "
                                    "input.'"));
  }
  std::optional<MachineRef> ref = ParseMachineRef(*machine_arn);
  if (!ref) {
    return call.reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                    "State Machine Does Not Exist: '" + *machine_arn + "'"));
  }
  if (sync) {
    auto machine = context.store->GetStateMachine(ref->machine_arn);
    if (machine.ok() && machine->type != store::StateMachineType::kExpress) {
      return call.reply(Outcome::Fail(ErrorType::kStateMachineTypeNotSupported,
                                      "This operation is not supported by this type of state "
                                      "machine"));
    }
  }
  runtime::StartRequest request;
  request.state_machine_arn = ref->machine_arn;
  if (ref->qualified()) {
    if (auto error = ResolveVersion(context, *ref, *machine_arn, &request)) {
      return call.reply(Outcome{{}, *error});
    }
  }
  request.name = name.value_or("");
  request.input = input.value_or("{}");
  request.principal = call.principal.id;
  request.origin_json = CallerAudit(call).dump(-1, ' ', false, Json::error_handler_t::replace);
  if (trace_header) request.attributes_json = Json{{"traceHeader", *trace_header}}.dump();
  context.engine->StartExecution(
      std::move(request), StartReply(context, std::move(call.reply), *machine_arn,
                                     ref->machine_arn, sync, included != "METADATA_ONLY"));
}

}  // namespace

void StartExecution(const Context& context, Call call) { Start(context, std::move(call), false); }
void StartSyncExecution(const Context& context, Call call) {
  Start(context, std::move(call), true);
}

void StopExecution(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  auto error = f.String("error", false, 0, 256, true);
  auto cause = f.String("cause", false, 0, 32768, true);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"execution"})) return call.reply(Outcome{{}, *bad});
  runtime::StopRequest request;
  request.execution_arn = *arn;
  request.error = error.value_or("");
  request.cause = cause.value_or("");
  request.principal = call.principal.id;
  request.origin_json = CallerAudit(call).dump(-1, ' ', false, Json::error_handler_t::replace);
  auto reply = std::move(call.reply);
  store::Store* store = context.store;
  const Context* ctx = &context;
  context.engine->StopExecution(
      std::move(request), [reply, store, ctx, arn = *arn](StatusOr<runtime::StopResult> result) {
        if (result.ok()) return reply(Outcome::Ok({{"stopDate", Timestamp(result->stop_time_ms)}}));
        switch (result.status().code()) {
          case StatusCode::kNotFound:
            return reply(ExecutionDoesNotExist(arn));
          case StatusCode::kFailedPrecondition: {
            // Already finished: AWS accepts the stop and changes nothing.
            auto stored = store->GetExecution(arn);
            if (!stored.ok()) return reply(ExecutionDoesNotExist(arn));
            return reply(Outcome::Ok(
                {{"stopDate", Timestamp(stored->stop_time_ms.value_or(ctx->NowMs()))}}));
          }
          default:
            return reply(Outcome::Fail(ErrorType::kServiceUnavailable,
                                       "The execution could not be stopped; try again: " +
                                           std::string(result.status().message())));
        }
      });
}

void DescribeExecution(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  auto included = f.Enum("includedData", false, {"ALL_DATA", "METADATA_ONLY"});
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"execution", "express"})) return call.reply(Outcome{{}, *bad});
  auto stored = context.store->GetExecution(*arn);
  if (stored.status().code() == StatusCode::kNotFound)
    return call.reply(ExecutionDoesNotExist(*arn));
  if (!stored.ok()) return call.reply(StoreFailure(context, stored.status(), "DescribeExecution"));
  const store::ExecutionRecord& e = *stored;
  Json body = ExecutionBody(e, included != "METADATA_ONLY");
  if (!e.map_run_arn.empty()) body["mapRunArn"] = e.map_run_arn;
  AddVersionFields(e, &body);
  AddRedriveFields(context, e, &body);
  call.reply(Outcome::Ok(body));
}

void RedriveExecution(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  (void)f.String("clientToken", false, 1, 64);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"execution", "express"})) return call.reply(Outcome{{}, *bad});
  auto stored = context.store->GetExecution(*arn);
  if (stored.status().code() == StatusCode::kNotFound) {
    return call.reply(ExecutionDoesNotExist(*arn));
  }
  if (!stored.ok()) return call.reply(StoreFailure(context, stored.status(), "RedriveExecution"));
  if (std::optional<std::string> reason = NotRedrivableReason(context, *stored)) {
    return call.reply(Outcome::Fail(ErrorType::kExecutionNotRedrivable, std::move(*reason)));
  }
  runtime::RedriveRequest request;
  request.execution_arn = *arn;
  request.principal = call.principal.id;
  request.origin_json = CallerAudit(call).dump(-1, ' ', false, Json::error_handler_t::replace);
  auto reply = std::move(call.reply);
  context.engine->RedriveExecution(
      std::move(request), [reply, arn = *arn](StatusOr<runtime::RedriveResult> result) {
        if (result.ok()) {
          return reply(Outcome::Ok({{"redriveDate", Timestamp(result->redrive_time_ms)}}));
        }
        switch (result.status().code()) {
          case StatusCode::kNotFound:
            return reply(ExecutionDoesNotExist(arn));
          case StatusCode::kFailedPrecondition:
            return reply(Outcome::Fail(ErrorType::kExecutionNotRedrivable,
                                       std::string(result.status().message())));
          default:
            return reply(Outcome::Fail(ErrorType::kServiceUnavailable,
                                       "The execution could not be redriven; try again: " +
                                           std::string(result.status().message())));
        }
      });
}

void ListExecutions(const Context& context, Call call) {
  Fields f(call.input);
  auto machine_arn = f.String("stateMachineArn", false, 1, 256);
  auto map_run_arn = f.String("mapRunArn", false, 1, 2000);
  auto status =
      f.Enum("statusFilter", false,
             {"SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING"});
  auto redrive = f.Enum("redriveFilter", false, {"REDRIVEN", "NOT_REDRIVEN"});
  store::PageRequest page = f.Page(1000, 3096);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (machine_arn.has_value() == map_run_arn.has_value()) {
    return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                    "Exactly one of stateMachineArn and mapRunArn must be given"));
  }
  store::ExecutionFilter filter;
  if (machine_arn) {
    if (auto bad = CheckArn(*machine_arn, {"stateMachine"})) return call.reply(Outcome{{}, *bad});
    if (status == "PENDING_REDRIVE") {
      return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                      "statusFilter PENDING_REDRIVE can only be used with a "
                                      "mapRunArn"));
    }
    // A version or alias ARN lists the executions started through it.
    std::optional<MachineRef> ref = ParseMachineRef(*machine_arn);
    if (!ref) {
      return call.reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                      "State Machine Does Not Exist: '" + *machine_arn + "'"));
    }
    auto machine = context.store->GetStateMachine(ref->machine_arn);
    if (machine.status().code() == StatusCode::kNotFound) {
      return call.reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                      "State Machine Does Not Exist: '" + *machine_arn + "'"));
    }
    if (!machine.ok()) return call.reply(StoreFailure(context, machine.status(), "ListExecutions"));
    if (!PurgeIfDone(context, *machine)) {
      return call.reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                      "State Machine Does Not Exist: '" + *machine_arn + "'"));
    }
    if (machine->type == store::StateMachineType::kExpress) {
      return call.reply(Outcome::Fail(ErrorType::kStateMachineTypeNotSupported,
                                      "This operation is not supported by this type of state "
                                      "machine"));
    }
    filter.state_machine_arn = ref->machine_arn;
    filter.version = ref->version;
    filter.alias = ref->alias;
    if (ref->version > 0) {
      auto version = context.store->GetStateMachineVersion(ref->machine_arn, ref->version);
      if (version.status().code() == StatusCode::kNotFound) {
        return call.reply(Outcome::Fail(ErrorType::kResourceNotFound,
                                        "Resource not found: '" + *machine_arn + "'"));
      }
    } else if (!ref->alias.empty()) {
      auto alias = context.store->GetStateMachineAlias(ref->machine_arn, ref->alias);
      if (alias.status().code() == StatusCode::kNotFound) {
        return call.reply(Outcome::Fail(ErrorType::kResourceNotFound,
                                        "Resource not found: '" + *machine_arn + "'"));
      }
    }
  } else {
    if (auto bad = CheckArn(*map_run_arn, {"mapRun"})) return call.reply(Outcome{{}, *bad});
    filter.map_run_arn = *map_run_arn;
  }
  if (status) filter.status = store::ParseExecutionStatus(*status);
  if (redrive) filter.redriven = *redrive == "REDRIVEN";
  Json items = Json::array();
  std::string next_token;
  {
    auto listed = context.store->ListExecutions(filter, page);
    if (listed.status().code() == StatusCode::kInvalidArgument) {
      return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
    }
    if (listed.status().code() == StatusCode::kNotFound) {
      return call.reply(Outcome::Fail(ErrorType::kResourceNotFound,
                                      "Resource not found: '" + *map_run_arn + "'"));
    }
    if (!listed.ok()) return call.reply(StoreFailure(context, listed.status(), "ListExecutions"));
    for (const store::ExecutionRecord& e : listed->items) {
      Json item = {{"executionArn", e.arn},
                   {"stateMachineArn", e.state_machine_arn},
                   {"name", ExecutionName(e)},
                   {"status", store::ExecutionStatusName(e.status)},
                   {"startDate", Timestamp(e.start_time_ms)},
                   {"redriveCount", e.redrive_count}};
      if (e.stop_time_ms) item["stopDate"] = Timestamp(*e.stop_time_ms);
      if (e.redrive_time_ms) item["redriveDate"] = Timestamp(*e.redrive_time_ms);
      if (!e.map_run_arn.empty()) item["mapRunArn"] = e.map_run_arn;
      AddVersionFields(e, &item);
      items.push_back(std::move(item));
    }
    next_token = std::move(listed->next_token);
  }
  Json body = {{"executions", std::move(items)}};
  SetNextToken(&body, next_token);
  call.reply(Outcome::Ok(body));
}

void GetExecutionHistory(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  store::PageRequest page = f.Page();
  auto reverse = f.Bool("reverseOrder");
  auto include_data = f.Bool("includeExecutionData");
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"execution", "express"})) return call.reply(Outcome{{}, *bad});
  auto history = context.store->GetHistory(*arn, page, reverse.value_or(false));
  if (history.status().code() == StatusCode::kNotFound)
    return call.reply(ExecutionDoesNotExist(*arn));
  if (history.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
  }
  if (!history.ok())
    return call.reply(StoreFailure(context, history.status(), "GetExecutionHistory"));
  const bool with_data = include_data.value_or(true);
  // Written as text: the stored details are JSON already.
  std::string body = "{\"events\":[";
  bool first = true;
  for (const store::HistoryEventRecord& e : history->items) {
    if (!first) body += ',';
    first = false;
    body += "{\"timestamp\":";
    AppendTimestamp(e.timestamp_ms, &body);
    body += ",\"type\":";
    AppendJsonText(Json(e.type), &body);
    body += ",\"id\":" + std::to_string(e.event_id);
    body += ",\"previousEventId\":" + std::to_string(e.previous_event_id);
    if (!e.details_key.empty()) {
      body += ',';
      AppendJsonText(Json(e.details_key), &body);
      body += ':';
      if (with_data) {
        body += e.details_json;
      } else {
        Json details = JsonObjectOrEmpty(e.details_json);
        details.erase("input");
        details.erase("output");
        AppendJsonText(details, &body);
      }
    }
    body += '}';
  }
  body += ']';
  if (!history->next_token.empty()) {
    body += ",\"nextToken\":";
    AppendJsonText(Json(history->next_token), &body);
  }
  body += '}';
  call.reply(Outcome{std::move(body), std::nullopt});
}

void RestartExecution(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  auto from_state = f.String("fromState", true, 1, 80);
  auto input = f.String("input", false, 0, SIZE_MAX, /*sensitive=*/true);
  auto name = f.String("name", false, 1, 80);
  if (input && input->size() > kMaxPayload) {
    f.AddConstraint("input", "",
                    "Member must have length less than or equal to " + std::to_string(kMaxPayload));
  }
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"execution", "express"})) return call.reply(Outcome{{}, *bad});
  if (name && !IsValidAwsName(*name)) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidName, "Invalid Name: '" + *name + "'"));
  }
  auto stored = context.store->GetExecution(*arn);
  if (stored.status().code() == StatusCode::kNotFound) {
    return call.reply(ExecutionDoesNotExist(*arn));
  }
  if (!stored.ok()) return call.reply(StoreFailure(context, stored.status(), "RestartExecution"));
  const store::ExecutionRecord& old = *stored;
  if (old.status == store::ExecutionStatus::kRunning) {
    return call.reply(Outcome::Fail(ErrorType::kConflictException,
                                    "Execution '" + *arn +
                                        "' is RUNNING; it can be restarted once it has ended"));
  }
  if (!old.parent_arn.empty()) {
    return call.reply(Outcome::Fail(
        ErrorType::kValidationException,
        "Execution '" + *arn + "' is a child of Map Run '" + old.map_run_arn +
            "'; restart its parent execution '" + old.parent_arn + "' instead"));
  }
  // Where the old execution was when it last entered the state: its
  // definition and its history tell.
  auto machine = context.store->GetStateMachine(old.state_machine_arn);
  if (machine.status().code() == StatusCode::kNotFound) {
    return call.reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                    "State Machine Does Not Exist: '" + old.state_machine_arn +
                                        "'"));
  }
  if (!machine.ok()) return call.reply(StoreFailure(context, machine.status(), "RestartExecution"));
  auto definition = context.store->GetStateMachineDefinition(old.state_machine_arn,
                                                             old.state_machine_revision_id);
  if (!definition.ok()) {
    return call.reply(StoreFailure(context, definition.status(), "RestartExecution"));
  }
  asl::CompileOptions compile_options;
  compile_options.type = machine->type == store::StateMachineType::kExpress
                             ? asl::StateMachineType::kExpress
                             : asl::StateMachineType::kStandard;
  asl::CompileResult compiled = asl::Compile(*definition, compile_options);
  if (!compiled.ok()) {
    return call.reply(StoreFailure(
        context, DataLossError("the definition of '" + old.arn + "' no longer compiles"),
        "RestartExecution"));
  }
  std::vector<store::HistoryEventRecord> history;
  store::PageRequest page;
  page.max_results = 1000;
  do {
    auto read = context.store->GetHistory(old.arn, page, /*reverse=*/false);
    if (!read.ok()) return call.reply(StoreFailure(context, read.status(), "RestartExecution"));
    for (store::HistoryEventRecord& e : read->items) history.push_back(std::move(e));
    page.next_token = read->next_token;
  } while (!page.next_token.empty());
  std::vector<asl::RecordedEvent> events;
  events.reserve(history.size());
  for (const store::HistoryEventRecord& e : history) {
    events.push_back({e.type, e.details_key.empty() ? std::string_view() : e.details_json});
  }
  StatusOr<asl::RestartPoint> point = asl::FindRestartPoint(*compiled.machine, *from_state, events);
  if (point.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(
        Outcome::Fail(ErrorType::kValidationException, std::string(point.status().message())));
  }
  if (!point.ok()) return call.reply(StoreFailure(context, point.status(), "RestartExecution"));
  std::string start_input;
  if (input) {
    if (input->find_first_not_of(" \t\r\n") == std::string::npos) {
      return call.reply(Outcome::Fail(ErrorType::kInvalidExecutionInput,
                                      "Invalid State Machine Execution Input: 'Invalid execution "
                                      "input.'"));
    }
    start_input = *input;
  } else if (point->entered) {
    AppendJsonText(point->input, &start_input);
  } else {
    return call.reply(Outcome::Fail(
        ErrorType::kValidationException,
        "Execution '" + *arn + "' never entered state '" + *from_state +
            "', so it has no input to restart it with; give one"));
  }

  // The new execution runs what a start through the same ARN would run
  // now: the machine's current revision, or the version the old one ran,
  // or what its alias routes to today.
  runtime::StartRequest request;
  request.state_machine_arn = old.state_machine_arn;
  std::string started_through = old.state_machine_arn;
  if (!old.state_machine_alias.empty()) {
    started_through = AliasArn(old.state_machine_arn, old.state_machine_alias);
  } else if (old.state_machine_version > 0) {
    started_through = VersionArn(old.state_machine_arn, old.state_machine_version);
  }
  if (started_through != old.state_machine_arn) {
    std::optional<MachineRef> ref = ParseMachineRef(started_through);
    if (!ref) {
      return call.reply(Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                                      "State Machine Does Not Exist: '" + started_through + "'"));
    }
    if (auto error = ResolveVersion(context, *ref, started_through, &request)) {
      return call.reply(Outcome{{}, *error});
    }
  }
  request.name = name.value_or("");
  request.input = std::move(start_input);
  request.principal = call.principal.id;
  Json origin = CallerAudit(call);
  origin["restarted_from"] = old.arn;
  origin["from_state"] = *from_state;
  request.origin_json = origin.dump(-1, ' ', false, Json::error_handler_t::replace);
  Json attributes = JsonObjectOrEmpty(old.attributes_json);
  Json kept = Json::object();
  if (auto it = attributes.find("traceHeader"); it != attributes.end()) kept["traceHeader"] = *it;
  kept["restartedFromState"] = *from_state;
  request.attributes_json = kept.dump();
  request.start_state = *from_state;
  if (point->variables.is_object()) request.start_variables_json = point->variables.dump();
  request.restarted_from = old.arn;
  context.engine->StartExecution(std::move(request),
                                 StartReply(context, std::move(call.reply), started_through,
                                            old.state_machine_arn, false, true));
}

}  // namespace stepd::api::aws
