#include "stepd/runtime/lambda_task.h"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>
#include <vector>

#include "stepd/base/crypto.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::runtime {
namespace {

using asl::AslError;
using asl::AslResult;
using asl::StatesError;

constexpr std::string_view kWaitForTaskToken = ".waitForTaskToken";
// Longest message of a non-2xx answer quoted in a cause.
constexpr size_t kMaxQuotedMessage = 1024;

enum class InvocationType { kRequestResponse, kEvent, kDryRun };

// One invocation, checked.
struct Invocation {
  bool legacy = false;  // arn:aws:lambda:...:function:NAME: the result is the payload
  std::string name;
  std::string qualifier;
  // Of the function's ARN, when the Resource or FunctionName gave them.
  std::string partition, region, account;
  std::string body;  // the payload as sent
  InvocationType type = InvocationType::kRequestResponse;
  std::string client_context;
  bool log_tail = false;
};

AslError Runtime(std::string cause) {
  return AslError::Of(StatesError::kRuntime, std::move(cause));
}

bool IsAllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool IsQualifier(std::string_view q) {
  return !q.empty() && q.size() <= 128 && std::all_of(q.begin(), q.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '$' || c == '_' || c == '-';
  });
}

std::vector<std::string_view> Split(std::string_view text, char by) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t at = text.find(by, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// NAME[:QUALIFIER] from the parts after "function".
bool TakeNameAndQualifier(const std::vector<std::string_view>& parts, size_t first,
                          Invocation* out) {
  if (parts.size() != first + 1 && parts.size() != first + 2) return false;
  if (!IsLambdaFunctionName(parts[first])) return false;
  out->name = std::string(parts[first]);
  if (parts.size() == first + 2) {
    if (!IsQualifier(parts[first + 1])) return false;
    out->qualifier = std::string(parts[first + 1]);
  }
  return true;
}

// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:Q]
bool ParseFunctionArn(std::string_view arn, Invocation* out) {
  const std::vector<std::string_view> parts = Split(arn, ':');
  if (parts.size() < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" ||
      !TakeNameAndQualifier(parts, 6, out)) {
    return false;
  }
  out->partition = std::string(parts[1]);
  out->region = std::string(parts[3]);
  out->account = std::string(parts[4]);
  return true;
}

// NAME[:Q], ACCOUNT:function:NAME[:Q] or a full ARN, as Lambda takes them.
bool ParseFunctionName(std::string_view text, Invocation* out) {
  if (text.rfind("arn:", 0) == 0) return ParseFunctionArn(text, out);
  const std::vector<std::string_view> parts = Split(text, ':');
  if (parts.size() >= 3 && parts[1] == "function") {
    if (parts[0].size() != 12 || !IsAllDigits(parts[0])) return false;
    out->account = std::string(parts[0]);
    return TakeNameAndQualifier(parts, 2, out);
  }
  return TakeNameAndQualifier(parts, 0, out);
}

const Json* Field(const Json& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// A Lambda service error, its cause worded as AWS words it.
AslError ServiceError(std::string_view message, int status, std::string_view code,
                      const std::string& request_id) {
  return AslError{
      "Lambda." + std::string(code),
      std::string(message) + " (Service: AWSLambda; Status Code: " + std::to_string(status) +
          "; Error Code: " + std::string(code) + "; Request ID: " + request_id + "; Proxy: null)"};
}

// The Parameters of lambda:invoke, checked; `out` gets everything but the
// fields a resource decides.
std::optional<AslError> ParseInvokeParameters(const Json& parameters, Invocation* out,
                                              const std::string& request_id) {
  const std::string resource(kLambdaInvokeResource);
  if (!parameters.is_object()) {
    return Runtime("The parameters of " + resource + " must be a JSON object");
  }
  static constexpr std::array<std::string_view, 6> kFields = {
      "FunctionName", "Payload", "InvocationType", "Qualifier", "ClientContext", "LogType"};
  for (const auto& [name, value] : parameters.items()) {
    if (std::find(kFields.begin(), kFields.end(), name) == kFields.end()) {
      return Runtime("The field '" + name + "' is not supported by " + resource);
    }
  }
  const Json* function = Field(parameters, "FunctionName");
  if (function == nullptr || !function->is_string()) {
    return Runtime("The field 'FunctionName' of " + resource + " is required and must be a string");
  }
  if (!ParseFunctionName(function->get_ref<const std::string&>(), out)) {
    return Runtime("The FunctionName '" + function->get<std::string>() +
                   "' is not a Lambda function name, name:qualifier, or function ARN");
  }
  if (const Json* qualifier = Field(parameters, "Qualifier")) {
    if (!qualifier->is_string() || !IsQualifier(qualifier->get_ref<const std::string&>())) {
      return Runtime(
          "The field 'Qualifier' must be a version or alias: 1 to 128 letters, digits, $, _ "
          "or -");
    }
    if (!out->qualifier.empty() && out->qualifier != *qualifier) {
      return ServiceError(
          "The derived qualifier from the function name does not match the specified qualifier.",
          400, "InvalidParameterValueException", request_id);
    }
    out->qualifier = qualifier->get<std::string>();
  }
  if (const Json* type = Field(parameters, "InvocationType")) {
    if (*type == "RequestResponse") {
      out->type = InvocationType::kRequestResponse;
    } else if (*type == "Event") {
      out->type = InvocationType::kEvent;
    } else if (*type == "DryRun") {
      out->type = InvocationType::kDryRun;
    } else {
      return Runtime("The field 'InvocationType' must be RequestResponse, Event or DryRun");
    }
  }
  if (const Json* context = Field(parameters, "ClientContext")) {
    if (!context->is_string() ||
        context->get_ref<const std::string&>().find_first_of("\r\n") != std::string::npos) {
      return Runtime("The field 'ClientContext' must be a string (base64-encoded JSON)");
    }
    out->client_context = context->get<std::string>();
  }
  if (const Json* log_type = Field(parameters, "LogType")) {
    if (*log_type == "Tail") {
      out->log_tail = true;
    } else if (*log_type != "None") {
      return Runtime("The field 'LogType' must be None or Tail");
    }
  }
  const Json* payload = Field(parameters, "Payload");
  if (payload == nullptr) {
    out->body = "{}";
  } else if (payload->is_string()) {
    // Sent as it is, as Lambda's API takes a payload: it must be JSON text.
    out->body = payload->get<std::string>();
    if (!ParseJson(out->body).ok()) {
      return ServiceError(
          "Could not parse request body into json: the Payload string is not JSON text", 400,
          "InvalidRequestContentException", request_id);
    }
  } else {
    AppendJsonText(*payload, &out->body);
  }
  return std::nullopt;
}

// "Tue, 15 Nov 1994 08:12:31 GMT".
std::string HttpDate(TimePoint at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> text{};
  const size_t n = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(text.data(), n);
}

// "2024-11-26T00:36:39.604Z", as Lambda stamps its log lines.
std::string LogTime(TimePoint at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> text{};
  const size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  std::array<char, 8> millis{};
  std::snprintf(millis.data(), millis.size(), ".%03dZ", static_cast<int>(ms));
  return std::string(text.data(), n) + millis.data();
}

int64_t UnixMillis(TimePoint at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// A payload as Step Functions shows it: JSON when it parses, else the text
// (null when empty).
Json PayloadOf(const std::string& body) {
  if (body.empty()) return nullptr;
  StatusOr<Json> parsed = ParseJson(body);
  if (parsed.ok()) return std::move(parsed).value();
  return ToValidUtf8(body);
}

// The error the function reported (X-Amz-Function-Error), named by its
// errorType as Step Functions names it.
AslError FunctionError(const std::string& body) {
  const std::string text = ToValidUtf8(body);
  StatusOr<Json> parsed = ParseJson(body);
  if (parsed.ok() && parsed->is_object()) {
    const Json* type = Field(*parsed, "errorType");
    if (type != nullptr && type->is_string() && !type->get_ref<const std::string&>().empty()) {
      return AslError{type->get<std::string>(), text};
    }
  }
  return AslError{"Lambda.Unknown",
                  "The cause could not be determined because Lambda did not return an error "
                  "type. Returned payload: " +
                      text};
}

// "ResourceNotFoundException" of "ResourceNotFoundException:http://...",
// "com.amazonaws#ResourceNotFoundException"; empty unless it is a name.
std::string ErrorCode(std::string_view text) {
  text = text.substr(0, text.find(':'));
  if (size_t hash = text.rfind('#'); hash != std::string_view::npos) text.remove_prefix(hash + 1);
  const bool name = !text.empty() && text.size() <= 128 &&
                    std::isalpha(static_cast<unsigned char>(text.front())) &&
                    std::all_of(text.begin(), text.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
                    });
  return name ? std::string(text) : std::string();
}

// The first of `keys` whose value is a string; "" when none.
std::string FirstString(const Json& object, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const Json* value = Field(object, key);
    if (value != nullptr && value->is_string()) return value->get<std::string>();
  }
  return "";
}

// A non-2xx answer of the endpoint, named as Lambda's API would name it.
AslError EndpointError(const http::ClientResponse& response, const std::string& request_id) {
  std::string code;
  std::string message;
  if (auto header = response.headers.Get("x-amzn-ErrorType")) code = ErrorCode(*header);
  if (StatusOr<Json> body = ParseJson(response.body); body.ok() && body->is_object()) {
    if (code.empty()) code = ErrorCode(FirstString(*body, {"__type", "Type", "code"}));
    message = FirstString(*body, {"message", "Message", "errorMessage"});
  }
  if (message.empty()) message = response.body;
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
    message.pop_back();
  }
  if (message.size() > kMaxQuotedMessage) message = message.substr(0, kMaxQuotedMessage) + "...";
  message = ToValidUtf8(message);
  if (message.empty()) {
    message = response.reason.empty() ? std::string(http::ReasonPhrase(response.status))
                                      : ToValidUtf8(response.reason);
  }
  if (code.empty()) {
    if (response.status == 429) {
      code = "TooManyRequestsException";
    } else if (response.status >= 500) {
      code = "ServiceException";
    } else {
      code = "AWSLambdaException";
    }
  }
  return ServiceError(message, response.status, code, request_id);
}

