// CreateStateMachine, UpdateStateMachine, DeleteStateMachine,
// DescribeStateMachine, ListStateMachines, DescribeStateMachineForExecution,
// ValidateStateMachineDefinition.

#include "aws_internal.h"
#include "stepd/asl/compiler.h"
#include "stepd/base/crypto.h"

namespace stepd::api::aws {
namespace {

constexpr size_t kMaxDefinition = 1048576;

std::string AttributesText(const Json& attributes) {
  return attributes.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json DefaultLogging() { return {{"level", "OFF"}, {"includeExecutionData", false}}; }

// loggingConfiguration as AWS accepts it: level ALL|ERROR|FATAL|OFF,
// includeExecutionData, and exactly one CloudWatch Logs destination unless
// the level is OFF. `out` gets it with defaults filled in.
std::optional<AwsError> CheckLogging(const Json& in, Json* out) {
  Json logging = DefaultLogging();
  if (auto it = in.find("level"); it != in.end()) {
    static const std::vector<std::string> kLevels = {"ALL", "ERROR", "FATAL", "OFF"};
    if (!it->is_string() ||
        std::find(kLevels.begin(), kLevels.end(), it->get<std::string>()) == kLevels.end()) {
      return AwsError{ErrorType::kValidationException,
                      "1 validation error detected: Value '" +
                          (it->is_string() ? it->get<std::string>() : it->dump()) + "'" +
                          " at 'loggingConfiguration.level' failed to satisfy constraint: Member "
                          "must satisfy enum value set: [ALL, ERROR, FATAL, OFF]"};
    }
    logging["level"] = *it;
  }
  if (auto it = in.find("includeExecutionData"); it != in.end()) {
    if (!it->is_boolean()) {
      return AwsError{ErrorType::kSerializationException,
                      "Expected a boolean at 'loggingConfiguration.includeExecutionData'"};
    }
    logging["includeExecutionData"] = *it;
  }
  size_t destinations = 0;
  if (auto it = in.find("destinations"); it != in.end()) {
    if (!it->is_array()) {
      return AwsError{ErrorType::kSerializationException,
                      "Expected an array at 'loggingConfiguration.destinations'"};
    }
    for (const Json& d : *it) {
      auto group = d.is_object() ? d.find("cloudWatchLogsLogGroup") : d.end();
      if (!d.is_object() || group == d.end() || !group->is_object() ||
          !group->contains("logGroupArn") || !(*group)["logGroupArn"].is_string()) {
        return AwsError{ErrorType::kInvalidLoggingConfiguration,
                        "Invalid Logging Configuration: each destination must be "
                        "{\"cloudWatchLogsLogGroup\": {\"logGroupArn\": \"...\"}}"};
      }
    }
    destinations = it->size();
    if (destinations > 0) logging["destinations"] = *it;
  }
  if (logging["level"] != "OFF" && destinations != 1) {
    return AwsError{ErrorType::kInvalidLoggingConfiguration,
                    "Invalid Logging Configuration: Must specify exactly one Log Destination."};
  }
  *out = std::move(logging);
  return std::nullopt;
}

std::optional<AwsError> CheckTracing(const Json& in, Json* out) {
  Json tracing = {{"enabled", false}};
  if (auto it = in.find("enabled"); it != in.end()) {
    if (!it->is_boolean()) {
      return AwsError{ErrorType::kSerializationException,
                      "Expected a boolean at 'tracingConfiguration.enabled'"};
    }
    tracing["enabled"] = *it;
  }
  *out = std::move(tracing);
  return std::nullopt;
}

asl::StateMachineType AslType(store::StateMachineType type) {
  return type == store::StateMachineType::kExpress ? asl::StateMachineType::kExpress
                                                   : asl::StateMachineType::kStandard;
}

std::optional<AwsError> CompileDefinition(const std::string& definition,
                                          store::StateMachineType type) {
  asl::CompileOptions options;
  options.type = AslType(type);
  asl::CompileResult compiled = asl::Compile(definition, options);
  if (compiled.ok()) return std::nullopt;
  return AwsError{ErrorType::kInvalidDefinition,
                  asl::InvalidDefinitionMessage(compiled.diagnostics)};
}

Outcome MachineDoesNotExist(std::string_view arn) {
  return Outcome::Fail(ErrorType::kStateMachineDoesNotExist,
                       "State Machine Does Not Exist: '" + std::string(arn) + "'");
}

}  // namespace

void CreateStateMachine(const Context& context, Call call) {
  Fields f(call.input);
  auto name = f.String("name", true, 1, 80);
  auto definition = f.String("definition", true, 1, kMaxDefinition, /*sensitive=*/true);
  auto role_arn = f.String("roleArn", true, 1, 256);
  auto type_name = f.Enum("type", false, {"STANDARD", "EXPRESS"});
  const Json* logging_in = f.Value("loggingConfiguration", Json::value_t::object);
  const Json* tracing_in = f.Value("tracingConfiguration", Json::value_t::object);
  const Json* tags_in = f.Value("tags", Json::value_t::array);
  auto publish = f.Bool("publish");
  auto version_description = f.String("versionDescription", false, 0, 256, true);
  f.Value("encryptionConfiguration", Json::value_t::object);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (!IsValidAwsName(*name)) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidName, "Invalid Name: '" + *name + "'"));
  }
  if (version_description && !publish.value_or(false)) {
    return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                    "Version description can only be set when publish is true"));
  }
  store::StateMachineType type = store::StateMachineType::kStandard;
  if (type_name == "EXPRESS") type = store::StateMachineType::kExpress;
  if (auto error = CompileDefinition(*definition, type)) return call.reply(Outcome{{}, *error});

  Json attributes = Json::object();
  Json logging = DefaultLogging(), tracing = {{"enabled", false}};
  if (logging_in) {
    if (auto error = CheckLogging(*logging_in, &logging)) return call.reply(Outcome{{}, *error});
  }
  if (tracing_in) {
    if (auto error = CheckTracing(*tracing_in, &tracing)) return call.reply(Outcome{{}, *error});
  }
  attributes["loggingConfiguration"] = logging;
  attributes["tracingConfiguration"] = tracing;
  const std::string arn = StateMachineArn(*context.options, *name);
  if (tags_in) {
    Json tags = Json::array();
    if (auto error = MergeTags(*tags_in, arn, &tags)) return call.reply(Outcome{{}, *error});
    attributes["tags"] = std::move(tags);
  }

  // The answer for the machine as stored, published first when asked.
  auto answer = [&](const store::StateMachineRecord& stored) {
    Json body = {{"stateMachineArn", arn}, {"creationDate", Timestamp(stored.created_at_ms)}};
    if (publish.value_or(false)) {
      AwsError error{ErrorType::kInternalFailure, ""};
      auto version = PublishRevision(context, call, arn, stored.revision_id,
                                     version_description.value_or(""), &error);
      if (!version.ok()) return call.reply(Outcome{{}, error});
      body["stateMachineVersionArn"] = VersionArn(arn, version->version);
    }
    call.reply(Outcome::Ok(body));
  };
  store::StateMachineRecord record;
  record.arn = arn;
  record.name = *name;
  record.type = type;
  record.definition = *definition;
  record.role_arn = *role_arn;
  record.revision_id = RandomUuid();
  record.attributes_json = AttributesText(attributes);
  record.created_at_ms = record.updated_at_ms = context.NowMs();
  Status status = context.store->CreateStateMachine(
      record, {Audit(context, call, "CreateStateMachine", arn,
                     {{"type", StateMachineTypeName(type)}, {"revisionId", record.revision_id}})});
  if (status.code() == StatusCode::kAlreadyExists) {
    auto existing = context.store->GetStateMachine(arn);
    if (existing.ok() && existing->status == store::StateMachineStatus::kDeleting) {
      // Its name is free once its last execution ended.
      if (PurgeIfDone(context, std::move(existing).value())) {
        return call.reply(Outcome::Fail(ErrorType::kStateMachineDeleting,
                                        "State Machine Is Being Deleted: '" + arn + "'"));
      }
      context.engine->ForgetStateMachine(arn);
      status = context.store->CreateStateMachine(
          record,
          {Audit(context, call, "CreateStateMachine", arn,
                 {{"type", StateMachineTypeName(type)}, {"revisionId", record.revision_id}})});
      if (status.ok()) return answer(record);
      existing = context.store->GetStateMachine(arn);
    }
    // Idempotent: the same name, definition (byte for byte), type, logging
    // and tracing answer with the existing machine.
    if (existing.ok()) {
      Json old = JsonObjectOrEmpty(existing->attributes_json);
      if (existing->definition == record.definition && existing->type == type &&
          existing->status == store::StateMachineStatus::kActive &&
          old.value("loggingConfiguration", DefaultLogging()) == logging &&
          old.value("tracingConfiguration", Json{{"enabled", false}}) == tracing) {
        return answer(*existing);
      }
    }
    return call.reply(Outcome::Fail(ErrorType::kStateMachineAlreadyExists,
                                    "State Machine Already Exists: '" + arn + "'"));
  }
  if (!status.ok()) return call.reply(StoreFailure(context, status, "CreateStateMachine"));
  context.engine->ForgetStateMachine(arn);
  answer(record);
}

