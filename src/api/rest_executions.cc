// /v1/executions: finding executions, inspecting them, and stopping,
// redriving and restarting them, one by one or in bulk.

#include <mutex>

#include "rest_internal.h"

namespace stepd::api::rest {
namespace {

constexpr std::string_view kStatuses[] = {"RUNNING",   "SUCCEEDED", "FAILED",
                                          "TIMED_OUT", "ABORTED",   "PENDING_REDRIVE"};

// The filter the query (or a bulk body's "filter") describes; answers and
// returns nullopt when it is malformed. `machine_name` receives the state
// machine it names ("" for none).
std::optional<store::ExecutionFilter> ReadFilter(Exchange& x, const Json& given,
                                                 std::string* machine_name) {
  store::ExecutionFilter filter;
  for (std::string_view name :
       {"state_machine", "status", "started_after", "started_before", "name_prefix", "error"}) {
    if (!x.MemberIs(given, name, {"string"}, "InvalidFilter", "Filter")) return std::nullopt;
  }
  auto text = [&given](std::string_view name) -> std::optional<std::string> {
    auto it = given.find(name);
    if (it == given.end()) return std::nullopt;
    return it->get<std::string>();
  };
  if (auto machine = text("state_machine")) {
    if (machine->empty()) {
      x.Fail(BadRequest("InvalidFilter", "Filter 'state_machine' must not be empty"));
      return std::nullopt;
    }
    filter.state_machine_arn = MachineArnFor(x.context(), *machine);
    std::optional<aws::Arn> parsed = aws::ParseArn(filter.state_machine_arn);
    if (!parsed || parsed->resource_type != "stateMachine" ||
        parsed->resource.find(':') != std::string::npos) {
      x.Fail(BadRequest("InvalidFilter",
                        "Filter 'state_machine' must name a state machine (its name or "
                        "unqualified ARN), not '" +
                            *machine + "'"));
      return std::nullopt;
    }
    *machine_name = parsed->resource;
  }
  if (auto status = text("status")) {
    if (std::find(std::begin(kStatuses), std::end(kStatuses), *status) == std::end(kStatuses)) {
      x.Fail(BadRequest("InvalidFilter",
                        "Filter 'status' must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, "
                        "ABORTED, PENDING_REDRIVE, not '" +
                            *status + "'"));
      return std::nullopt;
    }
    filter.status = store::ParseExecutionStatus(*status);
  }
  for (std::string_view name : {"started_after", "started_before"}) {
    if (auto value = text(name)) {
      std::optional<int64_t> ms = ParseTime(*value);
      if (!ms) {
        x.Fail(BadRequest("InvalidFilter",
                          "Filter '" + std::string(name) +
                              "' must be an RFC 3339 time (2026-12-02T05:18:23Z) or epoch "
                              "milliseconds, not '" +
                              *value + "'"));
        return std::nullopt;
      }
      (name == "started_after" ? filter.started_after_ms : filter.started_before_ms) = *ms;
    }
  }
  if (auto prefix = text("name_prefix")) {
    if (prefix->size() > 80) {
      x.Fail(BadRequest("InvalidFilter", "Filter 'name_prefix' is longer than a name (80)"));
      return std::nullopt;
    }
    filter.name_prefix = *prefix;
  }
  if (auto error = text("error")) filter.error = *error;
  return filter;
}

Json QueryAsJson(const http::Request& request) {
  Json j = Json::object();
  for (const auto& [key, value] : request.query) j[key] = value;
  return j;
}

// The principal may read executions of `machine` ("" : of every machine).
bool MayRead(const Principal& p, std::string_view machine) {
  return p.Can(Permission::kRead, machine);
}

Problem NotFound(std::string_view id) {
  return Problem{404, "ExecutionDoesNotExist",
                 "Execution Does Not Exist: '" + std::string(id) + "'"};
}

// {id} as an ARN; answers 404 and returns nullopt when unknown.
std::optional<std::string> ArnOf(Exchange& x) {
  const std::string id(x.Param("id"));
  std::optional<std::string> arn = ExecutionArnFor(x.context(), id);
  if (!arn) x.Fail(NotFound(id));
  return arn;
}

// The most recently entered state of an execution ("" when none), from the
// end of its history.
std::string CurrentState(const aws::Context& context, const std::string& arn) {
  store::PageRequest page;
  page.max_results = 100;
  auto history = context.store->GetHistory(arn, page, /*reverse=*/true);
  if (!history.ok()) return "";
  for (const store::HistoryEventRecord& e : history->items) {
    if (e.type.size() > 12 && e.type.ends_with("StateEntered")) {
      return aws::JsonObjectOrEmpty(e.details_json).value("name", "");
    }
  }
  return "";
}

// The execution as it is now, answered with `status`.
void ReplyExecution(const ExchangePtr& x, const std::string& arn, int status, bool with_payloads) {
  auto record = x->context().store->GetExecution(arn);
  if (!record.ok()) {
    return x->Fail(*aws::StoreFailure(x->context(), record.status(), "GetExecution").error);
  }
  Json j = ExecutionJson(*record, with_payloads);
  x->Reply(status, j, status == 201 ? ExecutionPath(arn) : "");
}

// The list's filters from the query, once the caller may read what they
// name: `filter_each` tells a caller who may read only some state machines
// to drop the others' executions from what it answers. Answers on error.
struct ReadableFilter {
  store::ExecutionFilter filter;
  bool filter_each = false;
};
std::optional<ReadableFilter> ReadReadableFilter(Exchange& x, const char* action) {
  std::string machine;
  std::optional<store::ExecutionFilter> filter = ReadFilter(x, QueryAsJson(x.request()), &machine);
  if (!filter) return std::nullopt;
  const Principal& p = x.principal();
  if ((!machine.empty() && !MayRead(p, machine)) ||
      (machine.empty() && !p.CanOnSome(Permission::kRead))) {
    x.Fail(aws::Denied(p, action, Permission::kRead,
                       machine.empty() ? "" : filter->state_machine_arn));
    return std::nullopt;
  }
  return ReadableFilter{std::move(*filter), machine.empty() && !MayRead(p, "")};
}

}  // namespace

void ListExecutions(const ExchangePtr& x) {
  if (!x->AllowQuery({"state_machine", "status", "started_after", "started_before", "name_prefix",
                      "error", "limit", "cursor"})) {
    return;
  }
  auto page = x->Page();
  if (!page) return;
  std::optional<ReadableFilter> readable = ReadReadableFilter(*x, "stepd:ListExecutions");
  if (!readable) return;
  const store::ExecutionFilter* filter = &readable->filter;
  const bool filter_each = readable->filter_each;
  const Principal& p = x->principal();
  auto listed = x->context().store->ListExecutions(*filter, *page);
  if (listed.status().code() == StatusCode::kNotFound) {
    return x->Fail(Problem{404, "StateMachineDoesNotExist",
                           "State Machine Does Not Exist: '" + filter->state_machine_arn + "'"});
  }
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return x->Fail(BadRequest(
        "InvalidQueryParameter",
        "cursor is not a next_cursor of this query: " + std::string(listed.status().message())));
  }
  if (!listed.ok()) {
    return x->Fail(*aws::StoreFailure(x->context(), listed.status(), "ListExecutions").error);
  }
  // Written as text: lists are long and every item has the same shape.
  std::string body = "{\"items\":[";
  body.reserve(listed->items.size() * 640);
  bool first = true;
  for (const store::ExecutionRecord& e : listed->items) {
    if (filter_each && !MayRead(p, aws::MachineNameOf(e.state_machine_arn))) continue;
    if (!first) body.push_back(',');
    first = false;
    AppendExecutionSummary(e, &body);
  }
  body.push_back(']');
  if (!listed->next_token.empty()) {
    body.append(",\"next_cursor\":");
    AppendJsonText(Json(listed->next_token), &body);
  }
  body.push_back('}');
  x->ReplyJsonText(200, std::move(body));
}

