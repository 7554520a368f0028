// REST: notification sinks and rules (config-file ones read-only), and the
// outbox of notifications with its dead letters (runtime/notifier.h).
// Sinks and rules are everyone's: reading them needs read permission on
// every machine, changing them manage permission on every machine. An
// outbox row is its execution's: read (operate to retry) on its machine.

#include <charconv>

#include "rest_internal.h"
#include "stepd/runtime/notifier.h"

namespace stepd::api::rest {
namespace {

runtime::Notifier* NotifierOf(const ExchangePtr& x) {
  runtime::Notifier* notifier = x->context().notifier;
  if (notifier == nullptr) {
    x->Fail(Problem{503, "ServiceUnavailable", "notifications are not running"});
  }
  return notifier;
}

bool May(const ExchangePtr& x, Permission permission, std::string_view action,
         std::string_view machine = {}) {
  if (x->principal().Can(permission, machine)) return true;
  x->Fail(aws::Denied(x->principal(), action, permission, machine));
  return false;
}

void FailWith(const ExchangePtr& x, const Status& status, std::string_view op) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return x->Fail(BadRequest("ValidationException", status.message()));
    case StatusCode::kNotFound:
      return x->Fail(Problem{404, "ResourceNotFound", status.message()});
    case StatusCode::kFailedPrecondition:
      return x->Fail(Problem{409, "ConflictException", status.message()});
    default:
      return x->Fail(*aws::StoreFailure(x->context(), status, op).error);
  }
}

// The audit row of a change made through these routes (no secrets in it).
std::vector<store::AuditEntry> AuditOf(const ExchangePtr& x, std::string_view action,
                                       std::string_view target, Json details) {
  aws::Call call;
  call.principal = x->principal();
  call.operation = std::string(action);
  call.source = x->request().remote_address;
  call.request_id = x->request().request_id;
  call.audit_details = {{"api", "rest"}};
  return {aws::Audit(x->context(), call, action, target, std::move(details))};
}

std::string MachineOf(const store::NotificationRecord& n) {
  const Json event = Json::parse(n.event_json, nullptr, false);
  if (event.is_object() && event.contains("state_machine") && event["state_machine"].is_string()) {
    return event["state_machine"].get<std::string>();
  }
  return {};
}

Json NotificationJson(const store::NotificationRecord& n) {
  Json j = {{"id", n.id},
            {"status", store::NotificationStatusName(n.status)},
            {"attempts", n.attempts},
            {"outcome", n.outcome},
            {"kind", n.kind},
            {"rule", n.rule},
            {"sink", n.sink},
            {"sink_type", n.sink_type},
            {"execution_arn", n.execution_arn},
            {"state_machine", MachineOf(n)},
            {"created_at", IsoTime(n.created_ms)},
            {"updated_at", IsoTime(n.updated_ms)}};
  if (n.status == store::NotificationStatus::kPending) {
    j["next_attempt_at"] = IsoTime(n.next_attempt_ms);
  }
  if (n.delivered_ms) j["delivered_at"] = IsoTime(*n.delivered_ms);
  if (!n.last_error.empty()) j["last_error"] = n.last_error;
  j["event"] = aws::JsonObjectOrEmpty(n.event_json);
  j["links"] = {{"self", "/v1/notifications/" + std::to_string(n.id)},
                {"execution", ExecutionPath(n.execution_arn)}};
  return j;
}

std::optional<int64_t> NotificationId(const ExchangePtr& x) {
  const std::string text = x->Param("id");
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
    x->Fail(BadRequest("InvalidPathParameter",
                       "a notification id is a positive integer, not '" + text + "'"));
    return std::nullopt;
  }
  return id;
}

