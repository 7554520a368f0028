// /v1/state-machines: state machines, their versions and aliases, and
// starting executions, through the AWS operations.

#include "rest_internal.h"

namespace stepd::api::rest {
namespace {

std::string MachineName(Exchange& x) { return std::string(x.Param("name")); }

Json VersionLinks(std::string_view machine, int64_t version) {
  const std::string self =
      "/v1/state-machines/" + PathSegment(machine) + "/versions/" + std::to_string(version);
  return {{"self", self}};
}

int64_t VersionOf(std::string_view version_arn) {
  const size_t colon = version_arn.rfind(':');
  if (colon == std::string_view::npos) return 0;
  int64_t n = 0;
  for (char c : version_arn.substr(colon + 1)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

// A Describe(StateMachine|Version) answer as REST shows it.
Json MachineJson(const Json& d) {
  const std::string name = d.value("name", "");
  Json j = {{"name", name},
            {"arn", d.value("stateMachineArn", "")},
            {"type", d.value("type", "STANDARD")},
            {"status", d.value("status", "ACTIVE")},
            {"definition", JsonValueOf(d.value("definition", "{}"))},
            {"role_arn", d.value("roleArn", "")},
            {"revision_id", d.value("revisionId", "")},
            {"created_at", IsoTime(MillisOf(d.value("creationDate", Json())))}};
  if (d.contains("description")) j["description"] = d["description"];
  if (d.contains("loggingConfiguration")) j["logging_configuration"] = d["loggingConfiguration"];
  if (d.contains("tracingConfiguration")) j["tracing_configuration"] = d["tracingConfiguration"];
  const std::string self = "/v1/state-machines/" + PathSegment(name);
  j["links"] = {{"self", self},
                {"executions", "/v1/executions?state_machine=" + PathSegment(name)},
                {"versions", self + "/versions"},
                {"aliases", self + "/aliases"}};
  return j;
}

Json AliasJson(std::string_view machine, const Json& d) {
  Json routing = Json::array();
  for (const Json& route : d.value("routingConfiguration", Json::array())) {
    routing.push_back({{"version", VersionOf(route.value("stateMachineVersionArn", ""))},
                       {"weight", route.value("weight", 0)}});
  }
  Json j = {{"name", d.value("name", "")},
            {"arn", d.value("stateMachineAliasArn", "")},
            {"description", d.value("description", "")},
            {"routing", std::move(routing)},
            {"created_at", IsoTime(MillisOf(d.value("creationDate", Json())))}};
  if (d.contains("updateDate")) j["updated_at"] = IsoTime(MillisOf(d["updateDate"]));
  j["links"] = {{"self", "/v1/state-machines/" + PathSegment(machine) + "/aliases/" +
                             PathSegment(j["name"].get<std::string>())}};
  return j;
}

// The members of a REST machine body as CreateStateMachine/
// UpdateStateMachine take them; false when answered (bad member type).
bool ToAwsMachineInput(Exchange& x, const Json& body, Json* input, bool create) {
  if (!x.MemberIs(body, "definition", {"object", "string"}) ||
      !x.MemberIs(body, "type", {"string"}) || !x.MemberIs(body, "role_arn", {"string"}) ||
      !x.MemberIs(body, "logging_configuration", {"object"}) ||
      !x.MemberIs(body, "tracing_configuration", {"object"}) ||
      !x.MemberIs(body, "tags", {"object"}) || !x.MemberIs(body, "publish", {"boolean"}) ||
      !x.MemberIs(body, "version_description", {"string"})) {
    return false;
  }
  if (auto it = body.find("definition"); it != body.end()) {
    (*input)["definition"] = it->is_string() ? it->get<std::string>() : it->dump();
  } else if (create) {
    x.Fail(BadRequest("InvalidRequestBody", "Member 'definition' is required"));
    return false;
  }
  if (auto it = body.find("role_arn"); it != body.end()) {
    (*input)["roleArn"] = *it;
  } else if (create) {
    (*input)["roleArn"] = "arn:aws:iam::" + x.context().options->account_id + ":role/stepd";
  }
  if (create && body.contains("type")) (*input)["type"] = body["type"];
  if (body.contains("logging_configuration")) {
    (*input)["loggingConfiguration"] = body["logging_configuration"];
  }
  if (body.contains("tracing_configuration")) {
    (*input)["tracingConfiguration"] = body["tracing_configuration"];
  }
  if (create && body.contains("tags")) {
    Json tags = Json::array();
    for (const auto& [key, value] : body["tags"].items()) {
      if (!value.is_string()) {
        x.Fail(BadRequest("InvalidRequestBody", "Tag '" + key + "' must have a string value"));
        return false;
      }
      tags.push_back({{"key", key}, {"value", value}});
    }
    (*input)["tags"] = std::move(tags);
  }
  if (body.contains("publish")) (*input)["publish"] = body["publish"];
  if (body.contains("version_description")) {
    (*input)["versionDescription"] = body["version_description"];
  }
  return true;
}

// The machine with its versions and aliases, answered with `status`.
void ReplyMachine(const ExchangePtr& x, const std::string& arn, int status) {
  std::optional<Json> described =
      x->Expect(x->Read("DescribeStateMachine", {{"stateMachineArn", arn}}));
  if (!described) return;
  Json machine = MachineJson(*described);
  const std::string name = machine["name"];
  std::optional<Json> versions = x->Expect(
      x->Read("ListStateMachineVersions", {{"stateMachineArn", arn}, {"maxResults", 1000}}));
  if (!versions) return;
  machine["versions"] = Json::array();
  for (const Json& v : (*versions)["stateMachineVersions"]) {
    const int64_t n = VersionOf(v.value("stateMachineVersionArn", ""));
    machine["versions"].push_back({{"version", n},
                                   {"arn", v["stateMachineVersionArn"]},
                                   {"created_at", IsoTime(MillisOf(v["creationDate"]))},
                                   {"links", VersionLinks(name, n)}});
  }
  std::optional<Json> aliases = x->Expect(
      x->Read("ListStateMachineAliases", {{"stateMachineArn", arn}, {"maxResults", 100}}));
  if (!aliases) return;
  machine["aliases"] = Json::array();
  for (const Json& a : (*aliases)["stateMachineAliases"]) {
    std::optional<Json> alias = x->Expect(x->Read(
        "DescribeStateMachineAlias", {{"stateMachineAliasArn", a["stateMachineAliasArn"]}}));
    if (!alias) return;
    machine["aliases"].push_back(AliasJson(name, *alias));
  }
  x->Reply(status, machine, status == 201 ? std::string(machine["links"]["self"]) : "");
}

}  // namespace

void ListStateMachines(const ExchangePtr& x) {
  if (!x->AllowQuery({"limit", "cursor"})) return;
  x->ReplyPage("ListStateMachines", Json::object(), {"stateMachines"},
               [](const Json& m) -> std::optional<Json> {
                 const std::string name = m.value("name", "");
                 return Json{{"name", name},
                             {"arn", m.value("stateMachineArn", "")},
                             {"type", m.value("type", "STANDARD")},
                             {"created_at", IsoTime(MillisOf(m["creationDate"]))},
                             {"links", {{"self", "/v1/state-machines/" + PathSegment(name)}}}};
               });
}

void CreateStateMachine(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"name", "definition", "type", "role_arn", "logging_configuration",
                       "tracing_configuration", "tags", "publish", "version_description"});
  if (!body || !x->MemberIs(*body, "name", {"string"})) return;
  if (!body->contains("name")) {
    return x->Fail(BadRequest("InvalidRequestBody", "Member 'name' is required"));
  }
  Json input = {{"name", (*body)["name"]}};
  if (!ToAwsMachineInput(*x, *body, &input, true)) return;
  x->Call("CreateStateMachine", std::move(input), [x](aws::Outcome outcome) {
    std::optional<Json> created = x->Expect(outcome);
    if (!created) return;
    ReplyMachine(x, (*created)["stateMachineArn"], 201);
  });
}

void GetStateMachine(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  ReplyMachine(x, MachineArnFor(x->context(), MachineName(*x)), 200);
}

void PutStateMachine(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"definition", "type", "role_arn", "logging_configuration",
                       "tracing_configuration", "tags", "publish", "version_description"});
  if (!body) return;
  const std::string name = MachineName(*x);
  const std::string arn = MachineArnFor(x->context(), name);
  aws::Outcome existing = x->Read("DescribeStateMachine", {{"stateMachineArn", arn}});
  if (existing.error && existing.error->type != aws::ErrorType::kStateMachineDoesNotExist) {
    return x->Fail(*existing.error);
  }
  if (existing.error) {
    Json input = {{"name", name}};
    if (!ToAwsMachineInput(*x, *body, &input, true)) return;
    return x->Call("CreateStateMachine", std::move(input), [x](aws::Outcome outcome) {
      std::optional<Json> created = x->Expect(outcome);
      if (!created) return;
      ReplyMachine(x, (*created)["stateMachineArn"], 201);
    });
  }
  Json current = JsonValueOf(existing.body);
  if (body->contains("type") && (*body)["type"] != current.value("type", "STANDARD")) {
    return x->Fail(Problem{409, "StateMachineTypeNotSupported",
                           "State machine '" + name + "' is " + current.value("type", "STANDARD") +
                               "; its type cannot change (delete it and create it again)"});
  }
  if (body->contains("tags")) {
    return x->Fail(BadRequest("InvalidRequestBody",
                              "Member 'tags' is only taken when the state machine is created"));
  }
  Json input = {{"stateMachineArn", arn}};
  if (!ToAwsMachineInput(*x, *body, &input, false)) return;
  x->Call("UpdateStateMachine", std::move(input), [x, arn](aws::Outcome outcome) {
    if (!x->Expect(outcome)) return;
    ReplyMachine(x, arn, 200);
  });
}

