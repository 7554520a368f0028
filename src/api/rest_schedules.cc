// /v1/schedules: schedules that start a state machine at the times of an
// EventBridge Scheduler expression (runtime/scheduler.h does the work).
// Reading needs `read` on the target machine; changes need `manage`, firing
// by hand `start`. Schedules from the config file are read-only here.

#include "rest_internal.h"
#include "stepd/runtime/scheduler.h"

namespace stepd::api::rest {
namespace {

constexpr size_t kUpcoming = 5;

Problem ProblemOfStatus(const Status& status) {
  const std::string detail(status.message());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return BadRequest("ValidationException", detail);
    case StatusCode::kNotFound:
      return Problem{404, "ResourceNotFound", detail};
    case StatusCode::kAlreadyExists:
      return Problem{409, "ScheduleAlreadyExists", detail};
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return Problem{409, "ConflictException", detail};
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      return Problem{503, "ServiceUnavailable", detail};
    default:
      return Problem{500, "InternalFailure", detail};
  }
}

runtime::Scheduler* SchedulerOf(const ExchangePtr& x) {
  runtime::Scheduler* scheduler = x->context().scheduler;
  if (scheduler == nullptr) {
    x->Fail(Problem{503, "ServiceUnavailable", "schedules are not running in this process"});
  }
  return scheduler;
}

// May `permission` on the schedule's target; answers 403 (with an audit
// row) otherwise.
bool Allowed(const ExchangePtr& x, Permission permission, std::string_view action,
             const std::string& machine_arn) {
  const std::string machine = aws::MachineNameOf(machine_arn);
  if (x->principal().Can(permission, machine)) return true;
  aws::AwsError denied = aws::Denied(x->principal(), action, permission, machine_arn);
  store::AuditEntry row;
  row.timestamp_ms = x->context().NowMs();
  row.actor = x->principal().id;
  row.action = std::string(action.substr(action.find(':') + 1));
  row.target = machine_arn;
  row.details_json = Json{
      {"outcome", "denied"},
      {"principal", x->principal().AuditJson()},
      {"source", x->request().remote_address},
      {"request_id", x->request().request_id},
      {"api", "rest"}}.dump(-1, ' ', false, Json::error_handler_t::replace);
  x->service().AppendAudit(row);
  x->Fail(denied);
  return false;
}

runtime::ScheduleCaller CallerOf(const ExchangePtr& x) {
  Json details = {{"principal", x->principal().AuditJson()},
                  {"source", x->request().remote_address},
                  {"request_id", x->request().request_id},
                  {"api", "rest"}};
  return {x->principal().id, details.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

std::string SchedulePath(std::string_view name) { return "/v1/schedules/" + PathSegment(name); }

Json ScheduleJson(const store::ScheduleRecord& r, const runtime::Scheduler* upcoming_from) {
  const std::string machine = aws::MachineNameOf(r.state_machine_arn);
  Json j = {{"name", r.name},
            {"description", r.description},
            {"state_machine", machine},
            {"state_machine_arn", r.state_machine_arn}};
  if (!r.qualifier.empty()) {
    if (r.qualifier.find_first_not_of("0123456789") == std::string::npos) {
      j["version"] = std::stoll(r.qualifier);
    } else {
      j["alias"] = r.qualifier;
    }
  }
  j["input"] = JsonValueOf(r.input);
  j["expression"] = r.expression;
  j["timezone"] = r.timezone;
  if (r.start_ms) j["start"] = IsoTime(*r.start_ms);
  if (r.end_ms) j["end"] = IsoTime(*r.end_ms);
  j["enabled"] = r.enabled;
  j["catch_up"] = store::ScheduleCatchUpName(r.catch_up);
  j["source"] = r.source;
  if (r.next_fire_ms) j["next_fire"] = IsoTime(*r.next_fire_ms);
  if (r.last_fire_ms) j["last_fire"] = IsoTime(*r.last_fire_ms);
  if (!r.last_execution_arn.empty()) {
    j["last_execution"] = {{"id", ExecutionId(r.last_execution_arn)},
                           {"arn", r.last_execution_arn}};
  }
  if (!r.last_error.empty()) j["last_error"] = r.last_error;
  j["revision"] = r.revision;
  j["created_at"] = IsoTime(r.created_at_ms);
  j["updated_at"] = IsoTime(r.updated_at_ms);
  if (upcoming_from != nullptr) {
    Json times = Json::array();
    for (TimePoint t : upcoming_from->Upcoming(r, kUpcoming)) {
      times.push_back(IsoTime(
          std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count()));
    }
    j["upcoming"] = std::move(times);
  }
  j["links"] = {{"self", SchedulePath(r.name)},
                {"state_machine", "/v1/state-machines/" + PathSegment(machine)}};
  return j;
}

// A schedule's description in a request body; `name` from the path (PUT)
// or the body (POST). Answers 400 and returns nullopt when malformed.
std::optional<runtime::ScheduleSpec> SpecOf(const ExchangePtr& x, const Json& body,
                                            std::optional<std::string> name) {
  for (const char* member : {"name", "description", "state_machine", "alias", "expression",
                             "timezone", "catch_up", "start", "end"}) {
    if (!x->MemberIs(body, member, {"string"})) return std::nullopt;
  }
  if (!x->MemberIs(body, "version", {"integer"}) || !x->MemberIs(body, "enabled", {"boolean"})) {
    return std::nullopt;
  }
  runtime::ScheduleSpec spec;
  if (name) {
    spec.name = *name;
  } else if (!body.contains("name")) {
    x->Fail(BadRequest("InvalidRequestBody", "Member 'name' is required"));
    return std::nullopt;
  } else {
    spec.name = body["name"];
  }
  for (const char* required : {"state_machine", "expression"}) {
    if (!body.contains(required)) {
      x->Fail(
          BadRequest("InvalidRequestBody", "Member '" + std::string(required) + "' is required"));
      return std::nullopt;
    }
  }
  spec.state_machine = body["state_machine"];
  spec.expression = body["expression"];
  spec.description = body.value("description", "");
  spec.timezone = body.value("timezone", "UTC");
  if (body.contains("version") && body.contains("alias")) {
    x->Fail(BadRequest("InvalidRequestBody", "Give 'version' or 'alias', not both"));
    return std::nullopt;
  }
  if (body.contains("version")) {
    const int64_t version = body["version"].get<int64_t>();
    if (version < 1 || version > 999999999) {
      x->Fail(BadRequest("InvalidRequestBody",
                         "Member 'version' must be a published version "
                         "number (1 or more), not " +
                             std::to_string(version)));
      return std::nullopt;
    }
    spec.qualifier = std::to_string(version);
  }
  if (body.contains("alias")) spec.qualifier = body["alias"];
  if (body.contains("input")) {
    spec.input = body["input"].dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  spec.enabled = body.value("enabled", true);
  if (body.contains("catch_up")) {
    std::optional<store::ScheduleCatchUp> catch_up =
        store::ParseScheduleCatchUp(body["catch_up"].get<std::string>());
    if (!catch_up) {
      x->Fail(BadRequest("InvalidRequestBody", "Member 'catch_up' must be SKIP or LAST, not '" +
                                                   body["catch_up"].get<std::string>() + "'"));
      return std::nullopt;
    }
    spec.catch_up = *catch_up;
  }
  for (const char* bound : {"start", "end"}) {
    if (!body.contains(bound)) continue;
    std::optional<int64_t> ms = ParseTime(body[bound].get<std::string>());
    if (!ms) {
      x->Fail(BadRequest("InvalidRequestBody",
                         "Member '" + std::string(bound) +
                             "' must be an RFC 3339 time (2026-12-02T05:18:23Z), not '" +
                             body[bound].get<std::string>() + "'"));
      return std::nullopt;
    }
    (std::string_view(bound) == "start" ? spec.start_ms : spec.end_ms) = *ms;
  }
  return spec;
}

// The stored schedule {name}; answers 404 and returns nullopt when absent.
std::optional<store::ScheduleRecord> Existing(const ExchangePtr& x) {
  StatusOr<store::ScheduleRecord> stored = x->context().store->GetSchedule(x->Param("name"));
  if (!stored.ok()) {
    x->Fail(ProblemOfStatus(stored.status()));
    return std::nullopt;
  }
  return std::move(stored).value();
}

}  // namespace

void ListSchedules(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  if (!x->principal().CanOnSome(Permission::kRead)) {
    return x->Fail(aws::Denied(x->principal(), "stepd:ListSchedules", Permission::kRead, ""));
  }
  StatusOr<std::vector<store::ScheduleRecord>> listed = x->context().store->ListSchedules();
  if (!listed.ok()) return x->Fail(ProblemOfStatus(listed.status()));
  Json items = Json::array();
  for (const store::ScheduleRecord& r : *listed) {
    if (!x->principal().Can(Permission::kRead, aws::MachineNameOf(r.state_machine_arn))) continue;
    items.push_back(ScheduleJson(r, nullptr));
  }
  x->Reply(200, {{"items", std::move(items)}});
}

void CreateSchedule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Scheduler* scheduler = SchedulerOf(x);
  if (scheduler == nullptr) return;
  std::optional<Json> body =
      x->Body({"name", "description", "state_machine", "version", "alias", "input", "expression",
               "timezone", "start", "end", "enabled", "catch_up"});
  if (!body) return;
  std::optional<runtime::ScheduleSpec> spec = SpecOf(x, *body, std::nullopt);
  if (!spec) return;
  if (!Allowed(x, Permission::kManage, "stepd:CreateSchedule",
               MachineArnFor(x->context(), spec->state_machine))) {
    return;
  }
  StatusOr<store::ScheduleRecord> created = scheduler->Create(*spec, CallerOf(x));
  if (!created.ok()) return x->Fail(ProblemOfStatus(created.status()));
  x->Reply(201, ScheduleJson(*created, scheduler), SchedulePath(created->name));
}

void GetSchedule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  std::optional<store::ScheduleRecord> stored = Existing(x);
  if (!stored) return;
  if (!Allowed(x, Permission::kRead, "stepd:GetSchedule", stored->state_machine_arn)) return;
  x->Reply(200, ScheduleJson(*stored, x->context().scheduler));
}

void PutSchedule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Scheduler* scheduler = SchedulerOf(x);
  if (scheduler == nullptr) return;
  std::optional<Json> body =
      x->Body({"name", "description", "state_machine", "version", "alias", "input", "expression",
               "timezone", "start", "end", "enabled", "catch_up"});
  if (!body) return;
  const std::string name = x->Param("name");
  if (body->contains("name") && (*body)["name"] != name) {
    return x->Fail(BadRequest("InvalidRequestBody", "Member 'name' must be the path's name '" +
                                                        name + "' (a schedule cannot be renamed)"));
  }
  std::optional<store::ScheduleRecord> stored = Existing(x);
  if (!stored) return;
  std::optional<runtime::ScheduleSpec> spec = SpecOf(x, *body, name);
  if (!spec) return;
  if (!Allowed(x, Permission::kManage, "stepd:UpdateSchedule", stored->state_machine_arn) ||
      !Allowed(x, Permission::kManage, "stepd:UpdateSchedule",
               MachineArnFor(x->context(), spec->state_machine))) {
    return;
  }
  StatusOr<store::ScheduleRecord> replaced = scheduler->Replace(*spec, CallerOf(x));
  if (!replaced.ok()) return x->Fail(ProblemOfStatus(replaced.status()));
  x->Reply(200, ScheduleJson(*replaced, scheduler));
}