void CountExecutions(const ExchangePtr& x) {
  if (!x->AllowQuery(
          {"state_machine", "started_after", "started_before", "name_prefix", "error"})) {
    return;
  }
  std::optional<ReadableFilter> readable = ReadReadableFilter(*x, "stepd:CountExecutions");
  if (!readable) return;
  const store::ExecutionFilter* filter = &readable->filter;
  const bool filter_each = readable->filter_each;
  const Principal& p = x->principal();
  auto counted = x->context().store->CountExecutions(*filter);
  if (counted.status().code() == StatusCode::kNotFound) {
    return x->Fail(Problem{404, "StateMachineDoesNotExist",
                           "State Machine Does Not Exist: '" + filter->state_machine_arn + "'"});
  }
  if (!counted.ok()) {
    return x->Fail(*aws::StoreFailure(x->context(), counted.status(), "CountExecutions").error);
  }
  Json counts = Json::object();
  for (std::string_view status : kStatuses) counts[std::string(status)] = 0;
  int64_t total = 0;
  for (const store::ExecutionCount& c : *counted) {
    if (filter_each && !MayRead(p, aws::MachineNameOf(c.state_machine_arn))) continue;
    Json& n = counts[std::string(store::ExecutionStatusName(c.status))];
    n = n.get<int64_t>() + c.count;
    total += c.count;
  }
  x->Reply(200, {{"counts", std::move(counts)}, {"total", total}});
}

