#pragma once
// Private to the AWS JSON API: what its operations share. One operation is a
// function of (context, call) that answers through the call exactly once,
// on any thread.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/api/auth.h"
#include "stepd/api/options.h"
#include "stepd/base/aws_names.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/scheduler.h"
#include "stepd/runtime/notifier.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::api::aws {

// AWS's exception names (the "__type" of an error body, after its namespace),
// their HTTP status, and the namespace AWS prefixes them with:
// kStates "com.amazonaws.swf.service.v2.model#", kCoralValidate
// "com.amazon.coral.validate#", kPlain none (the names CONTRACTS.md pins for
// authentication and overload, and generic service errors). EventBridge's
// answers never carry a namespace.
#define STEPD_AWS_ERRORS(X)                     \
  X(AccessDeniedException, 403, kPlain)         \
  X(ActivityAlreadyExists, 400, kStates)        \
  X(ActivityDoesNotExist, 400, kStates)         \
  X(ConcurrentModificationException, 400, kPlain) \
  X(ConflictException, 400, kStates)            \
  X(ExecutionAlreadyExists, 400, kStates)       \
  X(ExecutionDoesNotExist, 400, kStates)        \
  X(ExecutionNotRedrivable, 400, kStates)       \
  X(InternalException, 500, kPlain)             \
  X(InternalFailure, 500, kPlain)               \
  X(InvalidArn, 400, kStates)                   \
  X(InvalidDefinition, 400, kStates)            \
  X(InvalidExecutionInput, 400, kStates)        \
  X(InvalidLoggingConfiguration, 400, kStates)  \
  X(InvalidName, 400, kStates)                  \
  X(InvalidOutput, 400, kStates)                \
  X(InvalidSignatureException, 401, kPlain)     \
  X(InvalidToken, 400, kStates)                 \
  X(InvalidTracingConfiguration, 400, kStates)  \
  X(LimitExceededException, 400, kPlain)        \
  X(MissingRequiredParameter, 400, kStates)     \
  X(ResourceAlreadyExistsException, 400, kPlain) \
  X(ResourceNotFound, 400, kStates)             \
  X(ResourceNotFoundException, 400, kPlain)     \
  X(SerializationException, 400, kPlain)        \
  X(ServiceQuotaExceededException, 400, kStates) \
  X(ServiceUnavailable, 503, kPlain)            \
  X(StateMachineAlreadyExists, 400, kStates)    \
  X(StateMachineDeleting, 400, kStates)         \
  X(StateMachineDoesNotExist, 400, kStates)     \
  X(StateMachineTypeNotSupported, 400, kStates) \
  X(TaskDoesNotExist, 400, kStates)             \
  X(TaskTimedOut, 400, kStates)                 \
  X(ThrottlingException, 400, kPlain)           \
  X(TooManyTags, 400, kStates)                  \
  X(UnknownOperationException, 400, kPlain)     \
  X(UnrecognizedClientException, 401, kPlain)   \
  X(ValidationException, 400, kCoralValidate)

enum class ErrorType {
#define STEPD_AWS_ERROR_ENUM(name, status, ns) k##name,
  STEPD_AWS_ERRORS(STEPD_AWS_ERROR_ENUM)
#undef STEPD_AWS_ERROR_ENUM
};
std::string_view ErrorTypeName(ErrorType type);
int ErrorHttpStatus(ErrorType type);
// The "__type" value: the name with its namespace.
std::string ErrorTypeWireName(ErrorType type);

struct AwsError {
  ErrorType type;
  std::string message;
};

// An operation's answer: the response body (a JSON object's text) or an error.
struct Outcome {
  std::string body;
  std::optional<AwsError> error;

  static Outcome Ok(const Json& body);
  static Outcome Fail(ErrorType type, std::string message) {
    return Outcome{{}, AwsError{type, std::move(message)}};
  }
};

struct Context {
  const ApiOptions* options = nullptr;
  store::Store* store = nullptr;
  runtime::Engine* engine = nullptr;
  runtime::ActivityQueue* activities = nullptr;
  Clock* clock = nullptr;
  runtime::StoredConnections* connections = nullptr;
  runtime::Scheduler* scheduler = nullptr;
  runtime::Notifier* notifier = nullptr;
  spdlog::logger* log = nullptr;

  int64_t NowMs() const;
};

struct Call {
  Json input;  // the request body: a JSON object
  Principal principal;
  std::string operation;  // "StartExecution"
  // Where the request came from ("127.0.0.1:53122") and its request id: for
  // audit rows.
  std::string source;
  std::string request_id;
  // More members for the details of the call's audit rows (CallerAudit),
  // e.g. the Looker delivery a start comes from; an object or null.
  Json audit_details;
  // Answers; call exactly once, from any thread.
  std::function<void(Outcome)> reply;
  // The client went away (long polls may give up).
  std::function<bool()> client_gone;
};

using Operation = void (*)(const Context& context, Call call);