void PatchSchedule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Scheduler* scheduler = SchedulerOf(x);
  if (scheduler == nullptr) return;
  std::optional<Json> body = x->Body({"enabled"});
  if (!body) return;
  if (!x->MemberIs(*body, "enabled", {"boolean"})) return;
  if (!body->contains("enabled")) {
    return x->Fail(BadRequest("InvalidRequestBody", "Member 'enabled' is required"));
  }
  std::optional<store::ScheduleRecord> stored = Existing(x);
  if (!stored) return;
  if (!Allowed(x, Permission::kManage, "stepd:UpdateSchedule", stored->state_machine_arn)) return;
  StatusOr<store::ScheduleRecord> changed =
      scheduler->SetEnabled(stored->name, (*body)["enabled"].get<bool>(), CallerOf(x));
  if (!changed.ok()) return x->Fail(ProblemOfStatus(changed.status()));
  x->Reply(200, ScheduleJson(*changed, scheduler));
}

void DeleteSchedule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Scheduler* scheduler = SchedulerOf(x);
  if (scheduler == nullptr) return;
  std::optional<store::ScheduleRecord> stored = Existing(x);
  if (!stored) return;
  if (!Allowed(x, Permission::kManage, "stepd:DeleteSchedule", stored->state_machine_arn)) return;
  Status deleted = scheduler->Delete(stored->name, CallerOf(x));
  if (!deleted.ok()) return x->Fail(ProblemOfStatus(deleted));
  x->NoContent();
}

void FireSchedule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Scheduler* scheduler = SchedulerOf(x);
  if (scheduler == nullptr) return;
  if (!x->Body({})) return;
  std::optional<store::ScheduleRecord> stored = Existing(x);
  if (!stored) return;
  if (!Allowed(x, Permission::kStart, "states:StartExecution", stored->state_machine_arn)) return;
  StatusOr<runtime::StartResult> started = scheduler->FireNow(stored->name, CallerOf(x));
  if (!started.ok()) return x->Fail(ProblemOfStatus(started.status()));
  StatusOr<store::ExecutionRecord> record =
      x->context().store->GetExecution(started->execution_arn);
  if (!record.ok()) return x->Fail(ProblemOfStatus(record.status()));
  x->Reply(201, ExecutionJson(*record, false), ExecutionPath(started->execution_arn));
}

}  // namespace stepd::api::rest
