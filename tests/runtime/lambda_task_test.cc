#include "stepd/runtime/lambda_task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <future>
#include <thread>
#include <tuple>

#include "http/target_server_testing.h"

namespace stepd::runtime {
namespace {

using http::testing::TargetServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr char kExecution[] = "arn:aws:states:us-east-1:123456789012:execution:m:e";
constexpr char kUuid[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

// A port nothing listens on.
uint16_t ClosedPort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

class LambdaTask : public ::testing::Test {
 protected:
  LambdaTask() {
    client_ = MakeClient({});
    executor_ = std::make_unique<LambdaTaskExecutor>(client_.get(), Options(), &clock_);
  }
  ~LambdaTask() override {
    if (client_) client_->Stop();
  }

  static std::unique_ptr<http::AsyncClient> MakeClient(http::AsyncClientOptions options) {
    auto client = http::AsyncClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  LambdaTaskOptions Options() const {
    LambdaTaskOptions options;
    options.functions = {
        {"echo", {server_.Url("/fn/echo")}},
        {"versioned", {server_.Url("/fn/echo?version=7&log=c29tZSBsb2c=")}},
        {"fails", {server_.Url("/fn/error/ValidationError")}},
        {"fails-handled", {server_.Url("/fn/error/ValidationError?handled=1")}},
        {"untyped", {server_.Url("/fn/error/-")}},
        {"flaky", {server_.Url("/fn/flaky/unit/2")}},
        {"accepting", {server_.Url("/fn/accept")}},
        {"text", {server_.Url("/text")}},
        {"throttled", {server_.Url("/status/429?body=Rate%20exceeded")}},
        {"broken", {server_.Url("/status/500?body=boom%0A")}},
        {"teapot", {server_.Url("/status/418?body=short%20and%20stout")}},
        {"coded",
         {server_.Url("/status/404?type=application/json&body=" +
                      std::string("%7B%22__type%22%3A%22com.amazonaws%23Resource"
                                  "NotFoundException%22%2C%22message%22%3A%22Function"
                                  "%20not%20found%22%7D"))}},
        {"slow", {server_.Url("/hang"), 300ms}},
        {"down", {"http://127.0.0.1:" + std::to_string(ClosedPort()) + "/secret/path"}},
    };
    return options;
  }

  static TaskCall Call(std::string resource, Json parameters, int64_t task_id = 1) {
    TaskCall call;
    call.execution_arn = kExecution;
    call.request.task_id = task_id;
    call.request.resource = std::move(resource);
    call.request.parameters = std::move(parameters);
    call.idempotency_token = TaskIdempotencyToken(kExecution, task_id);
    return call;
  }

  // Invokes and waits for the outcome.
  asl::AslResult<Json> Run(const TaskCall& call, LambdaTaskExecutor* executor = nullptr) {
    std::promise<asl::AslResult<Json>> promise;
    (executor ? executor : executor_.get())->Invoke(call, [&](asl::AslResult<Json> r) {
      promise.set_value(std::move(r));
    });
    auto future = promise.get_future();
    if (future.wait_for(30s) != std::future_status::ready) {
      ADD_FAILURE() << "no outcome within 30 s";
      return asl::AslError{"test", "gave up"};
    }
    return future.get();
  }

  asl::AslResult<Json> Invoke(Json parameters) {
    return Run(Call(std::string(kLambdaInvokeResource), std::move(parameters)));
  }

  static std::string ErrorOf(const asl::AslResult<Json>& result) {
    return result.ok() ? "(succeeded)" : result.error().error;
  }

  TargetServer server_;
  FakeClock clock_{std::chrono::sys_days{std::chrono::year{2025} / 3 / 4} + 5h + 6min + 7s + 89ms};
  std::unique_ptr<http::AsyncClient> client_;
  std::unique_ptr<LambdaTaskExecutor> executor_;
};

// --- The legacy form: Resource is the function's ARN ---------------------------

TEST_F(LambdaTask, AFunctionArnPostsTheInputAndTheResultIsTheFunctionsResult) {
  const TaskCall call = Call("arn:aws:lambda:us-west-2:111122223333:function:echo", {{"order", 7}});
  auto result = Run(call);
  ASSERT_TRUE(result.ok()) << result.error().cause;
  // Exactly what the function answered: no envelope.
  EXPECT_THAT(Keys(result.value()), ElementsAre("event", "target", "headers"));
  EXPECT_EQ(result.value()["event"], Json({{"order", 7}}));
  EXPECT_EQ(result.value()["target"], "/fn/echo");
  Json headers = result.value()["headers"];
  EXPECT_EQ(headers["content-type"], "application/json");
  EXPECT_EQ(headers["x-amz-invocation-type"], "RequestResponse");
  EXPECT_EQ(headers["x-stepd-idempotency-token"], call.idempotency_token);
  EXPECT_EQ(headers["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:us-west-2:111122223333:function:echo");
  EXPECT_THAT(headers["lambda-runtime-aws-request-id"].get<std::string>(), MatchesRegex(kUuid));
  // The clock's now (1741064767089 ms) plus the default 60 s timeout.
  EXPECT_EQ(headers["lambda-runtime-deadline-ms"], "1741064827089");
  ASSERT_EQ(server_.Seen().size(), 1u);
  EXPECT_EQ(server_.Seen()[0].method, "POST");
  EXPECT_EQ(server_.Seen()[0].body, R"({"order":7})");
}

TEST_F(LambdaTask, AQualifiedFunctionArnPassesTheQualifierOn) {
  auto result =
      Run(Call("arn:aws:lambda:us-east-1:123456789012:function:echo:prod", Json::object()));
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["target"], "/fn/echo?Qualifier=prod");
  EXPECT_EQ(result.value()["headers"]["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:echo:prod");
}

TEST_F(LambdaTask, AFunctionErrorIsNamedByItsErrorTypeWithTheErrorBodyAsCause) {
  for (const char* name : {"fails", "fails-handled"}) {
    auto result = Run(Call(std::string("arn:aws:lambda:us-east-1:123456789012:function:") + name,
                           Json::object()));
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error(),
              (asl::AslError{"ValidationError",
                             R"({"errorType":"ValidationError","errorMessage":"failed on )"
                             R"js(purpose","trace":["at handler (index.js:3:9)"]})js"}))
        << name;
  }
}

// --- arn:aws:states:::lambda:invoke --------------------------------------------

TEST_F(LambdaTask, InvokeAnswersWithAwssShapeAroundTheFunctionsResult) {
  auto result = Invoke({{"FunctionName", "echo"}, {"Payload", {{"order", 7}}}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  Json r = result.value();
  EXPECT_THAT(Keys(r), ElementsAre("ExecutedVersion", "Payload", "SdkHttpMetadata",
                                   "SdkResponseMetadata", "StatusCode"));
  EXPECT_EQ(r["ExecutedVersion"], "$LATEST");
  EXPECT_EQ(r["StatusCode"], 200);
  EXPECT_EQ(r["Payload"]["event"], Json({{"order", 7}}));
  const std::string request_id = r["Payload"]["headers"]["lambda-runtime-aws-request-id"];
  EXPECT_EQ(r["SdkResponseMetadata"], Json({{"RequestId", request_id}}));
  Json metadata = r["SdkHttpMetadata"];
  EXPECT_THAT(Keys(metadata), ElementsAre("AllHttpHeaders", "HttpHeaders", "HttpStatusCode"));
  EXPECT_EQ(metadata["HttpStatusCode"], 200);
  EXPECT_EQ(metadata["HttpHeaders"],
            Json({{"Connection", "keep-alive"},
                  {"Content-Length", metadata["HttpHeaders"]["Content-Length"]},
                  {"Content-Type", "application/json"},
                  {"Date", "Tue, 04 Mar 2025 05:06:07 GMT"},
                  {"X-Amz-Executed-Version", "$LATEST"},
                  {"x-amzn-Remapped-Content-Length", "0"},
                  {"x-amzn-RequestId", request_id}}));
  EXPECT_EQ(metadata["HttpHeaders"]["Content-Length"], std::to_string(r["Payload"].dump().size()));
  EXPECT_EQ(metadata["AllHttpHeaders"]["x-amzn-RequestId"], Json::array({request_id}));
  EXPECT_EQ(metadata["AllHttpHeaders"].size(), metadata["HttpHeaders"].size());
  EXPECT_EQ(r["Payload"]["headers"]["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:echo");
}

TEST_F(LambdaTask, EachInvocationHasItsOwnRequestId) {
  auto first = Invoke({{"FunctionName", "echo"}});
  auto second = Invoke({{"FunctionName", "echo"}});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first.value()["SdkResponseMetadata"]["RequestId"],
            second.value()["SdkResponseMetadata"]["RequestId"]);
}

TEST_F(LambdaTask, TheWaitForTaskTokenResourceInvokesTheSameWay) {
  auto result = Run(Call(std::string(kLambdaInvokeResource) + ".waitForTaskToken",
                         {{"FunctionName", "echo"}, {"Payload", {{"token", "t0k"}}}}));
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["StatusCode"], 200);
  EXPECT_EQ(result.value()["Payload"]["event"], Json({{"token", "t0k"}}));
}

TEST_F(LambdaTask, FunctionNameTakesANameAQualifierAndFullOrPartialArns) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"echo", "/fn/echo", "arn:aws:lambda:us-east-1:123456789012:function:echo"},
      {"echo:prod", "/fn/echo?Qualifier=prod",
       "arn:aws:lambda:us-east-1:123456789012:function:echo:prod"},
      {"arn:aws:lambda:eu-west-1:999999999999:function:echo", "/fn/echo",
       "arn:aws:lambda:eu-west-1:999999999999:function:echo"},
      {"arn:aws:lambda:eu-west-1:999999999999:function:echo:$LATEST",
       "/fn/echo?Qualifier=%24LATEST",
       "arn:aws:lambda:eu-west-1:999999999999:function:echo:$LATEST"},
      {"999999999999:function:echo:3", "/fn/echo?Qualifier=3",
       "arn:aws:lambda:us-east-1:999999999999:function:echo:3"},
  };
  for (const auto& [name, target, arn] : cases) {
    auto result = Invoke({{"FunctionName", name}});
    ASSERT_TRUE(result.ok()) << name << ": " << result.error().cause;
    EXPECT_EQ(result.value()["Payload"]["target"], target) << name;
    EXPECT_EQ(result.value()["Payload"]["headers"]["lambda-runtime-invoked-function-arn"], arn)
        << name;
  }
}

TEST_F(LambdaTask, AQualifierParameterMustAgreeWithTheFunctionNames) {
  auto separate = Invoke({{"FunctionName", "echo"}, {"Qualifier", "12"}});
  ASSERT_TRUE(separate.ok()) << separate.error().cause;
  EXPECT_EQ(separate.value()["Payload"]["target"], "/fn/echo?Qualifier=12");
  // A version number is the version that ran.
  EXPECT_EQ(separate.value()["ExecutedVersion"], "12");

  auto same = Invoke({{"FunctionName", "echo:live"}, {"Qualifier", "live"}});
  EXPECT_TRUE(same.ok());

  auto contradicting = Invoke({{"FunctionName", "echo:live"}, {"Qualifier", "beta"}});
  ASSERT_FALSE(contradicting.ok());
  EXPECT_EQ(contradicting.error().error, "Lambda.InvalidParameterValueException");
  EXPECT_THAT(contradicting.error().cause,
              MatchesRegex("The derived qualifier from the function name does not match the "
                           "specified qualifier\\. \\(Service: AWSLambda; Status Code: 400; Error "
                           "Code: InvalidParameterValueException; Request ID: " +
                           std::string(kUuid) + "; Proxy: null\\)"));
}

TEST_F(LambdaTask, APayloadIsSentAsJsonAndAStringPayloadAsItIs) {
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json(), "{}"},  // no Payload
      {Json({{"a", Json::array({1, "two"})}}), R"({"a":[1,"two"]})"},
      {Json("[1, 2]"), "[1, 2]"},
      {Json("null"), "null"},
      {Json(42), "42"},
  };
  for (const auto& [payload, sent] : cases) {
    Json parameters = {{"FunctionName", "echo"}};
    if (!payload.is_null()) parameters["Payload"] = payload;
    auto result = Invoke(parameters);
    ASSERT_TRUE(result.ok()) << payload.dump() << ": " << result.error().cause;
    EXPECT_EQ(server_.Seen().back().body, sent) << payload.dump();
  }
  auto not_json = Invoke({{"FunctionName", "echo"}, {"Payload", "{not json"}});
  EXPECT_EQ(ErrorOf(not_json), "Lambda.InvalidRequestContentException");
  EXPECT_EQ(server_.Count("/"), cases.size());
}

