// CreateActivity, DeleteActivity, DescribeActivity, ListActivities,
// GetActivityTask, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat; and
// the tagging operations, which apply to state machines and activities.

#include <algorithm>
#include <functional>
#include <mutex>

#include "aws_internal.h"

namespace stepd::api::aws {
namespace {

constexpr size_t kMaxPayload = 262144;
constexpr auto kPollWait = std::chrono::seconds(60);

Outcome ActivityDoesNotExist(std::string_view arn) {
  return Outcome::Fail(ErrorType::kActivityDoesNotExist,
                       "Activity Does Not Exist: '" + std::string(arn) + "'");
}

Outcome ResourceNotFound(std::string_view arn) {
  return Outcome::Fail(ErrorType::kResourceNotFound,
                       "Resource not found: '" + std::string(arn) + "'");
}

// What a worker's answer on a token got back from the queue.
Outcome TokenOutcome(const Context& context, const Status& status, std::string_view operation) {
  switch (status.code()) {
    case StatusCode::kOk:
      return Outcome::Ok(Json::object());
    case StatusCode::kNotFound:
    case StatusCode::kInvalidArgument:
      return Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'");
    case StatusCode::kFailedPrecondition:
      return Outcome::Fail(ErrorType::kTaskTimedOut,
                           "Task Timed Out: 'Provided task does not exist anymore'");
    default:
      return StoreFailure(context, status, operation);
  }
}

// Tags live in a resource's attributes; one writer at a time, so that two
// concurrent TagResource calls do not lose each other's tags.
std::mutex tags_mu;

// The attributes of the state machine or activity `arn`, or the error.
StatusOr<Json> ResourceAttributes(const Context& context, std::string_view arn, bool activity) {
  std::string text;
  if (activity) {
    STEPD_ASSIGN_OR_RETURN(store::ActivityRecord record, context.store->GetActivity(arn));
    text = std::move(record.attributes_json);
  } else {
    STEPD_ASSIGN_OR_RETURN(store::StateMachineRecord record, context.store->GetStateMachine(arn));
    text = std::move(record.attributes_json);
  }
  return JsonObjectOrEmpty(text);
}

}  // namespace

void CreateActivity(const Context& context, Call call) {
  Fields f(call.input);
  auto name = f.String("name", true, 1, 80);
  const Json* tags_in = f.Value("tags", Json::value_t::array);
  f.Value("encryptionConfiguration", Json::value_t::object);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (!IsValidAwsName(*name)) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidName, "Invalid Name: '" + *name + "'"));
  }
  store::ActivityRecord record;
  record.arn = ActivityArn(*context.options, *name);
  record.name = *name;
  record.created_at_ms = context.NowMs();
  Json attributes = Json::object();
  if (tags_in) {
    Json tags = Json::array();
    if (auto error = MergeTags(*tags_in, record.arn, &tags)) return call.reply(Outcome{{}, *error});
    attributes["tags"] = std::move(tags);
  }
  record.attributes_json = attributes.dump();
  Status status = context.store->CreateActivity(
      record, {Audit(context, call, "CreateActivity", record.arn)});
  if (status.code() == StatusCode::kAlreadyExists) {
    // Idempotent by name (differing tags are ignored, as on AWS).
    auto existing = context.store->GetActivity(record.arn);
    if (!existing.ok())
      return call.reply(StoreFailure(context, existing.status(), "CreateActivity"));
    record.created_at_ms = existing->created_at_ms;
  } else if (!status.ok()) {
    return call.reply(StoreFailure(context, status, "CreateActivity"));
  }
  call.reply(Outcome::Ok(
      {{"activityArn", record.arn}, {"creationDate", Timestamp(record.created_at_ms)}}));
}

void DeleteActivity(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("activityArn", true, 1, 256);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"activity"})) return call.reply(Outcome{{}, *bad});
  Status status =
      context.store->DeleteActivity(*arn, {Audit(context, call, "DeleteActivity", *arn)});
  if (!status.ok() && status.code() != StatusCode::kNotFound) {
    return call.reply(StoreFailure(context, status, "DeleteActivity"));
  }
  call.reply(Outcome::Ok(Json::object()));
}

void DescribeActivity(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("activityArn", true, 1, 256);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"activity"})) return call.reply(Outcome{{}, *bad});
  auto record = context.store->GetActivity(*arn);
  if (record.status().code() == StatusCode::kNotFound)
    return call.reply(ActivityDoesNotExist(*arn));
  if (!record.ok()) return call.reply(StoreFailure(context, record.status(), "DescribeActivity"));
  call.reply(Outcome::Ok({{"activityArn", record->arn},
                          {"name", record->name},
                          {"creationDate", Timestamp(record->created_at_ms)}}));
}

void ListActivities(const Context& context, Call call) {
  Fields f(call.input);
  store::PageRequest page = f.Page();
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  auto listed = context.store->ListActivities(page);
  if (listed.status().code() == StatusCode::kInvalidArgument) {
    return call.reply(Outcome::Fail(ErrorType::kInvalidToken, "Invalid Token: 'Invalid token'"));
  }
  if (!listed.ok()) return call.reply(StoreFailure(context, listed.status(), "ListActivities"));
  Json items = Json::array();
  for (const store::ActivityRecord& a : listed->items) {
    items.push_back(
        {{"activityArn", a.arn}, {"name", a.name}, {"creationDate", Timestamp(a.created_at_ms)}});
  }
  Json body = {{"activities", std::move(items)}};
  SetNextToken(&body, listed->next_token);
  call.reply(Outcome::Ok(body));
}

