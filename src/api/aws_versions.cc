// PublishStateMachineVersion, ListStateMachineVersions,
// DeleteStateMachineVersion; CreateStateMachineAlias,
// DescribeStateMachineAlias, UpdateStateMachineAlias, DeleteStateMachineAlias,
// ListStateMachineAliases.

#include <cctype>

#include "aws_internal.h"

namespace stepd::api::aws {
namespace {

Outcome MachineDoesNotExist(std::string_view arn) {
  return Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                       "State Machine Does Not Exist: '" + std::string(arn) + "'");
}

Outcome ResourceNotFound(std::string_view arn) {
  return Outcome::Fail(ErrorType::kResourceNotFound,
                       "Resource not found: '" + std::string(arn) + "'");
}

// The machine an operation acts on, ACTIVE: the machine, or the answer.
StatusOr<store::StateMachineRecord> ActiveMachine(const Context& context, const std::string& arn,
                                                  std::string_view operation, Outcome* answer) {
  auto stored = context.store->GetStateMachine(arn);
  if (stored.status().code() == StatusCode::kNotFound) {
    *answer = MachineDoesNotExist(arn);
    return stored.status();
  }
  if (!stored.ok()) {
    *answer = StoreFailure(context, stored.status(), operation);
    return stored.status();
  }
  std::optional<store::StateMachineRecord> current =
      PurgeIfDone(context, std::move(stored).value());
  if (!current) {
    *answer = MachineDoesNotExist(arn);
    return NotFoundError(arn);
  }
  if (current->status == store::StateMachineStatus::kDeleting) {
    *answer = Outcome::Fail(ErrorType::kStateMachineDeleting,
                            "State Machine Is Being Deleted: '" + arn + "'");
    return FailedPreconditionError(arn);
  }
  return std::move(current).value();
}

std::optional<AwsError> CheckMachineArn(const std::string& arn) {
  if (auto error = CheckArn(arn, {"stateMachine"})) return error;
  std::optional<MachineRef> ref = ParseMachineRef(arn);
  if (!ref) {
    return AwsError{ErrorType::kInvalidArn, "Invalid Arn: 'Invalid qualifier in: " + arn + "'"};
  }
  if (ref->qualified()) return QualifiedArnNotAccepted(arn);
  return std::nullopt;
}

// A version ARN or alias ARN member: its parts, or the error.
std::optional<AwsError> CheckQualifiedArn(const std::string& arn, bool want_version,
                                          MachineRef* out) {
  if (auto error = CheckArn(arn, {"stateMachine"})) return error;
  std::optional<MachineRef> ref = ParseMachineRef(arn);
  if (!ref || (want_version ? ref->version == 0 : ref->alias.empty())) {
    return AwsError{ErrorType::kValidationException,
                    "Invalid Arn: '" + arn + "' is not a state machine " +
                        (want_version ? "version" : "alias") + " ARN"};
  }
  *out = std::move(*ref);
  return std::nullopt;
}

bool IsValidAliasName(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  bool has_non_digit = false;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
      has_non_digit = has_non_digit || !std::isdigit(c);
    } else {
      return false;
    }
  }
  return has_non_digit;
}

// routingConfiguration: 1 or 2 distinct versions of one machine, weights
// 0..100 summing to 100. Fills `machine_arn` (the versions' machine) and
// `routing`.
std::optional<AwsError> ParseRouting(const Json& in, std::string* machine_arn,
                                     std::vector<store::AliasRoute>* routing) {
  auto invalid = [](std::string message) {
    return AwsError{ErrorType::kValidationException, std::move(message)};
  };
  if (in.empty() || in.size() > 2) {
    return invalid(
        "1 validation error detected: Value at 'routingConfiguration' failed to satisfy "
        "constraint: Member must have length between 1 and 2");
  }
  int sum = 0;
  for (const Json& route : in) {
    auto arn = route.is_object() ? route.find("stateMachineVersionArn") : route.end();
    auto weight = route.is_object() ? route.find("weight") : route.end();
    if (!route.is_object() || arn == route.end() || !arn->is_string() || weight == route.end() ||
        !weight->is_number_integer()) {
      return AwsError{ErrorType::kSerializationException,
                      "Each routingConfiguration entry needs a string stateMachineVersionArn and "
                      "an integer weight"};
    }
    const int64_t w = weight->get<int64_t>();
    if (w < 0 || w > 100) {
      return invalid("1 validation error detected: Value '" + std::to_string(w) +
                     "' at 'routingConfiguration.member.weight' failed to satisfy constraint: "
                     "Member must have value between 0 and 100");
    }
    MachineRef ref;
    if (auto error = CheckQualifiedArn(arn->get<std::string>(), true, &ref)) return error;
    if (!machine_arn->empty() && *machine_arn != ref.machine_arn) {
      return invalid(
          "Routing configuration must contain state machine version ARNs of one "
          "state machine");
    }
    *machine_arn = ref.machine_arn;
    for (const store::AliasRoute& seen : *routing) {
      if (seen.version == ref.version) {
        return invalid("Routing configuration must contain distinct state machine version ARNs");
      }
    }
    routing->push_back({ref.version, static_cast<int>(w)});
    sum += static_cast<int>(w);
  }
  if (sum != 100) {
    return invalid("Sum of routing configuration weights must be 100, got " + std::to_string(sum));
  }
  return std::nullopt;
}