// The headers Lambda's Invoke API answers with, in AWS's order.
Json SdkHttpMetadata(int status, size_t length, const std::string& executed_version,
                     const std::string& log_result, const std::string& request_id, TimePoint now) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Connection", "keep-alive"},
      {"Content-Length", std::to_string(length)},
      {"Content-Type", "application/json"},
      {"Date", HttpDate(now)},
  };
  if (!executed_version.empty()) headers.emplace_back("X-Amz-Executed-Version", executed_version);
  if (!log_result.empty()) headers.emplace_back("X-Amz-Log-Result", log_result);
  headers.emplace_back("x-amzn-Remapped-Content-Length", "0");
  headers.emplace_back("x-amzn-RequestId", request_id);
  Json all = Json::object();
  Json single = Json::object();
  for (const auto& [name, value] : headers) {
    all[name] = Json::array({value});
    single[name] = value;
  }
  return Json{{"AllHttpHeaders", std::move(all)},
              {"HttpHeaders", std::move(single)},
              {"HttpStatusCode", status}};
}

// The invocation a Task asks for, checked.
AslResult<Invocation> ParseInvocation(const asl::TaskRequest& task, const std::string& request_id) {
  const std::string& resource = task.resource;
  Invocation invocation;
  if (resource.rfind(kLambdaFunctionArnPrefix, 0) == 0) {
    if (!ParseFunctionArn(resource, &invocation)) {
      return Runtime("The resource '" + resource +
                     "' is not a Lambda function ARN "
                     "(arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])");
    }
    invocation.legacy = true;
    AppendJsonText(task.parameters, &invocation.body);
    return invocation;
  }
  const std::string invoke(kLambdaInvokeResource);
  if (resource != invoke && resource != invoke + std::string(kWaitForTaskToken)) {
    return Runtime("The resource '" + resource +
                   "' is not supported: Lambda functions are invoked with " + invoke + ", " +
                   invoke + std::string(kWaitForTaskToken) + " or a function ARN");
  }
  if (auto refused = ParseInvokeParameters(task.parameters, &invocation, request_id)) {
    return std::move(*refused);
  }
  return invocation;
}