void DeleteStateMachine(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  const std::string arn = MachineArnFor(x->context(), MachineName(*x));
  if (!x->Expect(x->Read("DescribeStateMachine", {{"stateMachineArn", arn}}))) return;
  x->Call("DeleteStateMachine", {{"stateMachineArn", arn}}, [x](aws::Outcome outcome) {
    if (!x->Expect(outcome)) return;
    x->NoContent();
  });
}

void ListVersions(const ExchangePtr& x) {
  if (!x->AllowQuery({"limit", "cursor"})) return;
  const std::string name = MachineName(*x);
  x->ReplyPage("ListStateMachineVersions", {{"stateMachineArn", MachineArnFor(x->context(), name)}},
               {"stateMachineVersions"}, [&name](const Json& v) -> std::optional<Json> {
                 const int64_t n = VersionOf(v.value("stateMachineVersionArn", ""));
                 return Json{{"version", n},
                             {"arn", v["stateMachineVersionArn"]},
                             {"created_at", IsoTime(MillisOf(v["creationDate"]))},
                             {"links", VersionLinks(name, n)}};
               });
}

namespace {

// {version} as a version ARN; answers 400 and returns "" when it is not a
// positive number.
std::string VersionArnFor(Exchange& x) {
  const std::string text(x.Param("version"));
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos || text == "0" || text[0] == '0') {
    x.Fail(BadRequest("InvalidPathParameter",
                      "A version is a positive whole number, not '" + text + "'"));
    return "";
  }
  return aws::VersionArn(MachineArnFor(x.context(), MachineName(x)), std::stoll(text));
}