void UpdateStateMachine(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineArn", true, 1, 256);
  auto definition = f.String("definition", false, 1, kMaxDefinition, true);
  auto role_arn = f.String("roleArn", false, 1, 256);
  const Json* logging_in = f.Value("loggingConfiguration", Json::value_t::object);
  const Json* tracing_in = f.Value("tracingConfiguration", Json::value_t::object);
  auto publish = f.Bool("publish");
  auto version_description = f.String("versionDescription", false, 0, 256, true);
  const Json* encryption = f.Value("encryptionConfiguration", Json::value_t::object);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckArn(*arn, {"stateMachine"})) return call.reply(Outcome{{}, *error});
  if (auto ref = ParseMachineRef(*arn); !ref || ref->qualified()) {
    return call.reply(Outcome{{}, QualifiedArnNotAccepted(*arn)});
  }
  if (!definition && !role_arn && !logging_in && !tracing_in && !encryption) {
    return call.reply(Outcome::Fail(ErrorType::kMissingRequiredParameter,
                                    "Either the definition, the role ARN, the "
                                    "LoggingConfiguration, or the TracingConfiguration must be "
                                    "specified"));
  }
  if (version_description && !publish.value_or(false)) {
    return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                    "Version description can only be set when publish is true"));
  }
  auto stored = context.store->GetStateMachine(*arn);
  if (stored.status().code() == StatusCode::kNotFound) return call.reply(MachineDoesNotExist(*arn));
  if (!stored.ok()) return call.reply(StoreFailure(context, stored.status(), "UpdateStateMachine"));
  std::optional<store::StateMachineRecord> current =
      PurgeIfDone(context, std::move(stored).value());
  if (!current) return call.reply(MachineDoesNotExist(*arn));
  store::StateMachineRecord record = std::move(*current);
  if (record.status == store::StateMachineStatus::kDeleting) {
    return call.reply(Outcome::Fail(ErrorType::kStateMachineDeleting,
                                    "State Machine Is Being Deleted: '" + *arn + "'"));
  }
  Json attributes = JsonObjectOrEmpty(record.attributes_json);
  Json logging = attributes.value("loggingConfiguration", DefaultLogging());
  Json tracing = attributes.value("tracingConfiguration", Json{{"enabled", false}});
  if (logging_in) {
    if (auto error = CheckLogging(*logging_in, &logging)) return call.reply(Outcome{{}, *error});
  }
  if (tracing_in) {
    if (auto error = CheckTracing(*tracing_in, &tracing)) return call.reply(Outcome{{}, *error});
  }
  if (definition) {
    if (auto error = CompileDefinition(*definition, record.type)) {
      return call.reply(Outcome{{}, *error});
    }
  }
  const bool changed =
      (definition && *definition != record.definition) ||
      (role_arn && *role_arn != record.role_arn) ||
      logging != attributes.value("loggingConfiguration", DefaultLogging()) ||
      tracing != attributes.value("tracingConfiguration", Json{{"enabled", false}});
  // An update that changes nothing keeps the revision it found (AWS answers
  // the same revisionId again).
  auto answer = [&](const store::StateMachineRecord& stored) {
    Json body = {{"updateDate", Timestamp(stored.updated_at_ms)},
                 {"revisionId", stored.revision_id}};
    if (publish.value_or(false)) {
      AwsError error{ErrorType::kInternalFailure, ""};
      auto version = PublishRevision(context, call, *arn, stored.revision_id,
                                     version_description.value_or(""), &error);
      if (!version.ok()) return call.reply(Outcome{{}, error});
      body["stateMachineVersionArn"] = VersionArn(*arn, version->version);
    }
    call.reply(Outcome::Ok(body));
  };
  if (!changed && attributes.value("revised", false)) return answer(record);
  if (definition) record.definition = *definition;
  if (role_arn) record.role_arn = *role_arn;
  attributes["loggingConfiguration"] = logging;
  attributes["tracingConfiguration"] = tracing;
  attributes["revised"] = true;
  record.attributes_json = AttributesText(attributes);
  record.revision_id = RandomUuid();
  record.updated_at_ms = context.NowMs();
  Json details = {{"revisionId", record.revision_id}};
  if (definition) details["definitionChanged"] = true;
  if (role_arn) details["roleArn"] = *role_arn;
  Status status = context.store->UpdateStateMachine(
      record, {Audit(context, call, "UpdateStateMachine", *arn, details)});
  if (status.code() == StatusCode::kNotFound) return call.reply(MachineDoesNotExist(*arn));
  if (!status.ok()) return call.reply(StoreFailure(context, status, "UpdateStateMachine"));
  context.engine->ForgetStateMachine(*arn);
  answer(record);
}