// The request to `url` for `invocation`, but for what each call sets.
http::ClientRequest BuildRequest(const Invocation& invocation, const std::string& url) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  if (!invocation.qualifier.empty()) {
    request.url = request.url.substr(0, request.url.find('#'));
    request.url += request.url.find('?') == std::string::npos ? '?' : '&';
    request.url += "Qualifier=" + PercentEncode(invocation.qualifier);
  }
  request.headers.Add("Content-Type", "application/json");
  request.headers.Add("X-Amz-Invocation-Type",
                      invocation.type == InvocationType::kEvent ? "Event" : "RequestResponse");
  if (!invocation.client_context.empty()) {
    request.headers.Add("X-Amz-Client-Context", invocation.client_context);
  }
  if (invocation.log_tail) request.headers.Add("X-Amz-Log-Type", "Tail");
  request.body = invocation.body;
  return request;
}

// The function's ARN as the definition gave it, completed with stepd's
// region and account.
std::string FunctionArn(const Invocation& invocation, const LambdaTaskOptions& options) {
  std::string arn = "arn:" + (invocation.partition.empty() ? "aws" : invocation.partition) +
                    ":lambda:" + (invocation.region.empty() ? options.region : invocation.region) +
                    ":" + (invocation.account.empty() ? options.account_id : invocation.account) +
                    ":function:" + invocation.name;
  if (!invocation.qualifier.empty()) arn += ":" + invocation.qualifier;
  return arn;
}

