#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <cstdint>

#include "aws_internal.h"
#include "stepd/base/crypto.h"

namespace stepd::api::aws {

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
#define STEPD_AWS_ERROR_NAME(name, status, ns) \
  case ErrorType::k##name:                     \
    return #name;
    STEPD_AWS_ERRORS(STEPD_AWS_ERROR_NAME)
#undef STEPD_AWS_ERROR_NAME
  }
  return "InternalFailure";
}

int ErrorHttpStatus(ErrorType type) {
  switch (type) {
#define STEPD_AWS_ERROR_STATUS(name, status, ns) \
  case ErrorType::k##name:                       \
    return status;
    STEPD_AWS_ERRORS(STEPD_AWS_ERROR_STATUS)
#undef STEPD_AWS_ERROR_STATUS
  }
  return 500;
}

std::string ErrorTypeWireName(ErrorType type) {
  enum Namespace { kPlain, kStates, kCoralValidate };
  Namespace ns = kPlain;
  switch (type) {
#define STEPD_AWS_ERROR_NS(name, status, space) \
  case ErrorType::k##name:                      \
    ns = space;                                 \
    break;
    STEPD_AWS_ERRORS(STEPD_AWS_ERROR_NS)
#undef STEPD_AWS_ERROR_NS
  }
  std::string name(ErrorTypeName(type));
  if (ns == kStates) return "com.amazonaws.swf.service.v2.model#" + name;
  if (ns == kCoralValidate) return "com.amazon.coral.validate#" + name;
  return name;
}

Outcome Outcome::Ok(const Json& body) {
  Outcome outcome;
  AppendJsonText(body, &outcome.body);
  return outcome;
}

int64_t Context::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock->Now().time_since_epoch())
      .count();
}

// --- Fields -------------------------------------------------------------------