struct OperationInfo {
  std::string_view name;
  Permission permission;  // what the caller needs
  Operation run;
};
// Every operation, by name; nullptr when unknown.
const OperationInfo* FindOperation(std::string_view name);
// EventBridge's operations stepd serves (the connections), by name.
const OperationInfo* FindEventsOperation(std::string_view name);

// --- Request fields ----------------------------------------------------------
//
// Reads members of the request object and collects AWS-style validation
// errors ("Value 'x' at 'name' failed to satisfy constraint: Member must have
// length less than or equal to 80"); a member of the wrong JSON type is a
// SerializationException. Check ok()/error() before using what was read.
class Fields {
 public:
  // `path` names `input` in messages when it is a member of the request:
  // Fields(request["mock"], "mock") reports 'mock.result'. With
  // `lower_camel_names`, a member is named in messages with its first letter
  // lower-cased, as services whose members are PascalCase (EventBridge's
  // "Name") report them: 'name'.
  explicit Fields(const Json& input, std::string path = {}, bool lower_camel_names = false)
      : input_(input), path_(std::move(path)), lower_camel_names_(lower_camel_names) {}

  // A string member; nullopt when absent (and `required` records an error).
  // `sensitive` members (definitions, payloads) are not quoted in messages.
  std::optional<std::string> String(std::string_view name, bool required, size_t min_length,
                                    size_t max_length, bool sensitive = false);
  std::optional<int64_t> Int(std::string_view name, bool required, int64_t min, int64_t max);
  std::optional<bool> Bool(std::string_view name);
  // An object or array member, as is.
  const Json* Value(std::string_view name, Json::value_t type);
  // maxResults (0..max_results) and nextToken (1..max_token), as a store
  // page request.
  store::PageRequest Page(int64_t max_results = 1000, size_t max_token = 1024);
  // A string member that must be one of `values` (listed in messages in
  // this order, as AWS lists them).
  std::optional<std::string> Enum(std::string_view name, bool required,
                                  std::initializer_list<std::string_view> values);

  void AddConstraint(std::string_view name, const std::string& shown_value,
                     const std::string& constraint);
  // Takes over what `member` (the Fields of a member of this request) found,
  // so that error() reports the whole request.
  void Merge(const Fields& member);
  bool ok() const { return !serialization_ && constraints_.empty(); }
  // The error to answer with when !ok().
  AwsError error() const;

 private:
  const Json* Member(std::string_view name, bool required);
  std::string Path(std::string_view name) const;

  const Json& input_;
  std::string path_;
  bool lower_camel_names_;
  std::optional<std::string> serialization_;
  std::vector<std::string> constraints_;
};

// --- ARNs -------------------------------------------------------------------

struct Arn {
  std::string region;
  std::string account;
  std::string resource_type;  // "stateMachine", "execution", "express", "activity", "mapRun"
  std::string resource;       // everything after "<type>:"
};
// nullopt unless "arn:aws:states:REGION:ACCOUNT:TYPE:RESOURCE" with every part
// non-empty.
std::optional<Arn> ParseArn(std::string_view text);

// Checks that `text` is an ARN of one of `types` (as AWS does before looking
// anything up): the InvalidArn error otherwise.
std::optional<AwsError> CheckArn(std::string_view text,
                                 std::initializer_list<std::string_view> types);

std::string StateMachineArn(const ApiOptions& options, std::string_view name);

// A stateMachine ARN as it may be qualified: "<machine>:<N>" names its
// published version N, "<machine>:<alias>" one of its aliases (an alias name
// is never all digits).
struct MachineRef {
  std::string machine_arn;  // unqualified
  int64_t version = 0;      // > 0: a version ARN
  std::string alias;        // non-empty: an alias ARN
  bool qualified() const { return version > 0 || !alias.empty(); }
};
// For an ARN CheckArn(.., {"stateMachine"}) accepted; nullopt when its
// qualifier is neither a version number nor an alias name.
std::optional<MachineRef> ParseMachineRef(std::string_view arn);
std::string VersionArn(std::string_view machine_arn, int64_t version);
std::string AliasArn(std::string_view machine_arn, std::string_view alias);
// The ValidationException of an operation that takes only an unqualified
// state machine ARN.
AwsError QualifiedArnNotAccepted(std::string_view arn);
// A published version as AWS lists it in an alias's routingConfiguration.
Json RoutingJson(std::string_view machine_arn, const std::vector<store::AliasRoute>& routing);
std::string ActivityArn(const ApiOptions& options, std::string_view name);

// `text` parsed when it is a JSON object; otherwise an empty object.
Json JsonObjectOrEmpty(std::string_view text);

// Epoch seconds with milliseconds, as AWS's JSON timestamps.
Json Timestamp(int64_t ms);

// An audit row for an API action by the caller of `call` on `target`: its
// details are `details` and CallerAudit(call), with "outcome": "ok" unless
// `details` names another ("denied", "error").
store::AuditEntry Audit(const Context& context, const Call& call, std::string_view action,
                        std::string_view target, Json details = Json::object());