void GetActivityTask(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("activityArn", true, 1, 256);
  auto worker = f.String("workerName", false, 1, 80);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"activity"})) return call.reply(Outcome{{}, *bad});
  auto reply = std::move(call.reply);
  context.activities->Poll(
      *arn, worker.value_or(""), kPollWait,
      [reply, arn = *arn](StatusOr<std::optional<runtime::ActivityQueue::Handout>> result) {
        if (result.status().code() == StatusCode::kNotFound)
          return reply(ActivityDoesNotExist(arn));
        // No task within the wait, or stepd is stopping: the empty answer.
        if (!result.ok() || !result->has_value()) return reply(Outcome::Ok(Json::object()));
        reply(Outcome::Ok({{"taskToken", (*result)->token}, {"input", (*result)->input}}));
      },
      call.client_gone);
}

void SendTaskSuccess(const Context& context, Call call) {
  Fields f(call.input);
  auto token = f.String("taskToken", true, 1, 2048);
  auto output = f.String("output", true, 0, kMaxPayload, /*sensitive=*/true);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (StatusOr<Json> parsed = ParseJson(*output); !parsed.ok()) {
    return call.reply(
        Outcome::Fail(ErrorType::kInvalidOutput,
                      "Invalid Output: '" + std::string(parsed.status().message()) + "'"));
  }
  call.reply(TokenOutcome(context, context.activities->Succeed(*token, *output), call.operation));
}

void SendTaskFailure(const Context& context, Call call) {
  Fields f(call.input);
  auto token = f.String("taskToken", true, 1, 2048);
  auto error = f.String("error", false, 0, 256, true);
  auto cause = f.String("cause", false, 0, 32768, true);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  call.reply(TokenOutcome(context,
                          context.activities->Fail(*token, error.value_or(""), cause.value_or("")),
                          call.operation));
}

void SendTaskHeartbeat(const Context& context, Call call) {
  Fields f(call.input);
  auto token = f.String("taskToken", true, 1, 2048);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  call.reply(TokenOutcome(context, context.activities->Heartbeat(*token), call.operation));
}

namespace {

// Reads the tags of the state machine or activity `arn`, lets `change` edit
// them, and stores them with an audit row: the shared body of TagResource
// and UntagResource.
Outcome ChangeTags(const Context& context, const Call& call, const std::string& arn,
                   Json audit_details,
                   const std::function<std::optional<AwsError>(Json* tags)>& change) {
  if (auto bad = CheckArn(arn, {"stateMachine", "activity"})) return Outcome{{}, *bad};
  const bool activity = ParseArn(arn)->resource_type == "activity";
  std::lock_guard lock(tags_mu);
  auto attributes = ResourceAttributes(context, arn, activity);
  if (attributes.status().code() == StatusCode::kNotFound) return ResourceNotFound(arn);
  if (!attributes.ok()) return StoreFailure(context, attributes.status(), call.operation);
  Json tags = attributes->value("tags", Json::array());
  if (auto error = change(&tags)) return Outcome{{}, *error};
  (*attributes)["tags"] = std::move(tags);
  Status status = context.store->UpdateAttributes(
      arn, attributes->dump(),
      {Audit(context, call, call.operation, arn, std::move(audit_details))});
  if (status.code() == StatusCode::kNotFound) return ResourceNotFound(arn);
  if (!status.ok()) return StoreFailure(context, status, call.operation);
  return Outcome::Ok(Json::object());
}

}  // namespace

void TagResource(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("resourceArn", true, 1, 256);
  const Json* tags = f.Value("tags", Json::value_t::array);
  if (f.ok() && tags == nullptr) f.AddConstraint("tags", "null", "Member must not be null");
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  call.reply(ChangeTags(context, call, *arn, {{"tags", *tags}},
                        [&](Json* current) { return MergeTags(*tags, *arn, current); }));
}

void UntagResource(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("resourceArn", true, 1, 256);
  const Json* keys = f.Value("tagKeys", Json::value_t::array);
  if (f.ok() && keys == nullptr) f.AddConstraint("tagKeys", "null", "Member must not be null");
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  for (const Json& key : *keys) {
    if (!key.is_string()) {
      return call.reply(Outcome::Fail(ErrorType::kSerializationException,
                                      "Expected strings in 'tagKeys', got " + key.dump()));
    }
  }
  call.reply(ChangeTags(context, call, *arn, {{"tagKeys", *keys}},
                        [&](Json* current) -> std::optional<AwsError> {
                          Json kept = Json::array();
                          for (const Json& tag : *current) {
                            if (std::find(keys->begin(), keys->end(), tag["key"]) == keys->end()) {
                              kept.push_back(tag);
                            }
                          }
                          *current = std::move(kept);
                          return std::nullopt;
                        }));
}

void ListTagsForResource(const Context& context, Call call) {
  Fields f(call.input);
  auto arn = f.String("resourceArn", true, 1, 256);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  if (auto bad = CheckArn(*arn, {"stateMachine", "activity"})) return call.reply(Outcome{{}, *bad});
  const bool activity = ParseArn(*arn)->resource_type == "activity";
  auto attributes = ResourceAttributes(context, *arn, activity);
  if (attributes.status().code() == StatusCode::kNotFound)
    return call.reply(ResourceNotFound(*arn));
  if (!attributes.ok()) {
    return call.reply(StoreFailure(context, attributes.status(), "ListTagsForResource"));
  }
  call.reply(Outcome::Ok({{"tags", attributes->value("tags", Json::array())}}));
}

}  // namespace stepd::api::aws
