// The AWS JSON API's front door: availability, operation lookup, request
// bodies, the shape of error answers, authentication and authorization
// through SigV4, and back-pressure.

#include "stepd/api/aws_json.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

// botocore 1.43's ListStateMachines request with the AWS test-suite key
// AKIDEXAMPLE at 2026-03-01T12:00:00Z (the generating snippet is in
// tests/api/sigv4_test.cc):
//   sign("POST", "http://localhost:8083/",
//        {"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
//         "Content-Type": "application/x-amz-json-1.0"}, b"{}")
constexpr char kBotocoreAuthorization[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/states/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=2ce0e9474f8c9792ce5984f456d62f3e56dde204dd9cc718091d46e7bff1e1b9";

constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

TEST(AwsJsonApi, AnswersServiceUnavailableUntilAttached) {
  StackOptions options;
  options.attach = false;
  AwsStack stack(options);
  AwsAnswer answer = stack.Call("ListStateMachines");
  EXPECT_EQ(ErrorOf(answer), PlainError(503, "ServiceUnavailable",
                                        "stepd is starting or stopping; try again shortly"));
  stack.Attach();
  EXPECT_EQ(stack.Call("ListStateMachines").status, 200);
}

TEST(AwsJsonApi, AnswersServiceUnavailableOnceStopped) {
  AwsStack stack;
  stack.api().Stop();
  EXPECT_EQ(
      ErrorOf(stack.Call("ListStateMachines")),
      PlainError(503, "ServiceUnavailable", "stepd is starting or stopping; try again shortly"));
}

TEST(AwsJsonApi, RefusesAnUnknownOperationNamingTheTarget) {
  AwsStack stack;
  EXPECT_EQ(ErrorOf(stack.Call("Frobnicate")),
            PlainError(400, "UnknownOperationException",
                       "Unknown operation 'AWSStepFunctions.Frobnicate'"));
  EXPECT_EQ(ErrorOf(stack.Call("")),
            PlainError(400, "UnknownOperationException", "Unknown operation 'AWSStepFunctions.'"));
  // Operation names are case-sensitive, as AWS's.
  EXPECT_EQ(ErrorOf(stack.Call("liststatemachines")),
            PlainError(400, "UnknownOperationException",
                       "Unknown operation 'AWSStepFunctions.liststatemachines'"));
}

TEST(AwsJsonApi, RefusesABodyThatIsNotJson) {
  AwsStack stack;
  EXPECT_EQ(ErrorOf(stack.CallRaw("ListStateMachines", "{")),
            PlainError(400, "SerializationException",
                       "The request body is not valid JSON: invalid JSON at byte 2: "
                       "[json.exception.parse_error.101] parse error at line 1, column 2: syntax "
                       "error while parsing object key - unexpected end of input; expected string "
                       "literal"));
}

TEST(AwsJsonApi, RefusesABodyThatIsNotAnObject) {
  AwsStack stack;
  for (const char* body : {"[]", "\"x\"", "3", "null", "true"}) {
    EXPECT_EQ(ErrorOf(stack.CallRaw("ListStateMachines", body)),
              PlainError(400, "SerializationException", "The request body must be a JSON object"))
        << body;
  }
}

TEST(AwsJsonApi, TakesAnEmptyBodyAsAnEmptyObject) {
  AwsStack stack;
  AwsAnswer answer = stack.CallRaw("ListStateMachines", "");
  EXPECT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body, Json::parse(R"({"stateMachines":[]})"));
}

