// ListMapRuns, DescribeMapRun, UpdateMapRun: the runs of DISTRIBUTED Map
// states, counted from their child executions.

#include "aws_internal.h"

namespace stepd::api::aws {
namespace {

Outcome MapRunNotFound(std::string_view arn) {
  return Outcome::Fail(ErrorType::kResourceNotFound,
                       "Resource not found: '" + std::string(arn) + "'");
}

// arn:...:mapRun:<machine>/<label>:<uuid> -> arn:...:stateMachine:<machine>/<label>,
// the state machine its child executions run.
std::string ChildMachineArn(const std::string& map_run_arn) {
  const size_t type = map_run_arn.find(":mapRun:");
  const size_t uuid = map_run_arn.rfind(':');
  if (type == std::string::npos || uuid <= type + 8) return map_run_arn;
  return map_run_arn.substr(0, type) +
         ":stateMachine:" + map_run_arn.substr(type + 8, uuid - type - 8);
}

// AWS's MapRunItemCounts / MapRunExecutionCounts. With an ItemBatcher a
// child execution stands for a batch: item counts then count batches,
// except `total` (the items).
Json Counts(const store::MapRunExecutionCounts& c, int64_t total) {
  const int64_t started = c.running + c.succeeded + c.failed + c.timed_out + c.aborted;
  return {{"pending", std::max<int64_t>(0, total - started)},
          {"running", c.running},
          {"succeeded", c.succeeded},
          {"failed", c.failed},
          {"timedOut", c.timed_out},
          {"aborted", c.aborted},
          {"total", total},
          {"resultsWritten", c.succeeded + c.failed + c.timed_out + c.aborted},
          {"failuresNotRedrivable", 0},
          {"pendingRedrive", 0}};
}

}  // namespace

void ListMapRuns(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  store::PageRequest page = f.Page();
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"execution"})) return call.reply(Outcome{{}, *bad});
  auto listed = context.store->ListMapRuns(*arn, page);
  if (listed.status().code() == StatusCode::kNotFound) {
    return call.reply(Outcome::Fail(ErrorType::kExecutionDoesNotExist,
                                    "Execution Does Not Exist: '" + *arn + "'"));
  }
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
  }
  if (!listed.ok()) return call.reply(StoreFailure(context, listed.status(), "ListMapRuns"));
  Json items = Json::array();
  for (const store::MapRunRecord& run : listed->items) {
    Json item = {{"executionArn", run.execution_arn},
                 {"mapRunArn", run.arn},
                 {"stateMachineArn", ChildMachineArn(run.arn)},
                 {"startDate", Timestamp(run.start_time_ms)}};
    if (run.stop_time_ms) item["stopDate"] = Timestamp(*run.stop_time_ms);
    items.push_back(std::move(item));
  }
  Json body = {{"mapRuns", std::move(items)}};
  SetNextToken(&body, listed->next_token);
  call.reply(Outcome::Ok(body));
}

void DescribeMapRun(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("mapRunArn", true, 1, 2000);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"mapRun"})) return call.reply(Outcome{{}, *bad});
  auto run = context.store->GetMapRun(*arn);
  if (run.status().code() == StatusCode::kNotFound) return call.reply(MapRunNotFound(*arn));
  if (!run.ok()) return call.reply(StoreFailure(context, run.status(), "DescribeMapRun"));
  auto counts = context.store->CountMapRunExecutions(*arn);
  if (!counts.ok()) return call.reply(StoreFailure(context, counts.status(), "DescribeMapRun"));
  Json body = {{"mapRunArn", run->arn},
               {"executionArn", run->execution_arn},
               {"status", store::MapRunStatusName(run->status)},
               {"startDate", Timestamp(run->start_time_ms)},
               {"maxConcurrency", run->max_concurrency},
               {"toleratedFailurePercentage", run->tolerated_failure_percentage},
               {"toleratedFailureCount", run->tolerated_failure_count},
               {"itemCounts", Counts(*counts, run->total_items)},
               {"executionCounts", Counts(*counts, run->total_executions)},
               {"redriveCount", run->redrive_count}};
  if (run->stop_time_ms) body["stopDate"] = Timestamp(*run->stop_time_ms);
  if (run->redrive_time_ms) body["redriveDate"] = Timestamp(*run->redrive_time_ms);
  call.reply(Outcome::Ok(body));
}

void UpdateMapRun(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("mapRunArn", true, 1, 2000);
  auto max_concurrency = f.Int("maxConcurrency", false, 0, INT32_MAX);
  auto count = f.Int("toleratedFailureCount", false, 0, INT64_MAX);
  std::optional<double> percentage;
  if (auto pct = call.input.find("toleratedFailurePercentage");
      pct != call.input.end() && !pct->is_null()) {
    if (!pct->is_number()) {
      return call.reply(Outcome::Fail(ErrorType::kSerializationException,
                                      "Expected a number at 'toleratedFailurePercentage'"));
    }
    percentage = pct->get<double>();
    if (!(*percentage >= 0 && *percentage <= 100)) {
      f.AddConstraint("toleratedFailurePercentage", "'" + pct->dump() + "'",
                      "Member must have value between 0 and 100");
    }
  }
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"mapRun"})) return call.reply(Outcome{{}, *bad});
  if (!max_concurrency && !count && !percentage) {
    return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                    "At least one of maxConcurrency, toleratedFailurePercentage "
                                    "and toleratedFailureCount must be specified"));
  }
  auto run = context.store->GetMapRun(*arn);
  if (run.status().code() == StatusCode::kNotFound) return call.reply(MapRunNotFound(*arn));
  if (!run.ok()) return call.reply(StoreFailure(context, run.status(), "UpdateMapRun"));
  if (run->status != store::MapRunStatus::kRunning) {
    return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                    "Map Run '" + *arn + "' is " +
                                        std::string(store::MapRunStatusName(run->status)) +
                                        "; only a running Map Run can be updated"));
  }
  // Child executions run inside their top-level parent: the update goes there.
  std::string top = run->execution_arn;
  for (int depth = 0; depth < 16; ++depth) {
    auto execution = context.store->GetExecution(top);
    if (!execution.ok() || execution->parent_arn.empty()) break;
    top = execution->parent_arn;
  }
  runtime::MapRunUpdate update;
  update.execution_arn = top;
  update.map_run_arn = *arn;
  update.max_concurrency = max_concurrency;
  update.tolerated_failure_count = count;
  update.tolerated_failure_percentage = percentage;
  auto reply = std::move(call.reply);
  const std::string map_run = *arn;
  context.engine->UpdateMapRun(std::move(update), [reply, map_run](Status status) {
    switch (status.code()) {
      case StatusCode::kOk:
        return reply(Outcome::Ok(Json::object()));
      case StatusCode::kNotFound:
        return reply(Outcome::Fail(
            ErrorType::kValidationException,
            "Map Run '" + map_run + "' has ended; only a running Map Run can be updated"));
      case StatusCode::kInvalidArgument:
        return reply(Outcome::Fail(ErrorType::kValidationException, std::string(status.message())));
      default:
        return reply(Outcome::Fail(
            ErrorType::kServiceUnavailable,
            "The Map Run could not be updated; try again: " + std::string(status.message())));
    }
  });
}

}  // namespace stepd::api::aws