void ReplyVersion(const ExchangePtr& x, const std::string& version_arn, int status) {
  std::optional<Json> d =
      x->Expect(x->Read("DescribeStateMachine", {{"stateMachineArn", version_arn}}));
  if (!d) return;
  const std::string name = MachineName(*x);
  const int64_t n = VersionOf(version_arn);
  Json j = {{"version", n},
            {"arn", version_arn},
            {"state_machine", name},
            {"definition", JsonValueOf(d->value("definition", "{}"))},
            {"role_arn", d->value("roleArn", "")},
            {"revision_id", d->value("revisionId", "")},
            {"description", d->value("description", "")},
            {"created_at", IsoTime(MillisOf(d->value("creationDate", Json())))},
            {"links", VersionLinks(name, n)}};
  x->Reply(status, j, status == 201 ? std::string(j["links"]["self"]) : "");
}

}  // namespace

void PublishVersion(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"description", "revision_id"});
  if (!body || !x->MemberIs(*body, "description", {"string"}) ||
      !x->MemberIs(*body, "revision_id", {"string"})) {
    return;
  }
  Json input = {{"stateMachineArn", MachineArnFor(x->context(), MachineName(*x))}};
  if (body->contains("description")) input["description"] = (*body)["description"];
  if (body->contains("revision_id")) input["revisionId"] = (*body)["revision_id"];
  x->Call("PublishStateMachineVersion", std::move(input), [x](aws::Outcome outcome) {
    std::optional<Json> published = x->Expect(outcome);
    if (!published) return;
    ReplyVersion(x, (*published)["stateMachineVersionArn"], 201);
  });
}