// The body of a PUT with its name from the path; answers 400 itself.
std::optional<Json> PutBody(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return std::nullopt;
  StatusOr<Json> body = ParseJson(x->request().body);
  if (!body.ok()) {
    x->Fail(BadRequest("InvalidRequestBody", std::string(body.status().message())));
    return std::nullopt;
  }
  if (!body->is_object()) {
    x->Fail(BadRequest("InvalidRequestBody", "the body must be a JSON object"));
    return std::nullopt;
  }
  return std::move(body).value();
}

}  // namespace

// --- Sinks -----------------------------------------------------------------------------

void ListNotificationSinks(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kRead, "stepd:ListNotificationSinks")) return;
  auto sinks = notifier->Sinks();
  if (!sinks.ok()) return FailWith(x, sinks.status(), "ListNotificationSinks");
  Json items = Json::array();
  for (const runtime::NotificationSink& s : *sinks) items.push_back(runtime::RedactedSinkJson(s));
  x->Reply(200, {{"items", std::move(items)}});
}

void GetNotificationSink(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kRead, "stepd:GetNotificationSink")) return;
  auto sinks = notifier->Sinks();
  if (!sinks.ok()) return FailWith(x, sinks.status(), "GetNotificationSink");
  const std::string name = x->Param("name");
  for (const runtime::NotificationSink& s : *sinks) {
    if (s.name == name) return x->Reply(200, runtime::RedactedSinkJson(s));
  }
  x->Fail(Problem{404, "ResourceNotFound", "sink '" + name + "' does not exist"});
}

void PutNotificationSink(const ExchangePtr& x) {
  std::optional<Json> body = PutBody(x);
  if (!body) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kManage, "stepd:PutNotificationSink")) return;
  const std::string name = x->Param("name");
  auto sink = runtime::ParseNotificationSink(name, *body, "sink '" + name + "'");
  if (!sink.ok()) return FailWith(x, sink.status(), "PutNotificationSink");
  auto created = notifier->PutSink(
      *sink,
      AuditOf(x, "PutNotificationSink", "notification-sink/" + name, {{"sink_type", sink->type}}));
  if (!created.ok()) return FailWith(x, created.status(), "PutNotificationSink");
  sink->source = "api";
  x->Reply(*created ? 201 : 200, runtime::RedactedSinkJson(*sink),
           *created ? "/v1/notification-sinks/" + PathSegment(name) : "");
}

void DeleteNotificationSink(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kManage, "stepd:DeleteNotificationSink")) return;
  const std::string name = x->Param("name");
  Status deleted = notifier->DeleteSink(
      name, AuditOf(x, "DeleteNotificationSink", "notification-sink/" + name, Json::object()));
  if (!deleted.ok()) return FailWith(x, deleted, "DeleteNotificationSink");
  x->NoContent();
}

// --- Rules -----------------------------------------------------------------------------

void ListNotificationRules(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kRead, "stepd:ListNotificationRules")) return;
  auto rules = notifier->Rules();
  if (!rules.ok()) return FailWith(x, rules.status(), "ListNotificationRules");
  Json items = Json::array();
  for (const runtime::NotificationRule& r : *rules) items.push_back(runtime::RuleJson(r));
  x->Reply(200, {{"items", std::move(items)}});
}

void GetNotificationRule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kRead, "stepd:GetNotificationRule")) return;
  auto rules = notifier->Rules();
  if (!rules.ok()) return FailWith(x, rules.status(), "GetNotificationRule");
  const std::string name = x->Param("name");
  for (const runtime::NotificationRule& r : *rules) {
    if (r.name == name) return x->Reply(200, runtime::RuleJson(r));
  }
  x->Fail(Problem{404, "ResourceNotFound", "rule '" + name + "' does not exist"});
}

void PutNotificationRule(const ExchangePtr& x) {
  std::optional<Json> body = PutBody(x);
  if (!body) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kManage, "stepd:PutNotificationRule")) return;
  const std::string name = x->Param("name");
  auto rule = runtime::ParseNotificationRule(name, *body, "rule '" + name + "'");
  if (!rule.ok()) return FailWith(x, rule.status(), "PutNotificationRule");
  auto created = notifier->PutRule(
      *rule,
      AuditOf(x, "PutNotificationRule", "notification-rule/" + name, runtime::RuleJson(*rule)));
  if (!created.ok()) return FailWith(x, created.status(), "PutNotificationRule");
  rule->source = "api";
  x->Reply(*created ? 201 : 200, runtime::RuleJson(*rule),
           *created ? "/v1/notification-rules/" + PathSegment(name) : "");
}