namespace {

std::string_view JsonTypeName(const Json& j) {
  if (j.is_string()) return "string";
  if (j.is_boolean()) return "boolean";
  if (j.is_number()) return "number";
  if (j.is_object()) return "object";
  if (j.is_array()) return "array";
  return "null";
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

const Json* Fields::Member(std::string_view name, bool required) {
  auto it = input_.find(name);
  if (it == input_.end() || it->is_null()) {
    if (required) AddConstraint(name, "null", "Member must not be null");
    return nullptr;
  }
  return &*it;
}

std::string Fields::Path(std::string_view name) const {
  std::string member(name);
  if (lower_camel_names_ && !member.empty()) {
    member[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(member[0])));
  }
  return path_.empty() ? member : path_ + "." + member;
}

void Fields::AddConstraint(std::string_view name, const std::string& shown_value,
                           const std::string& constraint) {
  std::string text = "Value ";
  if (!shown_value.empty()) text += shown_value + " ";
  text += "at '" + Path(name) + "' failed to satisfy constraint: " + constraint;
  constraints_.push_back(std::move(text));
}

void Fields::Merge(const Fields& member) {
  if (!serialization_) serialization_ = member.serialization_;
  constraints_.insert(constraints_.end(), member.constraints_.begin(), member.constraints_.end());
}

std::optional<std::string> Fields::String(std::string_view name, bool required, size_t min_length,
                                          size_t max_length, bool sensitive) {
  const Json* j = Member(name, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_string()) {
    if (!serialization_) {
      serialization_ =
          "Expected a string at '" + Path(name) + "', got " + std::string(JsonTypeName(*j));
    }
    return std::nullopt;
  }
  std::string value = j->get<std::string>();
  const size_t length = Utf8Length(value);
  const std::string shown = sensitive ? "" : "'" + value + "'";
  if (length < min_length) {
    AddConstraint(name, shown,
                  "Member must have length greater than or equal to " + std::to_string(min_length));
  } else if (length > max_length) {
    AddConstraint(name, shown,
                  "Member must have length less than or equal to " + std::to_string(max_length));
  }
  return value;
}

std::optional<int64_t> Fields::Int(std::string_view name, bool required, int64_t min, int64_t max) {
  const Json* j = Member(name, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_number_integer()) {
    if (!serialization_) {
      serialization_ = "Expected an integer at '" + Path(name) + "', got " +
                       (j->is_number() ? j->dump() : std::string(JsonTypeName(*j)));
    }
    return std::nullopt;
  }
  int64_t value =
      j->is_number_unsigned() && j->get<uint64_t>() > INT64_MAX ? INT64_MAX : j->get<int64_t>();
  if (value < min) {
    AddConstraint(name, "'" + std::to_string(value) + "'",
                  "Member must have value greater than or equal to " + std::to_string(min));
  } else if (value > max) {
    AddConstraint(name, "'" + std::to_string(value) + "'",
                  "Member must have value less than or equal to " + std::to_string(max));
  }
  return value;
}

std::optional<bool> Fields::Bool(std::string_view name) {
  const Json* j = Member(name, false);
  if (j == nullptr) return std::nullopt;
  if (!j->is_boolean()) {
    if (!serialization_) {
      serialization_ =
          "Expected a boolean at '" + Path(name) + "', got " + std::string(JsonTypeName(*j));
    }
    return std::nullopt;
  }
  return j->get<bool>();
}

const Json* Fields::Value(std::string_view name, Json::value_t type) {
  const Json* j = Member(name, false);
  if (j == nullptr) return nullptr;
  if (j->type() != type) {
    if (!serialization_) {
      serialization_ = "Expected " +
                       std::string(type == Json::value_t::array ? "an array" : "an object") +
                       " at '" + Path(name) + "', got " + std::string(JsonTypeName(*j));
    }
    return nullptr;
  }
  return j;
}

store::PageRequest Fields::Page(int64_t max_results, size_t max_token) {
  store::PageRequest page;
  if (auto max = Int("maxResults", false, 0, max_results))
    page.max_results = static_cast<int>(*max);
  if (auto token = String("nextToken", false, 1, max_token)) page.next_token = *token;
  return page;
}

std::optional<std::string> Fields::Enum(std::string_view name, bool required,
                                        std::initializer_list<std::string_view> values) {
  std::optional<std::string> value = String(name, required, 0, SIZE_MAX);
  if (!value) return std::nullopt;
  for (std::string_view v : values) {
    if (v == *value) return value;
  }
  std::string set = "[";
  for (std::string_view v : values) {
    if (set.size() > 1) set += ", ";
    set += v;
  }
  set += "]";
  AddConstraint(name, "'" + *value + "'", "Member must satisfy enum value set: " + set);
  return std::nullopt;
}

AwsError Fields::error() const {
  if (serialization_) return AwsError{ErrorType::kSerializationException, *serialization_};
  std::string message = std::to_string(constraints_.size()) + " validation error" +
                        (constraints_.size() == 1 ? "" : "s") + " detected: ";
  for (size_t i = 0; i < constraints_.size(); ++i) {
    if (i) message += "; ";
    message += constraints_[i];
  }
  return AwsError{ErrorType::kValidationException, std::move(message)};
}

// --- ARNs and names -------------------------------------------------------------

std::optional<Arn> ParseArn(std::string_view text) {
  constexpr std::string_view kPrefix = "arn:aws:states:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  std::array<std::string_view, 3> parts;
  for (std::string_view& part : parts) {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    part = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  if (text.empty()) return std::nullopt;
  return Arn{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
             std::string(text)};
}

std::optional<AwsError> CheckArn(std::string_view text,
                                 std::initializer_list<std::string_view> types) {
  std::optional<Arn> arn = ParseArn(text);
  if (!arn) {
    return AwsError{ErrorType::kInvalidArn,
                    "Invalid Arn: 'Invalid ARN prefix: " + std::string(text) + "'"};
  }
  for (std::string_view type : types) {
    if (arn->resource_type == type) return std::nullopt;
  }
  return AwsError{
      ErrorType::kInvalidArn,
      "Invalid Arn: 'Resource type not valid in this context: " + arn->resource_type + "'"};
}

std::string StateMachineArn(const ApiOptions& options, std::string_view name) {
  return "arn:aws:states:" + options.region + ":" + options.account_id +
         ":stateMachine:" + std::string(name);
}

std::optional<MachineRef> ParseMachineRef(std::string_view arn) {
  std::optional<Arn> parsed = ParseArn(arn);
  if (!parsed || parsed->resource_type != "stateMachine") return std::nullopt;
  MachineRef ref;
  const size_t colon = parsed->resource.find(':');
  if (colon == std::string::npos) {
    ref.machine_arn = std::string(arn);
    return ref;
  }
  const std::string_view qualifier = std::string_view(parsed->resource).substr(colon + 1);
  if (qualifier.empty() || qualifier.find(':') != std::string_view::npos) return std::nullopt;
  ref.machine_arn = std::string(arn.substr(0, arn.size() - qualifier.size() - 1));
  if (qualifier.find_first_not_of("0123456789") == std::string_view::npos) {
    if (qualifier.size() > 9) return std::nullopt;
    ref.version = std::stoll(std::string(qualifier));
    if (ref.version == 0) return std::nullopt;
  } else {
    ref.alias = std::string(qualifier);
  }
  return ref;
}

std::string VersionArn(std::string_view machine_arn, int64_t version) {
  return std::string(machine_arn) + ":" + std::to_string(version);
}

std::string AliasArn(std::string_view machine_arn, std::string_view alias) {
  return std::string(machine_arn) + ":" + std::string(alias);
}

AwsError QualifiedArnNotAccepted(std::string_view arn) {
  return AwsError{ErrorType::kValidationException,
                  "Invalid Arn: '" + std::string(arn) +
                      "' is a version or alias ARN; this operation takes a state machine ARN"};
}

Json RoutingJson(std::string_view machine_arn, const std::vector<store::AliasRoute>& routing) {
  Json out = Json::array();
  for (const store::AliasRoute& route : routing) {
    out.push_back({{"stateMachineVersionArn", VersionArn(machine_arn, route.version)},
                   {"weight", route.weight}});
  }
  return out;
}

std::string ActivityArn(const ApiOptions& options, std::string_view name) {
  return "arn:aws:states:" + options.region + ":" + options.account_id +
         ":activity:" + std::string(name);
}

Json JsonObjectOrEmpty(std::string_view text) {
  StatusOr<Json> parsed = ParseJson(text);
  if (!parsed.ok() || !parsed->is_object()) return Json::object();
  return std::move(parsed).value();
}

Json Timestamp(int64_t ms) {
  if (ms % 1000 == 0) return Json(ms / 1000);
  return Json(static_cast<double>(ms) / 1000.0);
}

Json CallerAudit(const Call& call) {
  Json j = {{"principal", call.principal.AuditJson()}};
  if (!call.source.empty()) j["source"] = call.source;
  if (!call.request_id.empty()) j["request_id"] = call.request_id;
  if (call.audit_details.is_object()) {
    for (const auto& [key, value] : call.audit_details.items()) j[key] = value;
  }
  return j;
}

store::AuditEntry Audit(const Context& context, const Call& call, std::string_view action,
                        std::string_view target, Json details) {
  store::AuditEntry entry;
  entry.timestamp_ms = context.NowMs();
  entry.actor = call.principal.id;
  if (!details.is_object()) details = Json::object();
  const Json caller = CallerAudit(call);
  for (auto& [key, value] : caller.items()) details[key] = value;
  if (!details.contains("outcome")) details["outcome"] = "ok";
  entry.action = std::string(action);
  entry.target = std::string(target);
  entry.details_json = details.dump(-1, ' ', false, Json::error_handler_t::replace);
  return entry;
}

std::optional<AwsError> MergeTags(const Json& tags, std::string_view resource_arn, Json* existing) {
  constexpr size_t kMaxTags = 50;
  if (!existing->is_array()) *existing = Json::array();
  std::vector<std::string> problems;
  size_t index = 0;
  for (const Json& tag : tags) {
    ++index;
    const std::string at = "tags." + std::to_string(index) + ".member";
    if (!tag.is_object()) {
      return AwsError{ErrorType::kSerializationException, "Expected an object at '" + at + "'"};
    }
    auto key = tag.find("key");
    auto value = tag.find("value");
    if (key == tag.end() || !key->is_string() || (value != tag.end() && !value->is_string())) {
      return AwsError{ErrorType::kSerializationException,
                      "Expected string members 'key' and 'value' at '" + at + "'"};
    }
    const std::string k = key->get<std::string>();
    const std::string v = value == tag.end() ? "" : value->get<std::string>();
    if (Utf8Length(k) < 1 || Utf8Length(k) > 128) {
      problems.push_back("Value '" + k + "' at '" + at +
                         ".key' failed to satisfy constraint: Member must have length " +
                         (k.empty() ? "greater than or equal to 1" : "less than or equal to 128"));
    }
    if (Utf8Length(v) > 256) {
      problems.push_back("Value '" + v + "' at '" + at +
                         ".value' failed to satisfy constraint: Member must have length less "
                         "than or equal to 256");
    }
    if (!problems.empty()) continue;
    bool replaced = false;
    for (Json& old : *existing) {
      if (old["key"] == k) {
        old["value"] = v;
        replaced = true;
      }
    }
    if (!replaced) existing->push_back({{"key", k}, {"value", v}});
  }
  if (!problems.empty()) {
    std::string message = std::to_string(problems.size()) + " validation error" +
                          (problems.size() == 1 ? "" : "s") + " detected: ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    return AwsError{ErrorType::kValidationException, std::move(message)};
  }
  if (existing->size() > kMaxTags) {
    return AwsError{ErrorType::kTooManyTags,
                    "Too many tags: '" + std::string(resource_arn) + "' would have " +
                        std::to_string(existing->size()) + " tags; at most " +
                        std::to_string(kMaxTags) + " are allowed"};
  }
  return std::nullopt;
}

void SetNextToken(Json* body, const std::string& next_token) {
  if (!next_token.empty()) (*body)["nextToken"] = next_token;
}

std::optional<store::StateMachineRecord> PurgeIfDone(const Context& context,
                                                     store::StateMachineRecord record) {
  if (record.status != store::StateMachineStatus::kDeleting) return record;
  if (!context.store->DeleteStateMachine(record.arn, {}).ok()) return record;
  auto again = context.store->GetStateMachine(record.arn);
  if (!again.ok()) {
    context.engine->ForgetStateMachine(record.arn);
    return std::nullopt;
  }
  return std::move(again).value();
}

Outcome StoreFailure(const Context& context, const Status& status, std::string_view operation) {
  switch (status.code()) {
    case StatusCode::kUnavailable:        // busy, or a failed write (I/O error)
    case StatusCode::kResourceExhausted:  // the disk is full
      return Outcome::Fail(ErrorType::kServiceUnavailable,
                           "The store cannot serve this now (busy, or a failed write); try again: " +
                               std::string(status.message()));
    default:
      context.log->error("{}: {}", operation, status.ToString());
      return Outcome::Fail(ErrorType::kInternalFailure,
                           std::string(operation) + " failed inside stepd; see the server log");
  }
}

// --- The operation table ------------------------------------------------------------

const OperationInfo* FindOperation(std::string_view name) {
  static constexpr OperationInfo kOperations[] = {
      {"CreateActivity", Permission::kManage, CreateActivity},
      {"CreateStateMachine", Permission::kManage, CreateStateMachine},
      {"CreateStateMachineAlias", Permission::kManage, CreateStateMachineAlias},
      {"DeleteActivity", Permission::kManage, DeleteActivity},
      {"DeleteStateMachine", Permission::kManage, DeleteStateMachine},
      {"DeleteStateMachineAlias", Permission::kManage, DeleteStateMachineAlias},
      {"DeleteStateMachineVersion", Permission::kManage, DeleteStateMachineVersion},
      {"DescribeActivity", Permission::kRead, DescribeActivity},
      {"DescribeExecution", Permission::kRead, DescribeExecution},
      {"DescribeMapRun", Permission::kRead, DescribeMapRun},
      {"DescribeStateMachine", Permission::kRead, DescribeStateMachine},
      {"DescribeStateMachineAlias", Permission::kRead, DescribeStateMachineAlias},
      {"DescribeStateMachineForExecution", Permission::kRead, DescribeStateMachineForExecution},
      {"GetActivityTask", Permission::kOperate, GetActivityTask},
      {"GetExecutionHistory", Permission::kRead, GetExecutionHistory},
      {"ListActivities", Permission::kRead, ListActivities},
      {"ListExecutions", Permission::kRead, ListExecutions},
      {"ListMapRuns", Permission::kRead, ListMapRuns},
      {"ListStateMachineAliases", Permission::kRead, ListStateMachineAliases},
      {"ListStateMachineVersions", Permission::kRead, ListStateMachineVersions},
      {"ListStateMachines", Permission::kRead, ListStateMachines},
      {"ListTagsForResource", Permission::kRead, ListTagsForResource},
      {"PublishStateMachineVersion", Permission::kManage, PublishStateMachineVersion},
      {"RedriveExecution", Permission::kOperate, RedriveExecution},
      {"SendTaskFailure", Permission::kOperate, SendTaskFailure},
      {"SendTaskHeartbeat", Permission::kOperate, SendTaskHeartbeat},
      {"SendTaskSuccess", Permission::kOperate, SendTaskSuccess},
      {"StartExecution", Permission::kStart, StartExecution},
      {"StartSyncExecution", Permission::kStart, StartSyncExecution},
      {"StopExecution", Permission::kOperate, StopExecution},
      {"TagResource", Permission::kManage, TagResource},
      {"TestState", Permission::kOperate, TestState},
      {"UntagResource", Permission::kManage, UntagResource},
      {"UpdateMapRun", Permission::kOperate, UpdateMapRun},
      {"UpdateStateMachine", Permission::kManage, UpdateStateMachine},
      {"UpdateStateMachineAlias", Permission::kManage, UpdateStateMachineAlias},
      {"ValidateStateMachineDefinition", Permission::kRead, ValidateStateMachineDefinition},
  };
  for (const OperationInfo& op : kOperations) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

const OperationInfo* FindEventsOperation(std::string_view name) {
  static constexpr OperationInfo kOperations[] = {
      {"CreateConnection", Permission::kManage, CreateConnection},
      {"DeauthorizeConnection", Permission::kManage, DeauthorizeConnection},
      {"DeleteConnection", Permission::kManage, DeleteConnection},
      {"DescribeConnection", Permission::kRead, DescribeConnection},
      {"ListConnections", Permission::kRead, ListConnections},
      {"UpdateConnection", Permission::kManage, UpdateConnection},
  };
  for (const OperationInfo& op : kOperations) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace stepd::api::aws
