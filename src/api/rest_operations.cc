// The operators' other resources: who the caller is, activities and pending
// tasks, connections (never their secrets), and the audit log.

#include <spdlog/spdlog.h>

#include "rest_internal.h"

namespace stepd::api::rest {
namespace {

std::string ActivityArnFor(const aws::Context& context, std::string_view name_or_arn) {
  if (name_or_arn.rfind("arn:", 0) == 0) return std::string(name_or_arn);
  return aws::ActivityArn(*context.options, name_or_arn);
}

Json TaskJson(const store::ActivityTaskRecord& t) {
  std::optional<aws::Arn> arn = aws::ParseArn(t.activity_arn);
  const bool activity = arn && arn->resource_type == "activity";
  Json j = {{"kind", activity ? "activity" : "callback"}};
  if (activity) {
    j["activity"] = arn->resource;
    j["activity_arn"] = t.activity_arn;
  } else {
    j["resource"] = t.activity_arn;
  }
  j["execution"] = {{"id", ExecutionId(t.execution_arn)},
                    {"arn", t.execution_arn},
                    {"links", {{"self", ExecutionPath(t.execution_arn)}}}};
  j["task_id"] = t.task_id;
  j["state"] = store::ActivityTaskStateName(t.state);
  if (!t.worker_name.empty()) j["worker"] = t.worker_name;
  j["created_at"] = IsoTime(t.created_at_ms);
  if (t.started_at_ms) j["started_at"] = IsoTime(*t.started_at_ms);
  if (t.heartbeat_at_ms) j["heartbeat_at"] = IsoTime(*t.heartbeat_at_ms);
  j["input"] = JsonValueOf(t.input);
  return j;
}

// ?state as a list of task states (comma-separated); answers on error.
std::optional<std::vector<store::ActivityTaskState>> TaskStates(Exchange& x) {
  std::vector<store::ActivityTaskState> states;
  auto given = x.Query("state");
  if (!given) return states;
  std::string_view rest = *given;
  while (true) {
    const size_t comma = rest.find(',');
    std::string_view one = rest.substr(0, comma);
    auto state = store::ParseActivityTaskState(one);
    if (!state) {
      x.Fail(BadRequest("InvalidQueryParameter",
                        "state must list QUEUED, STARTED, SUCCEEDED, FAILED or CLOSED, not '" +
                            std::string(one) + "'"));
      return std::nullopt;
    }
    states.push_back(*state);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return states;
}

// Lists the tasks `filter` selects that the principal may see.
void ReplyTasks(const ExchangePtr& x, const store::ActivityTaskFilter& filter,
                const store::PageRequest& page) {
  auto listed = x->context().store->ListActivityTasks(filter, page);
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return x->Fail(
        BadRequest("InvalidQueryParameter", "cursor is not a next_cursor of this query"));
  }
  if (!listed.ok()) {
    return x->Fail(*aws::StoreFailure(x->context(), listed.status(), "ListTasks").error);
  }
  Json items = Json::array();
  for (const store::ActivityTaskRecord& t : listed->items) {
    if (!x->principal().Can(Permission::kRead, aws::MachineNameOf(t.execution_arn))) continue;
    items.push_back(TaskJson(t));
  }
  Json body = {{"items", std::move(items)}};
  if (!listed->next_token.empty()) body["next_cursor"] = listed->next_token;
  x->Reply(200, body);
}

Json ActivityJson(const Json& d) {
  const std::string name = d.value("name", "");
  const std::string self = "/v1/activities/" + PathSegment(name);
  return {{"name", name},
          {"arn", d.value("activityArn", "")},
          {"created_at", IsoTime(MillisOf(d.value("creationDate", Json())))},
          {"links", {{"self", self}, {"tasks", self + "/tasks"}}}};
}

}  // namespace

void ListActivities(const ExchangePtr& x) {
  if (!x->AllowQuery({"limit", "cursor"})) return;
  x->ReplyPage("ListActivities", Json::object(), {"activities"},
               [](const Json& a) -> std::optional<Json> { return ActivityJson(a); });
}

void GetActivity(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  const std::string arn = ActivityArnFor(x->context(), x->Param("name"));
  std::optional<Json> described = x->Expect(x->Read("DescribeActivity", {{"activityArn", arn}}));
  if (!described) return;
  x->Reply(200, ActivityJson(*described));
}

void ListActivityTasks(const ExchangePtr& x) {
  if (!x->AllowQuery({"state", "limit", "cursor"})) return;
  auto page = x->Page();
  if (!page) return;
  auto states = TaskStates(*x);
  if (!states) return;
  const std::string arn = ActivityArnFor(x->context(), x->Param("name"));
  if (!x->Expect(x->Read("DescribeActivity", {{"activityArn", arn}}))) return;
  store::ActivityTaskFilter filter;
  filter.activity_arn = arn;
  filter.states = *states;
  ReplyTasks(x, filter, *page);
}

void ListTasks(const ExchangePtr& x) {
  if (!x->AllowQuery({"activity", "execution", "state", "limit", "cursor"})) return;
  auto page = x->Page();
  if (!page) return;
  auto states = TaskStates(*x);
  if (!states) return;
  store::ActivityTaskFilter filter;
  filter.states = *states;
  if (auto activity = x->Query("activity")) {
    filter.activity_arn = ActivityArnFor(x->context(), *activity);
  }
  if (auto execution = x->Query("execution")) {
    std::optional<std::string> arn = ExecutionArnFor(x->context(), *execution);
    if (!arn) {
      return x->Fail(
          Problem{404, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + *execution + "'"});
    }
    filter.execution_arn = *arn;
  }
  if (!x->principal().CanOnSome(Permission::kRead)) {
    return x->Fail(aws::Denied(x->principal(), "stepd:ListTasks", Permission::kRead, ""));
  }
  ReplyTasks(x, filter, *page);
}

namespace {

Json ConnectionJson(const Json& c) {
  const std::string name = c.value("Name", "");
  Json j = {{"name", name},
            {"arn", c.value("ConnectionArn", "")},
            {"state", c.value("ConnectionState", "")},
            {"authorization_type", c.value("AuthorizationType", "")}};
  if (c.contains("Description")) j["description"] = c["Description"];
  if (c.contains("StateReason")) j["state_reason"] = c["StateReason"];
  if (c.contains("AuthParameters")) j["auth_parameters"] = c["AuthParameters"];
  if (c.contains("CreationTime")) j["created_at"] = IsoTime(MillisOf(c["CreationTime"]));
  if (c.contains("LastModifiedTime")) j["updated_at"] = IsoTime(MillisOf(c["LastModifiedTime"]));
  if (c.contains("LastAuthorizedTime")) {
    j["authorized_at"] = IsoTime(MillisOf(c["LastAuthorizedTime"]));
  }
  j["links"] = {{"self", "/v1/connections/" + PathSegment(name)}};
  return j;
}

}  // namespace

void ListConnections(const ExchangePtr& x) {
  if (!x->AllowQuery({"limit", "cursor"})) return;
  x->ReplyPage("ListConnections", Json::object(), {"Connections", "Limit", "NextToken", 100},
               [](const Json& c) -> std::optional<Json> { return ConnectionJson(c); });
}

void GetConnection(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  std::optional<Json> described =
      x->Expect(x->Read("DescribeConnection", {{"Name", std::string(x->Param("name"))}}));
  if (!described) return;
  x->Reply(200, ConnectionJson(*described));
}

// --- Audit ---------------------------------------------------------------------------

namespace {

Json AuditJson(const store::AuditRecord& r) {
  Json j = {{"seq", r.seq},
            {"timestamp", IsoTime(r.entry.timestamp_ms)},
            {"principal", r.entry.actor},
            {"action", r.entry.action},
            {"resource", r.entry.target}};
  if (r.entry.event_id > 0) j["event_id"] = r.entry.event_id;
  j["details"] = aws::JsonObjectOrEmpty(r.entry.details_json);
  j["hash"] = r.hash;
  j["prev_hash"] = r.prev_hash;
  return j;
}

constexpr size_t kExportBuffer = 1 << 20;

// The audit log is every state machine's: only a principal who may operate
// on all of them (an unscoped operator or admin) reads it.
bool MayReadAudit(const ExchangePtr& x) {
  if (x->principal().Can(Permission::kOperate)) return true;
  x->Fail(aws::Denied(x->principal(), "stepd:ReadAudit", Permission::kOperate, "audit"));
  return false;
}

}  // namespace

void ListAudit(const ExchangePtr& x) {
  if (!x->AllowQuery({"principal", "action", "resource", "since", "until", "order", "format",
                      "limit", "cursor"})) {
    return;
  }
  auto page = x->Page();
  if (!page) return;
  store::AuditQuery query;
  query.actor = x->Query("principal").value_or("");
  query.action = x->Query("action").value_or("");
  query.target = x->Query("resource").value_or("");
  auto since = x->QueryTime("since");
  if (!since) return;
  auto until = x->QueryTime("until");
  if (!until) return;
  query.since_ms = *since;
  query.until_ms = *until;
  const std::string order = x->Query("order").value_or("asc");
  if (order != "asc" && order != "desc") {
    return x->Fail(BadRequest("InvalidQueryParameter",
                              "order must be asc (oldest first) or desc, not '" + order + "'"));
  }
  query.newest_first = order == "desc";
  std::string format = x->Query("format").value_or("");
  if (format.empty()) {
    format = http::AcceptsMediaType(x->request().headers, "application/x-ndjson") ? "jsonl" : "json";
  }
  if (format != "json" && format != "jsonl") {
    return x->Fail(
        BadRequest("InvalidQueryParameter", "format must be json or jsonl, not '" + format + "'"));
  }
  if (!MayReadAudit(x)) return;
  store::Store* store = x->context().store;
  if (format == "json") {
    auto rows = store->QueryAudit(query, *page);
    if (rows.status().code() == StatusCode::kInvalidArgument) {
      return x->Fail(
          BadRequest("InvalidQueryParameter", "cursor is not a next_cursor of this query"));
    }
    if (!rows.ok()) return x->Fail(*aws::StoreFailure(x->context(), rows.status(), "Audit").error);
    Json items = Json::array();
    for (const store::AuditRecord& r : rows->items) items.push_back(AuditJson(r));
    Json body = {{"items", std::move(items)}};
    if (!rows->next_token.empty()) body["next_cursor"] = rows->next_token;
    return x->Reply(200, body);
  }
  // JSON lines: every matching row from the cursor on, streamed page by
  // page (limit is the page size), one object per line.
  auto first = store->QueryAudit(query, *page);
  if (first.status().code() == StatusCode::kInvalidArgument) {
    return x->Fail(
        BadRequest("InvalidQueryParameter", "cursor is not a next_cursor of this query"));
  }
  if (!first.ok()) return x->Fail(*aws::StoreFailure(x->context(), first.status(), "Audit").error);
  http::Stream stream = x->StartStream(200, "application/x-ndjson");
  store::Page<store::AuditRecord> rows = std::move(first).value();
  while (true) {
    std::string chunk;
    for (const store::AuditRecord& r : rows.items) {
      AppendJsonText(AuditJson(r), &chunk);
      chunk += '\n';
    }
    // At most a few pages wait for a slow reader: the export never holds
    // the whole log in memory.
    if (!chunk.empty() && (!stream.Write(std::move(chunk)) || !stream.WaitForRoom(kExportBuffer))) {
      return;  // the client left
    }
    if (rows.next_token.empty()) break;
    store::PageRequest next = *page;
    next.next_token = rows.next_token;
    auto more = store->QueryAudit(query, next);
    if (!more.ok()) {
      x->context().log->error("audit export stopped: {}", more.status().ToString());
      return;  // the stream ends without its last chunk: the client sees it cut
    }
    rows = std::move(more).value();
  }
  stream.Finish();
}

void VerifyAudit(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  if (!MayReadAudit(x)) return;
  store::Store* store = x->context().store;
  auto head = store->GetAuditHead();
  if (!head.ok()) return x->Fail(*aws::StoreFailure(x->context(), head.status(), "Audit").error);
  Status verified = store->VerifyAuditChain();
  if (!verified.ok() && verified.code() != StatusCode::kDataLoss) {
    return x->Fail(*aws::StoreFailure(x->context(), verified, "VerifyAuditChain").error);
  }
  Json body = {{"intact", verified.ok()},
               {"rows", head->seq},
               {"head", {{"seq", head->seq}, {"hash", head->hash}}}};
  if (!verified.ok()) body["problem"] = std::string(verified.message());
  x->Reply(200, body);
}

void GetMe(const ExchangePtr& x) {
  if (!x->AllowQuery({"state_machine"})) return;
  const Principal& p = x->principal();
  Json j = {{"principal", p.id}, {"kind", p.kind}};
  if (!p.subject.empty()) j["subject"] = p.subject;
  if (!p.email.empty()) j["email"] = p.email;
  if (!p.groups.empty()) j["groups"] = p.groups;
  j["roles"] = p.DescribeGrants();
  j["grants"] = Json::array();
  for (const Grant& g : p.grants) {
    j["grants"].push_back({{"role", RoleName(g.role)}, {"state_machines", g.state_machines}});
  }
  const auto permissions = [&p](std::string_view machine) {
    Json out = Json::object();
    for (Permission permission :
         {Permission::kRead, Permission::kStart, Permission::kOperate, Permission::kManage}) {
      out[std::string(PermissionName(permission))] = p.Can(permission, machine);
    }
    return out;
  };
  j["permissions"] = permissions({});
  if (std::optional<std::string> machine = x->Query("state_machine")) {
    Json scoped = permissions(*machine);
    scoped["name"] = *machine;
    j["state_machine"] = std::move(scoped);
  }
  x->Reply(200, j);
}

}  // namespace stepd::api::rest