TEST_F(LambdaTask, AResultThatIsNotJsonIsAStringAndAnEmptyOneNull) {
  auto text = Invoke({{"FunctionName", "text"}});
  ASSERT_TRUE(text.ok()) << text.error().cause;
  EXPECT_EQ(text.value()["Payload"], "plain words");
  auto accepted = Run(Call("arn:aws:lambda:us-east-1:123456789012:function:accepting", {}));
  ASSERT_TRUE(accepted.ok()) << accepted.error().cause;
  EXPECT_EQ(accepted.value(), Json());
}

TEST_F(LambdaTask, TheFunctionsVersionAndLogTailAreReported) {
  auto tail = Invoke({{"FunctionName", "versioned"}, {"LogType", "Tail"}});
  ASSERT_TRUE(tail.ok()) << tail.error().cause;
  EXPECT_THAT(Keys(tail.value()),
              ElementsAre("ExecutedVersion", "LogResult", "Payload", "SdkHttpMetadata",
                          "SdkResponseMetadata", "StatusCode"));
  EXPECT_EQ(tail.value()["ExecutedVersion"], "7");
  EXPECT_EQ(tail.value()["LogResult"], "c29tZSBsb2c=");
  EXPECT_EQ(tail.value()["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"], "c29tZSBsb2c=");
  EXPECT_EQ(tail.value()["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Executed-Version"], "7");
  EXPECT_EQ(tail.value()["Payload"]["headers"]["x-amz-log-type"], "Tail");

  auto none = Invoke({{"FunctionName", "versioned"}, {"LogType", "None"}});
  ASSERT_TRUE(none.ok()) << none.error().cause;
  EXPECT_FALSE(none.value().contains("LogResult"));
  EXPECT_FALSE(none.value()["Payload"]["headers"].contains("x-amz-log-type"));
}