void GetExecution(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  std::optional<std::string> arn = ArnOf(*x);
  if (!arn) return;
  std::optional<Json> described = x->Expect(x->Read("DescribeExecution", {{"executionArn", *arn}}));
  if (!described) return;
  auto record = x->context().store->GetExecution(*arn);
  if (!record.ok()) return x->Fail(NotFound(*arn));
  Json j = ExecutionJson(*record, true);
  const std::string state = CurrentState(x->context(), *arn);
  j["current_state"] = state.empty() ? Json() : Json(state);
  j["redrivable"] = described->value("redriveStatus", "") == "REDRIVABLE";
  if (described->contains("redriveStatusReason")) {
    j["not_redrivable_reason"] = (*described)["redriveStatusReason"];
  }
  if (!record->map_run_arn.empty()) {
    j["map_run_arn"] = record->map_run_arn;
    j["parent"] = {{"id", ExecutionId(record->parent_arn)}, {"arn", record->parent_arn}};
  }
  store::ExecutionFilter restarts;
  restarts.restarted_from = *arn;
  store::PageRequest page;
  page.max_results = 100;
  j["restarts"] = Json::array();
  if (auto listed = x->context().store->ListExecutions(restarts, page); listed.ok()) {
    for (const store::ExecutionRecord& r : listed->items) {
      j["restarts"].push_back({{"id", ExecutionId(r.arn)},
                               {"arn", r.arn},
                               {"status", store::ExecutionStatusName(r.status)},
                               {"started_at", IsoTime(r.start_time_ms)}});
    }
  }
  const std::string self = ExecutionPath(*arn);
  j["links"]["stop"] = self + "/stop";
  j["links"]["redrive"] = self + "/redrive";
  j["links"]["restart"] = self + "/restart";
  j["links"]["definition"] = self + "/definition";
  x->Reply(200, j);
}

void GetExecutionDefinition(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  std::optional<std::string> arn = ArnOf(*x);
  if (!arn) return;
  std::optional<Json> d =
      x->Expect(x->Read("DescribeStateMachineForExecution", {{"executionArn", *arn}}));
  if (!d) return;
  // Which version ran, DescribeStateMachineForExecution does not say.
  auto record = x->context().store->GetExecution(*arn);
  if (!record.ok()) return x->Fail(NotFound(*arn));
  Json j = {
      {"state_machine", {{"name", d->value("name", "")}, {"arn", d->value("stateMachineArn", "")}}},
      {"definition", JsonValueOf(d->value("definition", "{}"))},
      {"revision_id", d->value("revisionId", "")}};
  if (record->state_machine_version != 0) j["version"] = record->state_machine_version;
  j["updated_at"] = IsoTime(MillisOf(d->value("updateDate", Json())));
  if (d->contains("mapRunArn")) j["map_run_arn"] = (*d)["mapRunArn"];
  x->Reply(200, j);
}