// The answer to a store error of an alias write.
Outcome AliasWriteFailure(const Context& context, const Status& status,
                          const std::string& machine_arn,
                          const store::StateMachineAliasRecord& alias, std::string_view operation) {
  if (status.code() == StatusCode::kNotFound) {
    for (const store::AliasRoute& route : alias.routing) {
      auto version = context.store->GetStateMachineVersion(machine_arn, route.version);
      if (version.status().code() == StatusCode::kNotFound) {
        return ResourceNotFound(VersionArn(machine_arn, route.version));
      }
    }
    return ResourceNotFound(AliasArn(machine_arn, alias.name));
  }
  if (status.code() == StatusCode::kFailedPrecondition) {
    return Outcome::Fail(ErrorType::kStateMachineDeleting,
                         "State Machine Is Being Deleted: '" + machine_arn + "'");
  }
  return StoreFailure(context, status, operation);
}

}  // namespace

StatusOr<store::StateMachineVersionRecord> PublishRevision(
    const Context& context, const Call& call, const std::string& machine_arn,
    const std::string& revision_id, const std::string& description, AwsError* error) {
  auto published = context.store->PublishStateMachineVersion(
      machine_arn, revision_id, description, context.NowMs(),
      {Audit(context, call, "PublishStateMachineVersion", "",
             {{"stateMachineArn", machine_arn}, {"revisionId", revision_id}})});
  if (published.ok()) return published;
  switch (published.status().code()) {
    case StatusCode::kNotFound:
      *error = {ErrorType::kStateMachineDoesNotExist,
                "State Machine Does Not Exist: '" + machine_arn + "'"};
      break;
    case StatusCode::kFailedPrecondition:
      *error = {ErrorType::kConflictException,
                "Failed to publish the State Machine version for revision " + revision_id +
                    ": the state machine was updated or deleted meanwhile"};
      break;
    case StatusCode::kResourceExhausted:
      *error = {ErrorType::kServiceQuotaExceededException,
                "State machine '" + machine_arn +
                    "' has 1000 versions, the most it can have; delete unused versions first"};
      break;
    default:
      *error = *StoreFailure(context, published.status(), "PublishStateMachineVersion").error;
  }
  return published.status();
}

void PublishStateMachineVersion(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineArn", true, 1, 256);
  auto revision = f.String("revisionId", false, 0, 256);
  auto description = f.String("description", false, 0, 256, /*sensitive=*/true);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckMachineArn(*arn)) return call.reply(Outcome{{}, *error});
  Outcome answer;
  auto machine = ActiveMachine(context, *arn, "PublishStateMachineVersion", &answer);
  if (!machine.ok()) return call.reply(std::move(answer));
  if (revision && !revision->empty() && *revision != machine->revision_id) {
    return call.reply(Outcome::Fail(ErrorType::kConflictException,
                                    "Failed to publish the State Machine version for revision " +
                                        *revision + ". The current State Machine revision is " +
                                        machine->revision_id + "."));
  }
  AwsError error{ErrorType::kInternalFailure, ""};
  auto published = PublishRevision(context, call, *arn, machine->revision_id,
                                   description.value_or(""), &error);
  if (!published.ok()) return call.reply(Outcome{{}, error});
  call.reply(Outcome::Ok({{"creationDate", Timestamp(published->created_at_ms)},
                          {"stateMachineVersionArn", VersionArn(*arn, published->version)}}));
}