void DeleteStateMachine(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineArn", true, 1, 256);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckArn(*arn, {"stateMachine"})) return call.reply(Outcome{{}, *error});
  if (auto ref = ParseMachineRef(*arn); !ref || ref->qualified()) {
    return call.reply(Outcome{{}, QualifiedArnNotAccepted(*arn)});
  }
  Status status = context.store->DeleteStateMachine(
      *arn, {Audit(context, call, "DeleteStateMachine", *arn)});
  // Deleting what does not exist succeeds, as on AWS.
  if (!status.ok() && status.code() != StatusCode::kNotFound) {
    return call.reply(StoreFailure(context, status, "DeleteStateMachine"));
  }
  context.engine->ForgetStateMachine(*arn);
  call.reply(Outcome::Ok(Json::object()));
}

void DescribeStateMachine(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("stateMachineArn", true, 1, 256);
  auto included = f.Enum("includedData", false, {"ALL_DATA", "METADATA_ONLY"});
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckArn(*arn, {"stateMachine"})) return call.reply(Outcome{{}, *error});
  std::optional<MachineRef> ref = ParseMachineRef(*arn);
  if (!ref || !ref->alias.empty()) return call.reply(Outcome{{}, QualifiedArnNotAccepted(*arn)});
  auto stored = context.store->GetStateMachine(ref->machine_arn);
  if (stored.status().code() == StatusCode::kNotFound) return call.reply(MachineDoesNotExist(*arn));
  if (!stored.ok()) {
    return call.reply(StoreFailure(context, stored.status(), "DescribeStateMachine"));
  }
  if (ref->version > 0) {
    // A version: the snapshot it was published as.
    auto version = context.store->GetStateMachineVersion(ref->machine_arn, ref->version);
    if (version.status().code() == StatusCode::kNotFound) {
      return call.reply(MachineDoesNotExist(*arn));
    }
    if (!version.ok()) {
      return call.reply(StoreFailure(context, version.status(), "DescribeStateMachine"));
    }
    Json attributes = JsonObjectOrEmpty(version->attributes_json);
    Json body = {
        {"stateMachineArn", *arn},
        {"name", stored->name},
        {"status", "ACTIVE"},
        {"definition", included == "METADATA_ONLY" ? std::string("{}") : version->definition},
        {"roleArn", version->role_arn},
        {"type", StateMachineTypeName(stored->type)},
        {"creationDate", Timestamp(version->created_at_ms)},
        {"loggingConfiguration", attributes.value("loggingConfiguration", DefaultLogging())},
        {"tracingConfiguration",
         attributes.value("tracingConfiguration", Json{{"enabled", false}})},
        {"revisionId", version->revision_id},
    };
    if (!version->description.empty()) body["description"] = version->description;
    return call.reply(Outcome::Ok(body));
  }
  auto record = PurgeIfDone(context, std::move(stored).value());
  if (!record) return call.reply(MachineDoesNotExist(*arn));
  Json attributes = JsonObjectOrEmpty(record->attributes_json);
  Json body = {
      {"stateMachineArn", record->arn},
      {"name", record->name},
      {"status", StateMachineStatusName(record->status)},
      {"definition", included == "METADATA_ONLY" ? std::string("{}") : record->definition},
      {"roleArn", record->role_arn},
      {"type", StateMachineTypeName(record->type)},
      {"creationDate", Timestamp(record->created_at_ms)},
      {"loggingConfiguration", attributes.value("loggingConfiguration", DefaultLogging())},
      {"tracingConfiguration", attributes.value("tracingConfiguration", Json{{"enabled", false}})},
  };
  if (attributes.value("revised", false)) body["revisionId"] = record->revision_id;
  call.reply(Outcome::Ok(body));
}