TEST_F(LambdaTask, TheClientContextIsPassedOnAsLambdasApiPassesIt) {
  auto result = Invoke({{"FunctionName", "echo"}, {"ClientContext", "eyJjdXN0b20iOnt9fQ=="}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["Payload"]["headers"]["x-amz-client-context"], "eyJjdXN0b20iOnt9fQ==");
}

TEST_F(LambdaTask, AnEventIsAcceptedWithStatus202AndAnEmptyPayload) {
  for (const char* name : {"accepting", "echo"}) {
    auto result = Invoke({{"FunctionName", name}, {"InvocationType", "Event"}});
    ASSERT_TRUE(result.ok()) << name << ": " << result.error().cause;
    EXPECT_THAT(Keys(result.value()),
                ElementsAre("Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"));
    EXPECT_EQ(result.value()["StatusCode"], 202);
    EXPECT_EQ(result.value()["Payload"], "");
    EXPECT_EQ(result.value()["SdkHttpMetadata"]["HttpStatusCode"], 202);
    EXPECT_EQ(server_.Seen().back().headers.Get("X-Amz-Invocation-Type"), "Event");
  }
}

TEST_F(LambdaTask, ADryRunCallsNothingAndAnswers204) {
  auto result = Invoke({{"FunctionName", "echo"}, {"InvocationType", "DryRun"}});
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["StatusCode"], 204);
  EXPECT_EQ(result.value()["Payload"], "");
  EXPECT_EQ(server_.Count("/"), 0u);
  // Still only for a function stepd knows.
  EXPECT_EQ(ErrorOf(Invoke({{"FunctionName", "nope"}, {"InvocationType", "DryRun"}})),
            "States.TaskFailed");
}