TEST(AwsJsonApi, ErrorAnswersAreAwsJsonWithTheErrorTypeHeader) {
  AwsStack stack;
  AwsAnswer answer =
      stack.Call("DescribeStateMachine", {{"stateMachineArn", MachineArn("missing")}});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.headers.Get("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(answer.headers.Get("X-Amzn-ErrorType"), "StateMachineDoesNotExist");
  EXPECT_FALSE(answer.headers.Has("WWW-Authenticate"));
  // Exactly the two members AWS sends.
  EXPECT_EQ(
      answer.body,
      Json::parse(R"({"__type":"com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist",)"
                  R"("message":"State Machine Does Not Exist: 'arn:aws:states:us-east-1:)"
                  R"(123456789012:stateMachine:missing'"})"));
}

TEST(AwsJsonApi, SuccessAnswersAreAwsJson) {
  AwsStack stack;
  AwsAnswer answer = stack.Call("ListActivities");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.Get("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_FALSE(answer.headers.Has("X-Amzn-ErrorType"));
}

// AWS sends x-amzn-RequestId with every answer, errors included; the SDKs
// report it (botocore's ResponseMetadata.RequestId) so that a failed call can
// be found in the server's log.
TEST(AwsJsonApi, AnswersCarryTheRequestId) {
  AwsStack stack;
  http::Request ok = AwsStack::Request("ListActivities", "{}");
  ok.request_id = "req-ok-1";
  EXPECT_EQ(stack.Send(std::move(ok)).headers.Get("x-amzn-RequestId"), "req-ok-1");
  http::Request failing =
      AwsStack::Request("DescribeActivity", Json{{"activityArn", ActivityArn("missing")}}.dump());
  failing.request_id = "req-error-1";
  AwsAnswer error = stack.Send(std::move(failing));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.headers.Get("x-amzn-RequestId"), "req-error-1");
}

TEST(AwsJsonApi, LocalModeIgnoresAnyAuthorization) {
  AwsStack stack;
  http::Request request = AwsStack::Request("ListStateMachines", "{}");
  request.headers.Set("Authorization", "AWS4-HMAC-SHA256 nonsense");
  EXPECT_EQ(stack.Send(std::move(request)).status, 200);
  http::Request signed_by_stranger = AwsStack::Request("CreateActivity", R"({"name":"a"})");
  AwsStack::Sign(&signed_by_stranger, "AKIASTRANGER000001", "whatever");
  EXPECT_EQ(stack.Send(std::move(signed_by_stranger)).status, 200);
}

// --- With access keys configured ------------------------------------------------

StackOptions WithKeys() {
  StackOptions options;
  // The botocore test key, with the default role (viewer).
  options.auth.access_keys.push_back(
      {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt});
  options.auth.access_keys.push_back(
      {"AKIAOPERATOR000001", "operator-secret", "ci-pipeline", Role::kOperator});
  options.auth.access_keys.push_back(
      {"AKIAADMIN000000001", "admin-secret", "ops-admin", Role::kAdmin});
  return options;
}

http::Request Signed(std::string_view operation, const Json& input, const std::string& key_id,
                     const std::string& secret) {
  http::Request request = AwsStack::Request(operation, input.dump());
  AwsStack::Sign(&request, key_id, secret);
  return request;
}

TEST(AwsJsonApiWithKeys, RefusesAnUnsignedRequestAsUnrecognizedClient) {
  AwsStack stack(WithKeys());
  AwsAnswer answer = stack.Call("ListStateMachines");
  EXPECT_EQ(ErrorOf(answer),
            PlainError(401, "UnrecognizedClientException",
                       "Missing Authentication Token: sign the request with SigV4 using a "
                       "configured access key"));
  EXPECT_EQ(answer.headers.Get("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(answer.headers.Get("X-Amzn-ErrorType"), "UnrecognizedClientException");
}

TEST(AwsJsonApiWithKeys, RefusesAnUnknownAccessKeyAsUnrecognizedClient) {
  AwsStack stack(WithKeys());
  AwsAnswer answer =
      stack.Send(Signed("ListStateMachines", Json::object(), "AKIAUNKNOWN0000001", "x"));
  EXPECT_EQ(ErrorOf(answer), PlainError(401, "UnrecognizedClientException",
                                        "The security token included in the request is invalid."));
  EXPECT_EQ(answer.headers.Get("WWW-Authenticate"), "Bearer");
}

TEST(AwsJsonApiWithKeys, RefusesAWrongSignatureAsInvalidSignature) {
  AwsStack stack(WithKeys());
  AwsAnswer answer = stack.Send(
      Signed("ListStateMachines", Json::object(), "AKIAADMIN000000001", "not-the-admin-secret"));
  EXPECT_EQ(ErrorOf(answer), PlainError(401, "InvalidSignatureException", kMismatch));
  EXPECT_EQ(answer.headers.Get("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(answer.headers.Get("X-Amzn-ErrorType"), "InvalidSignatureException");
}

TEST(AwsJsonApiWithKeys, RefusesABodyChangedAfterSigning) {
  AwsStack stack(WithKeys());
  http::Request request = Signed("DescribeStateMachine", {{"stateMachineArn", MachineArn("a")}},
                                 "AKIAADMIN000000001", "admin-secret");
  request.body = Json{{"stateMachineArn", MachineArn("b")}}.dump();
  EXPECT_EQ(ErrorOf(stack.Send(std::move(request))),
            PlainError(401, "InvalidSignatureException", kMismatch));
}

TEST(AwsJsonApiWithKeys, RefusesAnExpiredSignatureInAwsWords) {
  AwsStack stack(WithKeys());
  http::Request request = AwsStack::Request("ListStateMachines", "{}");
  request.headers.Set("X-Amz-Date", "20260301T115000Z");
  AwsStack::Sign(&request, "AKIAADMIN000000001", "admin-secret");
  EXPECT_EQ(ErrorOf(stack.Send(std::move(request))),
            PlainError(401, "InvalidSignatureException",
                       "Signature expired: 20260301T115000Z is now earlier than 20260301T115530Z "
                       "(20260301T120030Z - 5 min.)"));
}

TEST(AwsJsonApiWithKeys, AcceptsARequestSignedByBotocore) {
  AwsStack stack(WithKeys());
  http::Request request = http::MakeRequest("POST", "/", "{}",
                                            {{"Host", "localhost:8083"},
                                             {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"},
                                             {"Content-Type", "application/x-amz-json-1.0"},
                                             {"X-Amz-Date", "20260301T120000Z"},
                                             {"Authorization", kBotocoreAuthorization}});
  AwsAnswer answer = stack.Send(std::move(request));
  EXPECT_EQ(answer.status, 200) << answer.raw;
  EXPECT_EQ(answer.body, Json::parse(R"({"stateMachines":[]})"));
}

TEST(AwsJsonApiWithKeys, AViewerMayReadButNotStartExecutions) {
  AwsStack stack(WithKeys());
  const std::string viewer = "AKIDEXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  // Let through to the operation, which finds no such machine.
  EXPECT_EQ(ErrorOf(stack.Send(
                Signed("ListExecutions", {{"stateMachineArn", MachineArn("m")}}, viewer, secret))),
            StatesError("StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '" + MachineArn("m") + "'"));
  AwsAnswer answer =
      stack.Send(Signed("StartExecution", {{"stateMachineArn", MachineArn("m")}}, viewer, secret));
  EXPECT_EQ(ErrorOf(answer),
            PlainError(403, "AccessDeniedException",
                       "User: sigv4:AKIDEXAMPLE (role viewer) is not authorized to perform: "
                       "states:StartExecution (it needs the operator role)"));
  EXPECT_FALSE(answer.headers.Has("WWW-Authenticate"));
}

TEST(AwsJsonApiWithKeys, AnOperatorRunsExecutionsButDoesNotCreateMachines) {
  AwsStack stack(WithKeys());
  const Json create = {{"name", "m"}, {"definition", kPassDefinition}, {"roleArn", kRoleArn}};
  EXPECT_EQ(ErrorOf(stack.Send(
                Signed("CreateStateMachine", create, "AKIAOPERATOR000001", "operator-secret"))),
            PlainError(403, "AccessDeniedException",
                       "User: ci-pipeline (role operator) is not authorized to perform: "
                       "states:CreateStateMachine (it needs the admin role)"));
  ASSERT_EQ(
      stack.Send(Signed("CreateStateMachine", create, "AKIAADMIN000000001", "admin-secret")).status,
      200);
  AwsAnswer started =
      stack.Send(Signed("StartExecution", {{"stateMachineArn", MachineArn("m")}, {"name", "e"}},
                        "AKIAOPERATOR000001", "operator-secret"));
  EXPECT_EQ(started.status, 200) << started.raw;
  EXPECT_EQ(started.body.value("executionArn", ""), ExecutionArn("m", "e"));
}

TEST(AwsJsonApiWithKeys, ChangesAreAuditedUnderThePrincipalsName) {
  AwsStack stack(WithKeys());
  ASSERT_EQ(stack
                .Send(Signed("CreateActivity", {{"name", "review"}}, "AKIAADMIN000000001",
                             "admin-secret"))
                .status,
            200);
  auto audit = stack.store()->ListAudit({});
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_FALSE(audit->items.empty());
  const store::AuditEntry& row = audit->items.back().entry;
  EXPECT_EQ(row.actor, "ops-admin");
  EXPECT_EQ(row.action, "CreateActivity");
  EXPECT_EQ(row.target, ActivityArn("review"));
}

// --- Back-pressure --------------------------------------------------------------

// A store whose GetActivity of one ARN waits until the test opens the gate:
// it holds the API's only pool thread for as long as the test wants.
class GatedStore : public store::StoreWrapper {
 public:
  GatedStore(store::Store* target, std::string gated_arn)
      : StoreWrapper(target), gated_arn_(std::move(gated_arn)) {}

  StatusOr<store::ActivityRecord> GetActivity(std::string_view arn) override {
    if (arn == gated_arn_) {
      std::unique_lock lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
    }
    return StoreWrapper::GetActivity(arn);
  }
  bool WaitEntered() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ > 0; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  const std::string gated_arn_;
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;    // guarded by mu_
  bool open_ = false;  // guarded by mu_
};

TEST(AwsJsonApi, AnswersThrottlingWhenThePoolQueueIsFull) {
  GatedStore* gate = nullptr;
  StackOptions options;
  options.api.threads = 1;
  options.api.queue_capacity = 1;
  options.wrap = [&gate](store::Store* real) {
    auto wrapper = std::make_unique<GatedStore>(real, ActivityArn("gate"));
    gate = wrapper.get();
    return wrapper;
  };
  AwsStack stack(options);
  stack.CreateActivity("gate");

  // The pool's only thread is held by the first call; the second waits in
  // the queue; the third finds it full.
  auto held = stack.SendAsync(
      AwsStack::Request("DescribeActivity", Json{{"activityArn", ActivityArn("gate")}}.dump()));
  ASSERT_TRUE(gate->WaitEntered());
  auto queued = stack.SendAsync(AwsStack::Request("ListActivities", "{}"));
  AwsAnswer refused = stack.Call("ListStateMachines");
  gate->Open();
  EXPECT_EQ(ErrorOf(refused), PlainError(400, "ThrottlingException",
                                         "Rate exceeded: 1 requests are waiting; try again later"));
  EXPECT_EQ(refused.headers.Get("X-Amzn-ErrorType"), "ThrottlingException");

  // Those taken are answered once the pool moves again.
  ASSERT_TRUE(held->WaitDone(std::chrono::seconds(10)));
  ASSERT_TRUE(queued->WaitDone(std::chrono::seconds(10)));
  EXPECT_EQ(held->Get().status, 200) << held->Get().body;
  EXPECT_EQ(queued->Get().status, 200) << queued->Get().body;
  EXPECT_EQ(stack.Call("ListStateMachines").status, 200);
}

}  // namespace
}  // namespace stepd::api::testing