void DeleteNotificationRule(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr || !May(x, Permission::kManage, "stepd:DeleteNotificationRule")) return;
  const std::string name = x->Param("name");
  Status deleted = notifier->DeleteRule(
      name, AuditOf(x, "DeleteNotificationRule", "notification-rule/" + name, Json::object()));
  if (!deleted.ok()) return FailWith(x, deleted, "DeleteNotificationRule");
  x->NoContent();
}

// --- The outbox ------------------------------------------------------------------------

void ListNotifications(const ExchangePtr& x) {
  if (!x->AllowQuery({"status", "execution", "sink", "limit", "cursor"})) return;
  auto page = x->Page();
  if (!page) return;
  store::NotificationFilter filter;
  if (auto status = x->Query("status")) {
    filter.status = store::ParseNotificationStatus(*status);
    if (!filter.status) {
      return x->Fail(
          BadRequest("InvalidQueryParameter",
                     "status must be PENDING, DELIVERED or DEAD_LETTER, not '" + *status + "'"));
    }
  }
  if (auto execution = x->Query("execution")) {
    filter.execution_arn =
        ExecutionArnFor(x->context(), *execution).value_or(std::string(*execution));
  }
  filter.sink = x->Query("sink").value_or("");
  if (NotifierOf(x) == nullptr) return;
  if (!x->principal().CanOnSome(Permission::kRead)) {
    return x->Fail(aws::Denied(x->principal(), "stepd:ListNotifications", Permission::kRead, ""));
  }
  auto rows = x->context().store->ListNotifications(filter, *page);
  if (rows.status().code() == StatusCode::kInvalidArgument) {
    return x->Fail(
        BadRequest("InvalidQueryParameter", "cursor is not a next_cursor of this query"));
  }
  if (!rows.ok()) return FailWith(x, rows.status(), "ListNotifications");
  Json items = Json::array();
  for (const store::NotificationRecord& n : rows->items) {
    // Only the rows of machines the caller may read.
    if (!x->principal().Can(Permission::kRead, MachineOf(n))) continue;
    items.push_back(NotificationJson(n));
  }
  Json body = {{"items", std::move(items)}};
  if (!rows->next_token.empty()) body["next_cursor"] = rows->next_token;
  x->Reply(200, body);
}

void GetNotification(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  std::optional<int64_t> id = NotificationId(x);
  if (!id || NotifierOf(x) == nullptr) return;
  auto n = x->context().store->GetNotification(*id);
  if (!n.ok()) return FailWith(x, n.status(), "GetNotification");
  if (!May(x, Permission::kRead, "stepd:GetNotification", MachineOf(*n))) return;
  x->Reply(200, NotificationJson(*n));
}

void RetryNotification(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  std::optional<int64_t> id = NotificationId(x);
  if (!id) return;
  runtime::Notifier* notifier = NotifierOf(x);
  if (notifier == nullptr) return;
  auto n = x->context().store->GetNotification(*id);
  if (!n.ok()) return FailWith(x, n.status(), "RetryNotification");
  if (!May(x, Permission::kOperate, "stepd:RetryNotification", MachineOf(*n))) return;
  auto retried =
      notifier->Retry(*id, AuditOf(x, "RetryNotification", "notification/" + std::to_string(*id),
                                   {{"sink", n->sink}, {"execution_arn", n->execution_arn}}));
  if (!retried.ok()) return FailWith(x, retried.status(), "RetryNotification");
  x->Reply(200, NotificationJson(*retried));
}

}  // namespace stepd::api::rest