// Who made `call`: {"principal": {...}, "source": "127.0.0.1:5000",
// "request_id": "..."}, members merged into audit rows' details.
Json CallerAudit(const Call& call);

// Tags as a request gives them ([{"key","value"}], 1..128 and 0..256
// characters, at most 50 per resource once merged into `existing`), merged
// into `existing` (a later key replaces an earlier one). Errors:
// ValidationException, TooManyTags.
std::optional<AwsError> MergeTags(const Json& tags, std::string_view resource_arn, Json* existing);

// The page's continuation token, set only when there is one.
void SetNextToken(Json* body, const std::string& next_token);

// A machine marked DELETING is removed once its last execution ended; every
// operation that meets one asks the store again (and the runtime forgets
// it). Returns the machine as it is now; nullopt when it is gone.
std::optional<store::StateMachineRecord> PurgeIfDone(const Context& context,
                                                     store::StateMachineRecord record);

// Maps store errors AWS has no specific name for: INVALID_ARGUMENT from a
// page token is InvalidToken, UNAVAILABLE is ServiceUnavailable, others
// InternalFailure (logged).
Outcome StoreFailure(const Context& context, const Status& status, std::string_view operation);

// --- Operations, by area -------------------------------------------------------
void CreateStateMachine(const Context& context, Call call);
void UpdateStateMachine(const Context& context, Call call);
void DeleteStateMachine(const Context& context, Call call);
void DescribeStateMachine(const Context& context, Call call);
void ListStateMachines(const Context& context, Call call);
void DescribeStateMachineForExecution(const Context& context, Call call);
void ValidateStateMachineDefinition(const Context& context, Call call);
void TestState(const Context& context, Call call);

void PublishStateMachineVersion(const Context& context, Call call);
void ListStateMachineVersions(const Context& context, Call call);
void DeleteStateMachineVersion(const Context& context, Call call);
void CreateStateMachineAlias(const Context& context, Call call);
void DescribeStateMachineAlias(const Context& context, Call call);
void UpdateStateMachineAlias(const Context& context, Call call);
void DeleteStateMachineAlias(const Context& context, Call call);
void ListStateMachineAliases(const Context& context, Call call);
// Publishes `revision_id`, which must still be the current revision of
// `machine_arn` (PublishStateMachineVersion, and Create/UpdateStateMachine's
// `publish`): the version (an existing one when that revision was published
// before), or the error to answer with in `error`.
StatusOr<store::StateMachineVersionRecord> PublishRevision(const Context& context,
                                                           const Call& call,
                                                           const std::string& machine_arn,
                                                           const std::string& revision_id,
                                                           const std::string& description,
                                                           AwsError* error);

void StartExecution(const Context& context, Call call);
void StartSyncExecution(const Context& context, Call call);
void StopExecution(const Context& context, Call call);
void RedriveExecution(const Context& context, Call call);
void DescribeExecution(const Context& context, Call call);
void ListExecutions(const Context& context, Call call);
void GetExecutionHistory(const Context& context, Call call);

// Not an AWS operation: stepd's restart of an ended execution from a
// top-level state ({executionArn, fromState, input?, name?}): a new
// execution of what a start through the old one's ARN (machine, version or
// alias) runs now, beginning at fromState with the given input (default:
// the input the old execution had when it last entered fromState) and the
// variables it had there; it records restarted_from, and its
// ExecutionStarted audit row names the old execution and the state.
// Answers {executionArn, startDate}. Errors: ExecutionDoesNotExist,
// ConflictException (still RUNNING), ValidationException (a Map Run's
// child; no such top-level state; never entered and no input given),
// StateMachineDoesNotExist, as StartExecution otherwise.
void RestartExecution(const Context& context, Call call);

void ListMapRuns(const Context& context, Call call);
void DescribeMapRun(const Context& context, Call call);
void UpdateMapRun(const Context& context, Call call);

void TagResource(const Context& context, Call call);
void UntagResource(const Context& context, Call call);
void ListTagsForResource(const Context& context, Call call);

void CreateActivity(const Context& context, Call call);
void DeleteActivity(const Context& context, Call call);
void DescribeActivity(const Context& context, Call call);
void ListActivities(const Context& context, Call call);
void GetActivityTask(const Context& context, Call call);
void SendTaskSuccess(const Context& context, Call call);
void SendTaskFailure(const Context& context, Call call);
void SendTaskHeartbeat(const Context& context, Call call);

// EventBridge (events_connections.cc).
void CreateConnection(const Context& context, Call call);
void DescribeConnection(const Context& context, Call call);
void UpdateConnection(const Context& context, Call call);
void DeleteConnection(const Context& context, Call call);
void ListConnections(const Context& context, Call call);
void DeauthorizeConnection(const Context& context, Call call);

}  // namespace stepd::api::aws