// --- Errors ----------------------------------------------------------------------

TEST_F(LambdaTask, InvokeNamesAFunctionErrorByItsErrorType) {
  auto result = Invoke({{"FunctionName", "fails"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().error, "ValidationError");
  EXPECT_EQ(result.error().cause, R"({"errorType":"ValidationError","errorMessage":"failed on )"
                                  R"js(purpose","trace":["at handler (index.js:3:9)"]})js");
}

TEST_F(LambdaTask, AFunctionErrorWithoutATypeIsLambdaUnknown) {
  auto result = Invoke({{"FunctionName", "untyped"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(),
            (asl::AslError{"Lambda.Unknown",
                           "The cause could not be determined because Lambda did not return an "
                           "error type. Returned payload: "
                           R"({"errorMessage":"failed on purpose","trace":["at handler )"
                           R"js((index.js:3:9)"]})js"}));
}

TEST_F(LambdaTask, AFunctionThatFailsTwiceSucceedsTheThirdTime) {
  EXPECT_EQ(ErrorOf(Invoke({{"FunctionName", "flaky"}})), "TransientError");
  EXPECT_EQ(ErrorOf(Invoke({{"FunctionName", "flaky"}})), "TransientError");
  auto third = Invoke({{"FunctionName", "flaky"}});
  ASSERT_TRUE(third.ok()) << third.error().cause;
  EXPECT_EQ(third.value()["Payload"], Json({{"attempt", 3}}));
}

TEST_F(LambdaTask, ErrorAnswersOfTheEndpointAreNamedAsLambdasServiceErrors) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"throttled", "Lambda.TooManyRequestsException",
       "Rate exceeded \\(Service: AWSLambda; Status Code: 429; Error Code: "
       "TooManyRequestsException; Request ID: "},
      {"broken", "Lambda.ServiceException",
       "boom \\(Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: "},
      {"teapot", "Lambda.AWSLambdaException",
       "short and stout \\(Service: AWSLambda; Status Code: 418; Error Code: AWSLambdaException; "
       "Request ID: "},
      {"coded", "Lambda.ResourceNotFoundException",
       "Function not found \\(Service: AWSLambda; Status Code: 404; Error Code: "
       "ResourceNotFoundException; Request ID: "},
  };
  for (const auto& [name, error, cause] : cases) {
    for (const std::string& resource : {std::string(kLambdaInvokeResource),
                                        "arn:aws:lambda:us-east-1:123456789012:function:" + name}) {
      auto result = Run(Call(resource, {{"FunctionName", name}}));
      ASSERT_FALSE(result.ok()) << name;
      EXPECT_EQ(result.error().error, error) << name;
      EXPECT_THAT(result.error().cause, MatchesRegex(cause + kUuid + "; Proxy: null\\)")) << name;
    }
  }
}