void GetVersion(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  const std::string arn = VersionArnFor(*x);
  if (arn.empty()) return;
  ReplyVersion(x, arn, 200);
}

void DeleteVersion(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  const std::string arn = VersionArnFor(*x);
  if (arn.empty()) return;
  if (!x->Expect(x->Read("DescribeStateMachine", {{"stateMachineArn", arn}}))) return;
  x->Call("DeleteStateMachineVersion", {{"stateMachineVersionArn", arn}},
          [x](aws::Outcome outcome) {
            if (!x->Expect(outcome)) return;
            x->NoContent();
          });
}

namespace {

// A REST routing list as AWS's routingConfiguration; false when answered.
bool ToAwsRouting(Exchange& x, const Json& routing, const std::string& machine_arn, Json* out) {
  if (!routing.is_array()) {
    x.Fail(BadRequest("InvalidRequestBody", "Member 'routing' must be an array"));
    return false;
  }
  *out = Json::array();
  for (size_t i = 0; i < routing.size(); ++i) {
    const Json& route = routing[i];
    const std::string at = "routing[" + std::to_string(i) + "]";
    if (!route.is_object() || !route.contains("version") || !route["version"].is_number_integer() ||
        !route.contains("weight") || !route["weight"].is_number_integer() || route.size() != 2) {
      x.Fail(BadRequest("InvalidRequestBody",
                        "Member '" + at +
                            "' must be an object with exactly an integer 'version' and an "
                            "integer 'weight'"));
      return false;
    }
    out->push_back(
        {{"stateMachineVersionArn", aws::VersionArn(machine_arn, route["version"].get<int64_t>())},
         {"weight", route["weight"]}});
  }
  return true;
}

void ReplyAlias(const ExchangePtr& x, const std::string& alias_arn, int status) {
  std::optional<Json> d =
      x->Expect(x->Read("DescribeStateMachineAlias", {{"stateMachineAliasArn", alias_arn}}));
  if (!d) return;
  Json j = AliasJson(MachineName(*x), *d);
  x->Reply(status, j, status == 201 ? std::string(j["links"]["self"]) : "");
}

void SaveAlias(const ExchangePtr& x, const std::string& alias_name, const Json& body, bool create) {
  const std::string machine_arn = MachineArnFor(x->context(), MachineName(*x));
  Json input = Json::object();
  if (create) {
    input["name"] = alias_name;
  } else {
    input["stateMachineAliasArn"] = aws::AliasArn(machine_arn, alias_name);
  }
  if (body.contains("description")) input["description"] = body["description"];
  if (body.contains("routing")) {
    Json routing;
    if (!ToAwsRouting(*x, body["routing"], machine_arn, &routing)) return;
    input["routingConfiguration"] = std::move(routing);
  } else if (create) {
    return x->Fail(BadRequest("InvalidRequestBody", "Member 'routing' is required"));
  }
  const std::string alias_arn = aws::AliasArn(machine_arn, alias_name);
  x->Call(create ? "CreateStateMachineAlias" : "UpdateStateMachineAlias", std::move(input),
          [x, alias_arn, create](aws::Outcome outcome) {
            if (!x->Expect(outcome)) return;
            ReplyAlias(x, alias_arn, create ? 201 : 200);
          });
}

}  // namespace

void ListAliases(const ExchangePtr& x) {
  if (!x->AllowQuery({"limit", "cursor"})) return;
  const std::string name = MachineName(*x);
  Exchange::AwsPaging paging{"stateMachineAliases"};
  paging.max_limit = 100;
  x->ReplyPage("ListStateMachineAliases", {{"stateMachineArn", MachineArnFor(x->context(), name)}},
               paging, [&x, &name](const Json& a) -> std::optional<Json> {
                 std::optional<Json> alias =
                     x->Expect(x->Read("DescribeStateMachineAlias",
                                       {{"stateMachineAliasArn", a["stateMachineAliasArn"]}}));
                 if (!alias) return std::nullopt;
                 return AliasJson(name, *alias);
               });
}