// The result of an Event (202) or a DryRun (204): no payload.
Json StatusOnlyResult(int status, const std::string& request_id, TimePoint now) {
  return Json{{"Payload", ""},
              {"SdkHttpMetadata", SdkHttpMetadata(status, 0, "", "", request_id, now)},
              {"SdkResponseMetadata", {{"RequestId", request_id}}},
              {"StatusCode", status}};
}

}  // namespace

bool IsLambdaFunctionName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool IsLambdaFunctionUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  const auto scheme = parsed->scheme_id();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         parsed->has_authority() && !parsed->encoded_host().empty() && !parsed->has_userinfo() &&
         !parsed->has_fragment() && (!parsed->has_port() || parsed->port_number() != 0);
}

struct LambdaTaskExecutor::Call {
  Invocation invocation;
  std::string request_id;
  std::chrono::milliseconds timeout{0};
};

LambdaTaskExecutor::LambdaTaskExecutor(http::AsyncClient* client, LambdaTaskOptions options,
                                       const Clock* clock)
    : options_(std::move(options)), clock_(clock), calls_(client) {}

void LambdaTaskExecutor::Invoke(const TaskCall& task, TaskDone done) {
  auto call = std::make_shared<Call>();
  call->request_id = RandomUuid();
  AslResult<Invocation> invocation = ParseInvocation(task.request, call->request_id);
  if (!invocation.ok()) return done(std::move(invocation).take_error());
  call->invocation = std::move(invocation).value();
  auto function = options_.functions.find(call->invocation.name);
  if (function == options_.functions.end()) {
    return done(AslError::Of(StatesError::kTaskFailed,
                             "The Lambda function '" + call->invocation.name +
                                 "' has no endpoint: stepd's option \"functions\" does not "
                                 "name it"));
  }
  const TimePoint now = clock_->Now();
  if (call->invocation.type == InvocationType::kDryRun) {
    return done(StatusOnlyResult(204, call->request_id, now));
  }
  call->timeout =
      function->second.timeout.count() > 0 ? function->second.timeout : options_.default_timeout;
  http::ClientRequest request = BuildRequest(call->invocation, function->second.url);
  request.timeout = call->timeout;
  request.operator_configured_url = true;
  request.headers.Add("Lambda-Runtime-Aws-Request-Id", call->request_id);
  request.headers.Add("Lambda-Runtime-Invoked-Function-Arn",
                      FunctionArn(call->invocation, options_));
  request.headers.Add("Lambda-Runtime-Deadline-Ms",
                      std::to_string(UnixMillis(now + call->timeout)));
  request.headers.Add("X-Stepd-Idempotency-Token", task.idempotency_token);

  OutboundCalls::Handle tracked = calls_.Start(task, std::move(done));
  calls_.Fetch(tracked, std::move(request),
               [this, tracked, call](StatusOr<http::ClientResponse> response) {
                 if (!response.ok()) return calls_.Finish(tracked, Failure(*call, response.status()));
                 calls_.Finish(tracked, Outcome(*call, *response));
               });
}