void GetHistory(const ExchangePtr& x) {
  if (!x->AllowQuery({"limit", "cursor", "reverse", "include_data"})) return;
  auto page = x->Page();
  if (!page) return;
  auto reverse = x->QueryBool("reverse", false);
  if (!reverse) return;
  auto include_data = x->QueryBool("include_data", true);
  if (!include_data) return;
  std::optional<std::string> arn = ArnOf(*x);
  if (!arn) return;
  Json input = {{"executionArn", *arn},
                {"maxResults", page->max_results},
                {"reverseOrder", *reverse},
                {"includeExecutionData", *include_data}};
  if (!page->next_token.empty()) input["nextToken"] = page->next_token;
  aws::Outcome outcome = x->Read("GetExecutionHistory", input);
  if (outcome.error && outcome.error->type == aws::ErrorType::kInvalidToken) {
    return x->Fail(
        BadRequest("InvalidQueryParameter", "cursor is not a next_cursor of this history"));
  }
  std::optional<Json> history = x->Expect(outcome);
  if (!history) return;
  Json items = Json::array();
  for (const Json& e : (*history)["events"]) {
    Json item = {{"id", e["id"]},
                 {"previous_event_id", e["previousEventId"]},
                 {"type", e["type"]},
                 {"timestamp", IsoTime(MillisOf(e["timestamp"]))}};
    for (const auto& [key, value] : e.items()) {
      if (key.ends_with("EventDetails")) item["details"] = value;
    }
    items.push_back(std::move(item));
  }
  Json body = {{"items", std::move(items)}};
  if (history->contains("nextToken")) body["next_cursor"] = (*history)["nextToken"];
  x->Reply(200, body);
}

void StopExecution(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"error", "cause"});
  if (!body) return;
  if (!x->MemberIs(*body, "error", {"string"}) || !x->MemberIs(*body, "cause", {"string"})) return;
  std::optional<std::string> arn = ArnOf(*x);
  if (!arn) return;
  Json input = {{"executionArn", *arn}};
  if (body->contains("error")) input["error"] = (*body)["error"];
  if (body->contains("cause")) input["cause"] = (*body)["cause"];
  x->Call("StopExecution", std::move(input), [x, arn = *arn](aws::Outcome outcome) {
    if (!x->Expect(outcome)) return;
    ReplyExecution(x, arn, 200, false);
  });
}

void RedriveExecution(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  if (!x->Body({})) return;
  std::optional<std::string> arn = ArnOf(*x);
  if (!arn) return;
  x->Call("RedriveExecution", {{"executionArn", *arn}}, [x, arn = *arn](aws::Outcome outcome) {
    if (!x->Expect(outcome)) return;
    ReplyExecution(x, arn, 200, false);
  });
}

void RestartExecution(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"from_state", "input", "name"});
  if (!body) return;
  if (!body->contains("from_state") || !(*body)["from_state"].is_string()) {
    return x->Fail(BadRequest("InvalidRequestBody",
                              "Member 'from_state' (a string: the top-level state to restart "
                              "at) is required"));
  }
  if (!x->MemberIs(*body, "name", {"string"})) return;
  std::optional<std::string> arn = ArnOf(*x);
  if (!arn) return;
  Json input = {{"executionArn", *arn}, {"fromState", (*body)["from_state"]}};
  if (body->contains("input")) input["input"] = (*body)["input"].dump();
  if (body->contains("name")) input["name"] = (*body)["name"];
  x->Call("RestartExecution", std::move(input), [x](aws::Outcome outcome) {
    std::optional<Json> started = x->Expect(outcome);
    if (!started) return;
    ReplyExecution(x, (*started)["executionArn"], 201, false);
  });
}

// --- Bulk --------------------------------------------------------------------------------

namespace {

constexpr size_t kBulkConcurrency = 16;

// One bulk request in flight: its targets, run a few at a time.
struct BulkRun : std::enable_shared_from_this<BulkRun> {
  ExchangePtr x;
  std::string operation;  // "StopExecution" / "RedriveExecution"
  std::string done_word;  // "stopped" / "redriven"
  Json extra;             // members added to each call's input
  std::vector<store::ExecutionRecord> targets;
  bool truncated = false;