void ListStateMachineVersions(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineArn", true, 1, 256);
  store::PageRequest page = f.Page();
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckMachineArn(*arn)) return call.reply(Outcome{{}, *error});
  auto listed = context.store->ListStateMachineVersions(*arn, page);
  if (listed.status().code() == StatusCode::kNotFound) return call.reply(MachineDoesNotExist(*arn));
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
  }
  if (!listed.ok()) {
    return call.reply(StoreFailure(context, listed.status(), "ListStateMachineVersions"));
  }
  Json items = Json::array();
  for (const store::StateMachineVersionRecord& v : listed->items) {
    items.push_back({{"stateMachineVersionArn", VersionArn(*arn, v.version)},
                     {"creationDate", Timestamp(v.created_at_ms)}});
  }
  Json body = {{"stateMachineVersions", std::move(items)}};
  SetNextToken(&body, listed->next_token);
  call.reply(Outcome::Ok(body));
}

void DeleteStateMachineVersion(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineVersionArn", true, 1, 2048);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  MachineRef ref;
  if (auto error = CheckQualifiedArn(*arn, true, &ref)) return call.reply(Outcome{{}, *error});
  Status status = context.store->DeleteStateMachineVersion(
      ref.machine_arn, ref.version,
      {Audit(context, call, "DeleteStateMachineVersion", *arn)});
  if (status.code() == StatusCode::kFailedPrecondition) {
    std::vector<std::string> names;
    store::PageRequest page;
    page.max_results = 1000;
    do {
      auto aliases = context.store->ListStateMachineAliases(ref.machine_arn, page);
      if (!aliases.ok()) break;
      for (const store::StateMachineAliasRecord& alias : aliases->items) {
        for (const store::AliasRoute& route : alias.routing) {
          if (route.version == ref.version) names.push_back(AliasArn(ref.machine_arn, alias.name));
        }
      }
      page.next_token = aliases->next_token;
    } while (!page.next_token.empty());
    std::string list;
    for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
    return call.reply(Outcome::Fail(ErrorType::kConflictException,
                                    "Version to be deleted must not be referenced by an alias. "
                                    "Current list of aliases referencing this version: [" +
                                        list + "]"));
  }
  // Deleting a version that does not exist succeeds, as on AWS.
  if (!status.ok() && status.code() != StatusCode::kNotFound) {
    return call.reply(StoreFailure(context, status, "DeleteStateMachineVersion"));
  }
  call.reply(Outcome::Ok(Json::object()));
}

void CreateStateMachineAlias(const Context& context, Call call) {
  Fields f(call.input);
  auto name = f.String("name", true, 1, 80);
  auto description = f.String("description", false, 0, 256, /*sensitive=*/true);
  const Json* routing_in = f.Value("routingConfiguration", Json::value_t::array);
  if (!routing_in && f.ok()) {
    f.AddConstraint("routingConfiguration", "null", "Member must not be null");
  }
  if (name && !IsValidAliasName(*name)) {
    f.AddConstraint("name", "'" + *name + "'",
                    "Member must satisfy regular expression pattern: "
                    "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$");
  }
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  store::StateMachineAliasRecord alias;
  std::string machine_arn;
  if (auto error = ParseRouting(*routing_in, &machine_arn, &alias.routing)) {
    return call.reply(Outcome{{}, *error});
  }
  Outcome answer;
  auto machine = ActiveMachine(context, machine_arn, "CreateStateMachineAlias", &answer);
  if (!machine.ok()) return call.reply(std::move(answer));
  alias.state_machine_arn = machine_arn;
  alias.name = *name;
  alias.description = description.value_or("");
  alias.created_at_ms = alias.updated_at_ms = context.NowMs();
  const std::string alias_arn = AliasArn(machine_arn, alias.name);
  Status status = context.store->CreateStateMachineAlias(
      alias, {Audit(context, call, "CreateStateMachineAlias", alias_arn,
                    {{"routingConfiguration", RoutingJson(machine_arn, alias.routing)}})});
  if (status.code() == StatusCode::kAlreadyExists) {
    // Idempotent: the same description and routing answer with the alias.
    auto existing = context.store->GetStateMachineAlias(machine_arn, alias.name);
    if (existing.ok() && existing->description == alias.description &&
        existing->routing == alias.routing) {
      return call.reply(Outcome::Ok({{"stateMachineAliasArn", alias_arn},
                                     {"creationDate", Timestamp(existing->created_at_ms)}}));
    }
    return call.reply(Outcome::Fail(ErrorType::kConflictException,
                                    "Failed to create alias because an alias with the same name "
                                    "and a different routing configuration already exists: '" +
                                        alias_arn + "'"));
  }
  if (!status.ok()) {
    return call.reply(
        AliasWriteFailure(context, status, machine_arn, alias, "CreateStateMachineAlias"));
  }
  call.reply(Outcome::Ok(
      {{"stateMachineAliasArn", alias_arn}, {"creationDate", Timestamp(alias.created_at_ms)}}));
}