TEST_F(LambdaTask, AnUnreachableEndpointIsSdkClientExceptionNamingHostAndPortOnly) {
  auto result = Invoke({{"FunctionName", "down"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().error, "Lambda.SdkClientException");
  EXPECT_THAT(result.error().cause, StartsWith("Unable to execute HTTP request: cannot connect to "
                                               "127.0.0.1:"));
  EXPECT_THAT(result.error().cause, ::testing::Not(HasSubstr("secret")));
}

TEST_F(LambdaTask, AFunctionPastItsTimeoutFailsAsLambdaReportsATimeout) {
  const auto start = std::chrono::steady_clock::now();
  auto result = Invoke({{"FunctionName", "slow"}});
  // Its own 300 ms, not the client's 60 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().error, "Lambda.Unknown");
  EXPECT_THAT(result.error().cause,
              MatchesRegex("The cause could not be determined because Lambda did not return an "
                           "error type\\. Returned payload: \\{\"errorMessage\":\"2025-03-04T05:"
                           "06:07\\.089Z " +
                           std::string(kUuid) + " Task timed out after 0\\.30 seconds\"\\}"));
  EXPECT_EQ(server_.Count("/hang"), 1u);
}

TEST_F(LambdaTask, AFunctionNotConfiguredIsStatesTaskFailedNamingIt) {
  for (const std::string& resource :
       {std::string(kLambdaInvokeResource), std::string("arn:aws:lambda:us-east-1:123456789012:"
                                                        "function:unknown-fn")}) {
    auto result = Run(Call(resource, {{"FunctionName", "unknown-fn"}}));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(),
              (asl::AslError{"States.TaskFailed",
                             "The Lambda function 'unknown-fn' has no endpoint: stepd's option "
                             "\"functions\" does not name it"}));
  }
  EXPECT_EQ(server_.Count("/"), 0u);
}

TEST_F(LambdaTask, AnAnswerOverTheSizeLimitIsDataLimitExceeded) {
  auto client = MakeClient({.max_response_bytes = 100});
  LambdaTaskOptions options;
  options.functions = {{"big", {server_.Url("/big/101")}}};
  LambdaTaskExecutor executor(client.get(), options, &clock_);
  auto result = Run(Call(std::string(kLambdaInvokeResource), {{"FunctionName", "big"}}), &executor);
  EXPECT_EQ(ErrorOf(result), "States.DataLimitExceeded");
  client->Stop();
}

TEST_F(LambdaTask, MalformedParametersFailWithStatesRuntimeNamingTheField) {
  const std::vector<std::pair<Json, std::string>> cases = {
      {Json::array(), "The parameters of arn:aws:states:::lambda:invoke must be a JSON object"},
      {Json::object(),
       "The field 'FunctionName' of arn:aws:states:::lambda:invoke is required and must be a "
       "string"},
      {{{"FunctionName", "echo"}, {"Payloads", 1}},
       "The field 'Payloads' is not supported by arn:aws:states:::lambda:invoke"},
      {{{"FunctionName", "bad name"}},
       "The FunctionName 'bad name' is not a Lambda function name, name:qualifier, or function "
       "ARN"},
      {{{"FunctionName", "arn:aws:sqs:us-east-1:123456789012:queue"}},
       "The FunctionName 'arn:aws:sqs:us-east-1:123456789012:queue' is not a Lambda function "
       "name, name:qualifier, or function ARN"},
      {{{"FunctionName", "echo"}, {"InvocationType", "Later"}},
       "The field 'InvocationType' must be RequestResponse, Event or DryRun"},
      {{{"FunctionName", "echo"}, {"LogType", "All"}}, "The field 'LogType' must be None or Tail"},
      {{{"FunctionName", "echo"}, {"Qualifier", "a b"}},
       "The field 'Qualifier' must be a version or alias: 1 to 128 letters, digits, $, _ or -"},
      {{{"FunctionName", "echo"}, {"ClientContext", Json::object()}},
       "The field 'ClientContext' must be a string (base64-encoded JSON)"},
  };
  for (const auto& [parameters, cause] : cases) {
    auto result = Invoke(parameters);
    ASSERT_FALSE(result.ok()) << parameters.dump();
    EXPECT_EQ(result.error(), (asl::AslError{"States.Runtime", cause})) << parameters.dump();
  }
  EXPECT_EQ(server_.Count("/"), 0u);
}

TEST_F(LambdaTask, OtherLambdaResourcesAreRefused) {
  for (const char* resource :
       {"arn:aws:states:::lambda:invoke.sync", "arn:aws:states:::lambda:invokeAsync",
        "arn:aws:lambda:us-east-1:123456789012:function:", "arn:aws:lambda:us-east-1:layer:x"}) {
    auto result = Run(Call(resource, {{"FunctionName", "echo"}}));
    EXPECT_EQ(ErrorOf(result), "States.Runtime") << resource;
  }
  EXPECT_EQ(server_.Count("/"), 0u);
}

// The function endpoints are the operator's: the outbound policy, which keeps
// workflows away from hosts, does not stand between stepd and them.
TEST_F(LambdaTask, TheOutboundPolicyDoesNotApplyToConfiguredFunctions) {
  auto client = MakeClient({.policy = {.deny_hosts = {"127.0.0.0/8", "::1", "localhost"},
                                       .plain_http = http::PlainHttp::kNever}});
  LambdaTaskExecutor executor(client.get(), Options(), &clock_);
  auto result =
      Run(Call(std::string(kLambdaInvokeResource), {{"FunctionName", "echo"}}), &executor);
  ASSERT_TRUE(result.ok()) << result.error().cause;
  EXPECT_EQ(result.value()["StatusCode"], 200);
  client->Stop();
}

// --- Cancel ------------------------------------------------------------------

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST_F(LambdaTask, CancelAbortsTheInvocationAndDropsItsOutcome) {
  LambdaTaskOptions options = Options();
  options.functions["slow"].timeout = 30s;
  LambdaTaskExecutor executor(client_.get(), options, &clock_);
  std::atomic<int> outcomes = 0;
  const TaskCall call = Call(std::string(kLambdaInvokeResource), {{"FunctionName", "slow"}});
  executor.Invoke(call, [&](asl::AslResult<Json>) { ++outcomes; });
  ASSERT_TRUE(server_.WaitFor("/hang", 1));
  EXPECT_EQ(executor.in_flight(), 1u);
  executor.Cancel(call);
  EXPECT_EQ(executor.in_flight(), 0u);
  EXPECT_TRUE(WaitUntil([&] { return client_->in_flight() == 0; }));
  EXPECT_EQ(outcomes, 0);
  executor.Cancel(call);  // nothing left: ignored
}

TEST_F(LambdaTask, ARedeliveredTaskReplacesTheCallInFlight) {
  LambdaTaskOptions options = Options();
  options.functions["slow"].timeout = 30s;
  LambdaTaskExecutor executor(client_.get(), options, &clock_);
  std::atomic<int> first = 0;
  const TaskCall call = Call(std::string(kLambdaInvokeResource), {{"FunctionName", "slow"}});
  executor.Invoke(call, [&](asl::AslResult<Json>) { ++first; });
  ASSERT_TRUE(server_.WaitFor("/hang", 1));
  TaskCall again = call;
  again.request.parameters = {{"FunctionName", "echo"}};
  auto result = Run(again, &executor);
  ASSERT_TRUE(result.ok()) << result.error().cause;
  // The same idempotency token on both deliveries.
  EXPECT_EQ(result.value()["Payload"]["headers"]["x-stepd-idempotency-token"],
            call.idempotency_token);
  EXPECT_TRUE(WaitUntil([&] { return client_->in_flight() == 0; }));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(executor.in_flight(), 0u);
}

// --- Names and URLs ----------------------------------------------------------------

TEST(LambdaFunctionNames, AreLettersDigitsHyphensAndUnderscoresUpTo64) {
  EXPECT_TRUE(IsLambdaFunctionName("validate"));
  EXPECT_TRUE(IsLambdaFunctionName("Order-Check_2"));
  EXPECT_TRUE(IsLambdaFunctionName(std::string(64, 'f')));
  EXPECT_FALSE(IsLambdaFunctionName(""));
  EXPECT_FALSE(IsLambdaFunctionName(std::string(65, 'f')));
  EXPECT_FALSE(IsLambdaFunctionName("a.b"));
  EXPECT_FALSE(IsLambdaFunctionName("a:b"));
  EXPECT_FALSE(IsLambdaFunctionName("a b"));
}

TEST(LambdaFunctionUrls, AreHttpOrHttpsWithAHostAndNoCredentialsOrFragment) {
  EXPECT_TRUE(IsLambdaFunctionUrl("http://127.0.0.1:9000/validate"));
  EXPECT_TRUE(IsLambdaFunctionUrl("https://functions.internal/2015-03-31/functions/f/invocations"));
  EXPECT_TRUE(IsLambdaFunctionUrl("http://[::1]:9000/v?x=1"));
  EXPECT_FALSE(IsLambdaFunctionUrl("ftp://127.0.0.1/v"));
  EXPECT_FALSE(IsLambdaFunctionUrl("http:///v"));
  EXPECT_FALSE(IsLambdaFunctionUrl("/v"));
  EXPECT_FALSE(IsLambdaFunctionUrl("http://user:pw@127.0.0.1/v"));
  EXPECT_FALSE(IsLambdaFunctionUrl("http://127.0.0.1/v#part"));
  EXPECT_FALSE(IsLambdaFunctionUrl("http://127.0.0.1:0/v"));
  EXPECT_FALSE(IsLambdaFunctionUrl("http://127.0.0.1/a b"));
}

}  // namespace
}  // namespace stepd::runtime