void CreateAlias(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"name", "description", "routing"});
  if (!body || !x->MemberIs(*body, "name", {"string"}) ||
      !x->MemberIs(*body, "description", {"string"})) {
    return;
  }
  if (!body->contains("name")) {
    return x->Fail(BadRequest("InvalidRequestBody", "Member 'name' is required"));
  }
  // The machine must exist (and be readable) before an alias names it.
  if (!x->Expect(x->Read("DescribeStateMachine",
                         {{"stateMachineArn", MachineArnFor(x->context(), MachineName(*x))}}))) {
    return;
  }
  SaveAlias(x, (*body)["name"], *body, true);
}

void GetAlias(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  ReplyAlias(
      x,
      aws::AliasArn(MachineArnFor(x->context(), MachineName(*x)), std::string(x->Param("alias"))),
      200);
}

void PutAlias(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"description", "routing"});
  if (!body || !x->MemberIs(*body, "description", {"string"})) return;
  const std::string alias(x->Param("alias"));
  const std::string machine_arn = MachineArnFor(x->context(), MachineName(*x));
  aws::Outcome existing = x->Read("DescribeStateMachineAlias",
                                  {{"stateMachineAliasArn", aws::AliasArn(machine_arn, alias)}});
  if (existing.error && existing.error->type != aws::ErrorType::kResourceNotFound) {
    return x->Fail(*existing.error);
  }
  if (existing.error &&
      !x->Expect(x->Read("DescribeStateMachine", {{"stateMachineArn", machine_arn}}))) {
    return;
  }
  SaveAlias(x, alias, *body, existing.error.has_value());
}

void DeleteAlias(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  const std::string arn =
      aws::AliasArn(MachineArnFor(x->context(), MachineName(*x)), std::string(x->Param("alias")));
  if (!x->Expect(x->Read("DescribeStateMachineAlias", {{"stateMachineAliasArn", arn}}))) return;
  x->Call("DeleteStateMachineAlias", {{"stateMachineAliasArn", arn}}, [x](aws::Outcome outcome) {
    if (!x->Expect(outcome)) return;
    x->NoContent();
  });
}

void StartExecution(const ExchangePtr& x) {
  if (!x->AllowQuery({})) return;
  auto body = x->Body({"name", "input", "version", "alias", "trace_header"});
  if (!body || !x->MemberIs(*body, "name", {"string"}) ||
      !x->MemberIs(*body, "version", {"integer"}) || !x->MemberIs(*body, "alias", {"string"}) ||
      !x->MemberIs(*body, "trace_header", {"string"})) {
    return;
  }
  if (body->contains("version") && body->contains("alias")) {
    return x->Fail(BadRequest("InvalidRequestBody", "Give at most one of 'version' and 'alias'"));
  }
  std::string arn = MachineArnFor(x->context(), MachineName(*x));
  if (body->contains("version")) {
    const int64_t version = (*body)["version"];
    if (version < 1) {
      return x->Fail(BadRequest("InvalidRequestBody", "Member 'version' must be 1 or more"));
    }
    arn = aws::VersionArn(arn, version);
  } else if (body->contains("alias")) {
    arn = aws::AliasArn(arn, (*body)["alias"].get<std::string>());
  }
  Json input = {{"stateMachineArn", arn}};
  if (body->contains("name")) input["name"] = (*body)["name"];
  input["input"] = body->contains("input") ? (*body)["input"].dump() : "{}";
  if (body->contains("trace_header")) input["traceHeader"] = (*body)["trace_header"];
  x->Call("StartExecution", std::move(input), [x](aws::Outcome outcome) {
    std::optional<Json> started = x->Expect(outcome);
    if (!started) return;
    const std::string execution_arn = (*started)["executionArn"];
    auto record = x->context().store->GetExecution(execution_arn);
    if (!record.ok()) {
      // Started; a moment of database trouble hides it: answer what is known.
      return x->Reply(201,
                      {{"id", ExecutionId(execution_arn)},
                       {"arn", execution_arn},
                       {"status", "RUNNING"},
                       {"started_at", IsoTime(MillisOf((*started)["startDate"]))},
                       {"links", {{"self", ExecutionPath(execution_arn)}}}},
                      ExecutionPath(execution_arn));
    }
    x->Reply(201, ExecutionJson(*record, false), ExecutionPath(execution_arn));
  });
}

}  // namespace stepd::api::rest