void DescribeStateMachineAlias(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineAliasArn", true, 1, 256);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  MachineRef ref;
  if (auto error = CheckQualifiedArn(*arn, false, &ref)) return call.reply(Outcome{{}, *error});
  auto alias = context.store->GetStateMachineAlias(ref.machine_arn, ref.alias);
  if (alias.status().code() == StatusCode::kNotFound) return call.reply(ResourceNotFound(*arn));
  if (!alias.ok()) {
    return call.reply(StoreFailure(context, alias.status(), "DescribeStateMachineAlias"));
  }
  Json body = {{"stateMachineAliasArn", *arn},
               {"name", alias->name},
               {"routingConfiguration", RoutingJson(ref.machine_arn, alias->routing)},
               {"creationDate", Timestamp(alias->created_at_ms)},
               {"updateDate", Timestamp(alias->updated_at_ms)}};
  if (!alias->description.empty()) body["description"] = alias->description;
  call.reply(Outcome::Ok(body));
}

void UpdateStateMachineAlias(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineAliasArn", true, 1, 256);
  auto description = f.String("description", false, 0, 256, /*sensitive=*/true);
  const Json* routing_in = f.Value("routingConfiguration", Json::value_t::array);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  MachineRef ref;
  if (auto error = CheckQualifiedArn(*arn, false, &ref)) return call.reply(Outcome{{}, *error});
  if (!description && !routing_in) {
    return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                    "Either the description or the routingConfiguration must be "
                                    "specified"));
  }
  auto alias = context.store->GetStateMachineAlias(ref.machine_arn, ref.alias);
  if (alias.status().code() == StatusCode::kNotFound) return call.reply(ResourceNotFound(*arn));
  if (!alias.ok()) {
    return call.reply(StoreFailure(context, alias.status(), "UpdateStateMachineAlias"));
  }
  if (routing_in) {
    std::string machine_arn;
    std::vector<store::AliasRoute> routing;
    if (auto error = ParseRouting(*routing_in, &machine_arn, &routing)) {
      return call.reply(Outcome{{}, *error});
    }
    if (machine_arn != ref.machine_arn) {
      return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                      "Routing configuration must contain versions of the "
                                      "alias's state machine '" +
                                          ref.machine_arn + "'"));
    }
    alias->routing = std::move(routing);
  }
  if (description) alias->description = *description;
  alias->updated_at_ms = context.NowMs();
  Status status = context.store->UpdateStateMachineAlias(
      *alias, {Audit(context, call, "UpdateStateMachineAlias", *arn,
                     {{"routingConfiguration", RoutingJson(ref.machine_arn, alias->routing)}})});
  if (!status.ok()) {
    return call.reply(
        AliasWriteFailure(context, status, ref.machine_arn, *alias, "UpdateStateMachineAlias"));
  }
  call.reply(Outcome::Ok({{"updateDate", Timestamp(alias->updated_at_ms)}}));
}

void DeleteStateMachineAlias(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineAliasArn", true, 1, 256);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  MachineRef ref;
  if (auto error = CheckQualifiedArn(*arn, false, &ref)) return call.reply(Outcome{{}, *error});
  Status status = context.store->DeleteStateMachineAlias(
      ref.machine_arn, ref.alias,
      {Audit(context, call, "DeleteStateMachineAlias", *arn)});
  if (status.code() == StatusCode::kNotFound) return call.reply(ResourceNotFound(*arn));
  if (!status.ok()) return call.reply(StoreFailure(context, status, "DeleteStateMachineAlias"));
  call.reply(Outcome::Ok(Json::object()));
}

void ListStateMachineAliases(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineArn", true, 1, 256);
  store::PageRequest page = f.Page(1000);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckMachineArn(*arn)) return call.reply(Outcome{{}, *error});
  auto listed = context.store->ListStateMachineAliases(*arn, page);
  if (listed.status().code() == StatusCode::kNotFound) return call.reply(MachineDoesNotExist(*arn));
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
  }
  if (!listed.ok()) {
    return call.reply(StoreFailure(context, listed.status(), "ListStateMachineAliases"));
  }
  Json items = Json::array();
  for (const store::StateMachineAliasRecord& alias : listed->items) {
    items.push_back({{"stateMachineAliasArn", AliasArn(*arn, alias.name)},
                     {"creationDate", Timestamp(alias.created_at_ms)}});
  }
  Json body = {{"stateMachineAliases", std::move(items)}};
  SetNextToken(&body, listed->next_token);
  call.reply(Outcome::Ok(body));
}

}  // namespace stepd::api::aws