  std::mutex mu;
  size_t next = 0;
  size_t finished = 0;
  std::vector<Json> results;

  void Begin() {
    results.assign(targets.size(), Json());
    if (targets.empty()) return Finish();
    std::vector<size_t> first;
    {
      std::lock_guard lock(mu);
      while (next < targets.size() && next < kBulkConcurrency) first.push_back(next++);
    }
    for (size_t i : first) Launch(i);
  }

  void Launch(size_t i) {
    Json input = extra;
    input["executionArn"] = targets[i].arn;
    auto self = shared_from_this();
    x->Call(operation, std::move(input),
            [self, i](aws::Outcome outcome) { self->Record(i, std::move(outcome)); });
  }

  void Record(size_t i, aws::Outcome outcome) {
    const store::ExecutionRecord& e = targets[i];
    Json r = {{"id", ExecutionId(e.arn)}, {"arn", e.arn}};
    if (outcome.error) {
      const Problem p = ProblemOf(*outcome.error);
      r["outcome"] = "failed";
      r["problem"] = {{"status", p.status}, {"code", p.code}, {"detail", p.detail}};
    } else {
      auto now = x->context().store->GetExecution(e.arn);
      const bool stopped_now = operation != "StopExecution" ||
                               (now.ok() && now->status == store::ExecutionStatus::kAborted);
      r["outcome"] = stopped_now ? done_word : "not_running";
      if (now.ok()) r["status"] = store::ExecutionStatusName(now->status);
    }
    std::optional<size_t> launch;
    bool last = false;
    {
      std::lock_guard lock(mu);
      results[i] = std::move(r);
      ++finished;
      if (next < targets.size()) launch = next++;
      last = finished == targets.size();
    }
    // The next one starts on a fresh stack: a run of answers given at once
    // (refusals) must not nest one call in the other's reply.
    if (launch) {
      auto self = shared_from_this();
      const size_t n = *launch;
      if (!x->service().Submit([self, n] { self->Launch(n); })) Launch(n);
    }
    if (last) Finish();
  }