void ListStateMachines(const Context& context, Call call) {
  Fields f(call.input);
  store::PageRequest page = f.Page();
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  auto listed = context.store->ListStateMachines(page);
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
  }
  if (!listed.ok()) return call.reply(StoreFailure(context, listed.status(), "ListStateMachines"));
  Json items = Json::array();
  for (store::StateMachineRecord& record : listed->items) {
    auto current = PurgeIfDone(context, std::move(record));
    if (!current) continue;
    // A principal whose read grants are limited to some state machines
    // sees those only.
    if (!call.principal.Can(Permission::kRead, current->name)) continue;
    items.push_back({{"stateMachineArn", current->arn},
                     {"name", current->name},
                     {"type", StateMachineTypeName(current->type)},
                     {"creationDate", Timestamp(current->created_at_ms)}});
  }
  Json body = {{"stateMachines", std::move(items)}};
  SetNextToken(&body, listed->next_token);
  call.reply(Outcome::Ok(body));
}

void DescribeStateMachineForExecution(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("executionArn", true, 1, 256);
  auto included = f.Enum("includedData", false, {"ALL_DATA", "METADATA_ONLY"});
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto error = CheckArn(*arn, {"execution", "express"})) {
    return call.reply(Outcome{{}, *error});
  }
  auto execution = context.store->GetExecution(*arn);
  if (execution.status().code() == StatusCode::kNotFound) {
    return call.reply(Outcome::Fail(ErrorType::kExecutionDoesNotExist,
                                    "Execution Does Not Exist: '" + *arn + "'"));
  }
  if (!execution.ok()) {
    return call.reply(
        StoreFailure(context, execution.status(), "DescribeStateMachineForExecution"));
  }
  auto machine = context.store->GetStateMachine(execution->state_machine_arn);
  auto definition = context.store->GetStateMachineDefinition(execution->state_machine_arn,
                                                             execution->state_machine_revision_id);
  if (!machine.ok() || !definition.ok()) {
    // The machine went away between the two reads: as if the execution had.
    return call.reply(Outcome::Fail(ErrorType::kExecutionDoesNotExist,
                                    "Execution Does Not Exist: '" + *arn + "'"));
  }
  Json attributes = JsonObjectOrEmpty(machine->attributes_json);
  Json body = {
      {"stateMachineArn", machine->arn},
      {"name", machine->name},
      {"definition", included == "METADATA_ONLY" ? std::string("{}") : *definition},
      {"roleArn", machine->role_arn},
      {"updateDate", Timestamp(machine->updated_at_ms)},
      {"loggingConfiguration", attributes.value("loggingConfiguration", DefaultLogging())},
      {"tracingConfiguration", attributes.value("tracingConfiguration", Json{{"enabled", false}})},
  };
  if (attributes.value("revised", false)) body["revisionId"] = execution->state_machine_revision_id;
  if (!execution->map_run_arn.empty()) body["mapRunArn"] = execution->map_run_arn;
  call.reply(Outcome::Ok(body));
}