asl::AslResult<Json> LambdaTaskExecutor::Outcome(const Call& call,
                                                 const http::ClientResponse& response) const {
  const Invocation& invocation = call.invocation;
  if (response.status < 200 || response.status > 299) {
    return EndpointError(response, call.request_id);
  }
  if (response.headers.Has("X-Amz-Function-Error")) return FunctionError(response.body);
  const TimePoint now = clock_->Now();
  if (invocation.type == InvocationType::kEvent) return StatusOnlyResult(202, call.request_id, now);
  Json payload = PayloadOf(response.body);
  if (invocation.legacy) return payload;

  std::string executed_version(response.headers.Get("X-Amz-Executed-Version").value_or(""));
  if (!IsQualifier(executed_version)) {
    executed_version = IsAllDigits(invocation.qualifier) ? invocation.qualifier : "$LATEST";
  }
  std::string log_result;
  if (invocation.log_tail) {
    log_result = ToValidUtf8(response.headers.Get("X-Amz-Log-Result").value_or(""));
  }
  Json result = Json::object();
  result["ExecutedVersion"] = executed_version;
  if (!log_result.empty()) result["LogResult"] = log_result;
  result["Payload"] = std::move(payload);
  result["SdkHttpMetadata"] = SdkHttpMetadata(200, response.body.size(), executed_version,
                                              log_result, call.request_id, now);
  result["SdkResponseMetadata"] = {{"RequestId", call.request_id}};
  result["StatusCode"] = 200;
  return result;
}

asl::AslError LambdaTaskExecutor::Failure(const Call& call, const Status& status) const {
  const std::string message(status.message());
  switch (status.code()) {
    case StatusCode::kDeadlineExceeded:
      // Past the function's timeout while it ran (the request was sent):
      // what Lambda reports for a function that timed out.
      if (message.rfind("response from ", 0) == 0) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.2f",
                      std::chrono::duration<double>(call.timeout).count());
        std::string cause =
            "The cause could not be determined because Lambda did not return an error type. "
            "Returned payload: ";
        AppendJsonText(Json{{"errorMessage", LogTime(clock_->Now()) + " " + call.request_id +
                                                 " Task timed out after " + seconds + " seconds"}},
                       &cause);
        return AslError{"Lambda.Unknown", std::move(cause)};
      }
      [[fallthrough]];
    case StatusCode::kUnavailable:
    case StatusCode::kInvalidArgument:
      return AslError{"Lambda.SdkClientException", "Unable to execute HTTP request: " + message};
    case StatusCode::kPermissionDenied:
      return AslError::Of(StatesError::kPermissions, message);
    case StatusCode::kResourceExhausted:
      return AslError::Of(StatesError::kDataLimitExceeded, message);
    default:
      return AslError::Of(StatesError::kTaskFailed, message);
  }
}

void LambdaTaskExecutor::Cancel(const TaskCall& task) { calls_.Cancel(task); }

size_t LambdaTaskExecutor::in_flight() const { return calls_.size(); }

}  // namespace stepd::runtime