  void Finish() {
    size_t succeeded = 0, failed = 0;
    for (const Json& r : results) {
      if (r.value("outcome", "") == done_word) ++succeeded;
      if (r.value("outcome", "") == "failed") ++failed;
    }
    x->Reply(200, {{"matched", targets.size()},
                   {"succeeded", succeeded},
                   {"failed", failed},
                   {"dry_run", false},
                   {"truncated", truncated},
                   {"results", Json(results)}});
  }
};

// Reads a bulk body, lists its targets (those of `statuses` the filter
// matches, newest first, at most `limit`), and runs `operation` on each.
void Bulk(const ExchangePtr& x, std::string operation, std::string done_word,
          std::vector<store::ExecutionStatus> statuses) {
  if (!x->AllowQuery({})) return;
  const bool stop = operation == "StopExecution";
  auto body = stop ? x->Body({"filter", "all", "dry_run", "limit", "error", "cause"})
                   : x->Body({"filter", "all", "dry_run", "limit"});
  if (!body) return;
  const Json filter_json = body->value("filter", Json::object());
  if (!filter_json.is_object()) {
    return x->Fail(BadRequest("InvalidRequestBody", "Member 'filter' must be an object"));
  }
  for (const auto& [key, value] : filter_json.items()) {
    if (key != "state_machine" && key != "status" && key != "started_after" &&
        key != "started_before" && key != "name_prefix" && key != "error") {
      return x->Fail(
          BadRequest("InvalidFilter", "Unknown filter '" + key +
                                          "'; filters: state_machine, status, started_after, "
                                          "started_before, name_prefix, error"));
    }
  }
  for (const char* member : {"all", "dry_run"}) {
    if (!x->MemberIs(*body, member, {"boolean"})) return;
  }
  for (const char* member : {"error", "cause"}) {
    if (!x->MemberIs(*body, member, {"string"})) return;
  }
  int64_t limit = 1000;
  if (body->contains("limit")) {
    const Json& l = (*body)["limit"];
    if (!l.is_number_integer() || l.get<int64_t>() < 1 || l.get<int64_t>() > 10000) {
      return x->Fail(BadRequest("InvalidRequestBody",
                                "Member 'limit' must be a whole number from 1 to 10000"));
    }
    limit = l.get<int64_t>();
  }
  const bool all = body->value("all", false);
  const bool dry_run = body->value("dry_run", false);
  if (filter_json.empty() && !all) {
    return x->Fail(BadRequest("FilterRequired",
                              "Give a 'filter', or \"all\": true to act on every execution "
                              "that can be " +
                                  done_word));
  }
  std::string machine;
  std::optional<store::ExecutionFilter> filter = ReadFilter(*x, filter_json, &machine);
  if (!filter) return;
  if (filter->status) {
    if (std::find(statuses.begin(), statuses.end(), *filter->status) == statuses.end()) {
      std::string allowed;
      for (store::ExecutionStatus s : statuses) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(store::ExecutionStatusName(s));
      }
      return x->Fail(BadRequest("InvalidFilter", "Only executions that are " + allowed +
                                                     " can be " + done_word +
                                                     "; filter 'status' "
                                                     "may only name those"));
    }
    statuses = {*filter->status};
  }
  const Principal& p = x->principal();
  if (!machine.empty() && !MayRead(p, machine)) {
    return x->Fail(
        aws::Denied(p, "stepd:ListExecutions", Permission::kRead, filter->state_machine_arn));
  }
  auto run = std::make_shared<BulkRun>();
  run->x = x;
  run->operation = std::move(operation);
  run->done_word = std::move(done_word);
  run->extra = Json::object();
  if (body->contains("error")) run->extra["error"] = (*body)["error"];
  if (body->contains("cause")) run->extra["cause"] = (*body)["cause"];
  for (store::ExecutionStatus status : statuses) {
    store::ExecutionFilter f = *filter;
    f.status = status;
    store::PageRequest page;
    page.max_results = 1000;
    do {
      auto listed = x->context().store->ListExecutions(f, page);
      if (listed.status().code() == StatusCode::kNotFound) {
        return x->Fail(Problem{404, "StateMachineDoesNotExist",
                               "State Machine Does Not Exist: '" + f.state_machine_arn + "'"});
      }
      if (!listed.ok()) {
        return x->Fail(*aws::StoreFailure(x->context(), listed.status(), "Bulk").error);
      }
      for (store::ExecutionRecord& e : listed->items) {
        if (!MayRead(p, aws::MachineNameOf(e.state_machine_arn))) continue;
        if (static_cast<int64_t>(run->targets.size()) >= limit) {
          run->truncated = true;
          break;
        }
        run->targets.push_back(std::move(e));
      }
      page.next_token = run->truncated ? "" : listed->next_token;
    } while (!page.next_token.empty());
  }
  std::sort(run->targets.begin(), run->targets.end(),
            [](const store::ExecutionRecord& a, const store::ExecutionRecord& b) {
              return a.start_time_ms > b.start_time_ms;
            });
  if (dry_run) {
    Json results = Json::array();
    for (const store::ExecutionRecord& e : run->targets) {
      results.push_back({{"id", ExecutionId(e.arn)},
                         {"arn", e.arn},
                         {"outcome", "would_be_" + run->done_word},
                         {"status", store::ExecutionStatusName(e.status)}});
    }
    return x->Reply(200, {{"matched", run->targets.size()},
                          {"succeeded", 0},
                          {"failed", 0},
                          {"dry_run", true},
                          {"truncated", run->truncated},
                          {"results", std::move(results)}});
  }
  run->Begin();
}

}  // namespace

void BulkStop(const ExchangePtr& x) {
  Bulk(x, "StopExecution", "stopped", {store::ExecutionStatus::kRunning});
}

void BulkRedrive(const ExchangePtr& x) {
  Bulk(x, "RedriveExecution", "redriven",
       {store::ExecutionStatus::kFailed, store::ExecutionStatus::kTimedOut,
        store::ExecutionStatus::kAborted});
}

}  // namespace stepd::api::rest