void ValidateStateMachineDefinition(const Context& context, Call call) {
  (void)context;
  Fields f(call.input);
  auto definition = f.String("definition", true, 1, kMaxDefinition, true);
  auto type_name = f.Enum("type", false, {"STANDARD", "EXPRESS"});
  auto severity = f.Enum("severity", false, {"ERROR", "WARNING"});
  auto max_results = f.Int("maxResults", false, 0, 100);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  asl::CompileOptions options;
  options.type =
      type_name == "EXPRESS" ? asl::StateMachineType::kExpress : asl::StateMachineType::kStandard;
  asl::CompileResult compiled = asl::Compile(*definition, options);
  const bool with_warnings = severity == "WARNING";
  const size_t limit = max_results.value_or(0) == 0 ? 100 : static_cast<size_t>(*max_results);
  Json diagnostics = Json::array();
  bool truncated = false;
  for (const asl::Diagnostic& d : compiled.diagnostics) {
    if (d.severity == asl::Severity::kWarning && !with_warnings) continue;
    if (diagnostics.size() == limit) {
      truncated = true;
      break;
    }
    Json j = {{"severity", d.severity == asl::Severity::kError ? "ERROR" : "WARNING"},
              {"code", d.code},
              {"message", d.message}};
    if (!d.location.empty()) j["location"] = d.location;
    diagnostics.push_back(std::move(j));
  }
  call.reply(Outcome::Ok({{"result", compiled.ok() ? "OK" : "FAIL"},
                          {"diagnostics", std::move(diagnostics)},
                          {"truncated", truncated}}));
}

}  // namespace stepd::api::aws
