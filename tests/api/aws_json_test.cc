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
                       "User: sigv4:AKIDEXAMPLE is not authorized to perform: "
                       "states:StartExecution on resource: " +
                           MachineArn("m") +
                           " (it needs the 'start' permission; the principal's roles: viewer)"));
  EXPECT_FALSE(answer.headers.Has("WWW-Authenticate"));
}

TEST(AwsJsonApiWithKeys, AnOperatorRunsExecutionsButDoesNotCreateMachines) {
  AwsStack stack(WithKeys());
  const Json create = {{"name", "m"}, {"definition", kPassDefinition}, {"roleArn", kRoleArn}};
  EXPECT_EQ(ErrorOf(stack.Send(
                Signed("CreateStateMachine", create, "AKIAOPERATOR000001", "operator-secret"))),
            PlainError(403, "AccessDeniedException",
                       "User: ci-pipeline is not authorized to perform: "
                       "states:CreateStateMachine on resource: m (it needs the 'manage' "
                       "permission; the principal's roles: operator)"));
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


// --- Roles, scopes and the operator audit ----------------------------------------

// One access key per role; "sigv4:<key>" is each principal.
StackOptions WithRoleKeys() {
  StackOptions options;
  options.auth.access_keys = {
      {"AKIAVIEWER00000001", "viewer-secret", "", Role::kViewer},
      {"AKIATRIGGER0000001", "trigger-secret", "", Role::kTrigger},
      {"AKIAOPERATOR000001", "operator-secret", "", Role::kOperator},
      {"AKIAADMIN000000001", "admin-secret", "", Role::kAdmin},
      {"AKIAETLOPERATOR001", "etl-secret", "", std::nullopt},
  };
  options.auth.bindings = {
      {RoleBinding::Kind::kAccessKey, "AKIAETLOPERATOR001", Role::kOperator, {"etl-*"}}};
  options.sign_as = {"AKIAADMIN000000001", "admin-secret"};
  return options;
}

struct RoleKey {
  const char* role;
  const char* id;
  const char* secret;
};
constexpr RoleKey kRoleKeys[] = {{"viewer", "AKIAVIEWER00000001", "viewer-secret"},
                                 {"trigger", "AKIATRIGGER0000001", "trigger-secret"},
                                 {"operator", "AKIAOPERATOR000001", "operator-secret"},
                                 {"admin", "AKIAADMIN000000001", "admin-secret"}};

// Every operation with the roles allowed to call it, written out here rather
// than read from the code: a change to who may do what fails this test.
struct MatrixRow {
  const char* operation;
  bool events;  // an EventBridge operation
  const char* allowed;  // roles, space-separated
};
constexpr const char* kRead = "viewer operator admin";
constexpr const char* kStart = "trigger operator admin";
constexpr const char* kOperate = "operator admin";
constexpr const char* kManage = "admin";
constexpr MatrixRow kMatrix[] = {
    {"CreateActivity", false, kManage},
    {"CreateStateMachine", false, kManage},
    {"CreateStateMachineAlias", false, kManage},
    {"DeleteActivity", false, kManage},
    {"DeleteStateMachine", false, kManage},
    {"DeleteStateMachineAlias", false, kManage},
    {"DeleteStateMachineVersion", false, kManage},
    {"DescribeActivity", false, kRead},
    {"DescribeExecution", false, kRead},
    {"DescribeMapRun", false, kRead},
    {"DescribeStateMachine", false, kRead},
    {"DescribeStateMachineAlias", false, kRead},
    {"DescribeStateMachineForExecution", false, kRead},
    {"GetActivityTask", false, kOperate},
    {"GetExecutionHistory", false, kRead},
    {"ListActivities", false, kRead},
    {"ListExecutions", false, kRead},
    {"ListMapRuns", false, kRead},
    {"ListStateMachineAliases", false, kRead},
    {"ListStateMachineVersions", false, kRead},
    {"ListStateMachines", false, kRead},
    {"ListTagsForResource", false, kRead},
    {"PublishStateMachineVersion", false, kManage},
    {"RedriveExecution", false, kOperate},
    {"SendTaskFailure", false, kOperate},
    {"SendTaskHeartbeat", false, kOperate},
    {"SendTaskSuccess", false, kOperate},
    {"StartExecution", false, kStart},
    {"StartSyncExecution", false, kStart},
    {"StopExecution", false, kOperate},
    {"TagResource", false, kManage},
    {"TestState", false, kOperate},
    {"UntagResource", false, kManage},
    {"UpdateMapRun", false, kOperate},
    {"UpdateStateMachine", false, kManage},
    {"UpdateStateMachineAlias", false, kManage},
    {"ValidateStateMachineDefinition", false, kRead},
    {"CreateConnection", true, kManage},
    {"DeauthorizeConnection", true, kManage},
    {"DeleteConnection", true, kManage},
    {"DescribeConnection", true, kRead},
    {"ListConnections", true, kRead},
    {"UpdateConnection", true, kManage},
};

TEST(AwsJsonApiRoles, EachRoleIsAllowedOrRefusedEachOperation) {
  AwsStack stack(WithRoleKeys());
  int allowed_seen = 0, refused_seen = 0;
  for (const MatrixRow& row : kMatrix) {
    for (const RoleKey& key : kRoleKeys) {
      SCOPED_TRACE(std::string(row.operation) + " as " + key.role);
      // An input that names nothing that exists: an allowed call fails on
      // validation or lookup (or succeeds), never with 403.
      http::Request request =
          row.events ? AwsStack::EventsRequest(row.operation, "{}")
                     : AwsStack::Request(row.operation, "{}");
      AwsStack::Sign(&request, key.id, key.secret, row.events ? "events" : "states");
      if (std::string_view(row.operation) == "GetActivityTask") {
        request.body = Json{{"activityArn", ActivityArn("none")}}.dump();
        AwsStack::Sign(&request, key.id, key.secret);
      }
      AwsAnswer answer = stack.Send(std::move(request));
      const bool expect_allowed =
          (" " + std::string(row.allowed) + " ").find(" " + std::string(key.role) + " ") !=
          std::string::npos;
      if (expect_allowed) {
        EXPECT_NE(answer.status, 403) << answer.raw;
        EXPECT_NE(answer.status, 0);
        ++allowed_seen;
      } else {
        EXPECT_EQ(answer.status, 403) << answer.raw;
        EXPECT_NE(answer.raw.find("AccessDeniedException"), std::string::npos) << answer.raw;
        ++refused_seen;
      }
    }
  }
  EXPECT_EQ(allowed_seen + refused_seen, static_cast<int>(std::size(kMatrix) * 4));
  EXPECT_GT(refused_seen, 0);
}

TEST(AwsJsonApiRoles, ARefusalNamesTheMissingPermissionAndTheResource) {
  AwsStack stack(WithRoleKeys());
  AwsAnswer answer = stack.Send(Signed("StopExecution",
                                       {{"executionArn", ExecutionArn("etl-a", "run-1")}},
                                       "AKIATRIGGER0000001", "trigger-secret"));
  EXPECT_EQ(ErrorOf(answer),
            PlainError(403, "AccessDeniedException",
                       "User: sigv4:AKIATRIGGER0000001 is not authorized to perform: "
                       "states:StopExecution on resource: " +
                           ExecutionArn("etl-a", "run-1") +
                           " (it needs the 'operate' permission; the principal's roles: trigger)"));
}

TEST(AwsJsonApiRoles, AScopedOperatorWorksOnMatchingStateMachinesOnly) {
  AwsStack stack(WithRoleKeys());
  const std::string etl = stack.CreateMachine("etl-nightly", kWaitDefinition);
  const std::string billing = stack.CreateMachine("billing", kWaitDefinition);
  const std::string etl_run = stack.StartExecution(etl, "e1");
  const std::string billing_run = stack.StartExecution(billing, "b1");
  auto as_etl = [&](std::string_view op, const Json& input) {
    return stack.Send(Signed(op, input, "AKIAETLOPERATOR001", "etl-secret"));
  };
  EXPECT_EQ(as_etl("StartExecution", {{"stateMachineArn", etl}}).status, 200);
  EXPECT_EQ(as_etl("StartExecution", {{"stateMachineArn", billing}}).status, 403);
  EXPECT_EQ(as_etl("DescribeExecution", {{"executionArn", etl_run}}).status, 200);
  EXPECT_EQ(as_etl("DescribeExecution", {{"executionArn", billing_run}}).status, 403);
  EXPECT_EQ(as_etl("StopExecution", {{"executionArn", billing_run}}).status, 403);
  EXPECT_EQ(as_etl("StopExecution", {{"executionArn", etl_run}}).status, 200);
  // Creating is the admin's, whatever the name.
  EXPECT_EQ(as_etl("CreateStateMachine", {{"name", "etl-new"},
                                          {"definition", kPassDefinition},
                                          {"roleArn", kRoleArn}})
                .status,
            403);
  // Activities are no state machine: unscoped grants only.
  EXPECT_EQ(as_etl("ListActivities", Json::object()).status, 403);
  // The list shows the machines the principal may read.
  AwsAnswer listed = as_etl("ListStateMachines", Json::object());
  ASSERT_EQ(listed.status, 200) << listed.raw;
  ASSERT_EQ(listed.body["stateMachines"].size(), 1u) << listed.raw;
  EXPECT_EQ(listed.body["stateMachines"][0]["name"], "etl-nightly");
}

TEST(AwsJsonApiRoles, AScopedOperatorAnswersTasksOfMatchingStateMachinesOnly) {
  AwsStack stack(WithRoleKeys());
  const std::string activity = stack.CreateActivity("work");
  const std::string etl = stack.CreateMachine("etl-a", kActivityDefinition);
  const std::string billing = stack.CreateMachine("billing", kActivityDefinition);
  const std::string billing_run = stack.StartExecution(billing, "b1");
  Json billing_task = stack.TakeTask(activity);
  const std::string etl_run = stack.StartExecution(etl, "e1");
  Json etl_task = stack.TakeTask(activity);
  ASSERT_TRUE(billing_task.contains("taskToken"));
  ASSERT_TRUE(etl_task.contains("taskToken"));
  auto answer = [&](const Json& task) {
    return stack.Send(Signed("SendTaskSuccess",
                             {{"taskToken", task["taskToken"]}, {"output", "{}"}},
                             "AKIAETLOPERATOR001", "etl-secret"));
  };
  AwsAnswer refused = answer(billing_task);
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_NE(refused.message().find("on resource: " + billing_run), std::string::npos)
      << refused.raw;
  EXPECT_EQ(answer(etl_task).status, 200);
  EXPECT_EQ(stack.WaitForEnd(etl_run)["status"], "SUCCEEDED");
  EXPECT_EQ(stack.Call("DescribeExecution", {{"executionArn", billing_run}}).body["status"],
            "RUNNING");
}

std::vector<store::AuditRecord> AuditBy(store::Store* store, const std::string& actor) {
  store::AuditQuery query;
  query.actor = actor;
  auto page = store->QueryAudit(query, store::PageRequest{1000, ""});
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? page->items : std::vector<store::AuditRecord>{};
}

TEST(AwsJsonApiAudit, EachPrincipalsActionsRefusalsAndFailuresAreAuditedUnderItsName) {
  AwsStack stack(WithRoleKeys());
  const std::string machine = stack.CreateMachine("etl-a", kWaitDefinition);
  http::Request start = Signed("StartExecution", {{"stateMachineArn", machine}, {"name", "r1"}},
                               "AKIATRIGGER0000001", "trigger-secret");
  start.request_id = "req-start-1";
  start.remote_address = "10.1.2.3:5555";
  ASSERT_EQ(stack.Send(std::move(start)).status, 200);
  const std::string run = ExecutionArn("etl-a", "r1");
  // Refused: the trigger may not stop.
  ASSERT_EQ(stack.Send(Signed("StopExecution", {{"executionArn", run}}, "AKIATRIGGER0000001",
                              "trigger-secret"))
                .status,
            403);
  // Stopped by the operator; then a failed create by the admin.
  ASSERT_EQ(stack.Send(Signed("StopExecution", {{"executionArn", run}}, "AKIAOPERATOR000001",
                              "operator-secret"))
                .status,
            200);
  ASSERT_EQ(stack.Send(Signed("CreateStateMachine",
                              {{"name", "bad"}, {"definition", "{}"}, {"roleArn", kRoleArn}},
                              "AKIAADMIN000000001", "admin-secret"))
                .status,
            400);

  std::vector<store::AuditRecord> trigger = AuditBy(stack.store(), "sigv4:AKIATRIGGER0000001");
  std::vector<std::string> trigger_actions;
  for (const auto& r : trigger) trigger_actions.push_back(r.entry.action);
  // ExecutionStarted (a transition row) and the refused StopExecution, with
  // the later transitions of the run (its WaitStateEntered).
  ASSERT_GE(trigger.size(), 2u);
  const store::AuditRecord& started = trigger.front();
  EXPECT_EQ(started.entry.action, "ExecutionStarted");
  EXPECT_EQ(started.entry.target, run);
  Json started_details = Json::parse(started.entry.details_json);
  EXPECT_EQ(started_details["principal"]["id"], "sigv4:AKIATRIGGER0000001");
  EXPECT_EQ(started_details["principal"]["kind"], "sigv4");
  EXPECT_EQ(started_details["source"], "10.1.2.3:5555");
  EXPECT_EQ(started_details["request_id"], "req-start-1");
  auto refused = std::find_if(trigger.begin(), trigger.end(),
                              [](const auto& r) { return r.entry.action == "StopExecution"; });
  ASSERT_NE(refused, trigger.end()) << ::testing::PrintToString(trigger_actions);
  Json refused_details = Json::parse(refused->entry.details_json);
  EXPECT_EQ(refused_details["outcome"], "denied");
  EXPECT_EQ(refused_details["error"], "AccessDeniedException");
  EXPECT_EQ(refused->entry.target, run);

  std::vector<store::AuditRecord> op = AuditBy(stack.store(), "sigv4:AKIAOPERATOR000001");
  ASSERT_EQ(op.size(), 1u);
  EXPECT_EQ(op[0].entry.action, "ExecutionAborted");
  EXPECT_EQ(op[0].entry.target, run);
  EXPECT_EQ(Json::parse(op[0].entry.details_json)["principal"]["id"],
            "sigv4:AKIAOPERATOR000001");

  // The set-up's machine, then the failed create.
  std::vector<store::AuditRecord> admin = AuditBy(stack.store(), "sigv4:AKIAADMIN000000001");
  ASSERT_EQ(admin.size(), 2u);
  EXPECT_EQ(admin[0].entry.action, "CreateStateMachine");
  EXPECT_EQ(admin[0].entry.target, machine);
  EXPECT_EQ(Json::parse(admin[0].entry.details_json)["outcome"], "ok");
  EXPECT_EQ(admin[1].entry.action, "CreateStateMachine");
  EXPECT_EQ(admin[1].entry.target, "bad");
  Json admin_details = Json::parse(admin[1].entry.details_json);
  EXPECT_EQ(admin_details["outcome"], "error");
  EXPECT_EQ(admin_details["error"], "InvalidDefinition");
  EXPECT_TRUE(stack.store()->VerifyAuditChain().ok());
}

TEST(AwsJsonApiAudit, ATaskAnswerIsAuditedOnTheTokensExecution) {
  AwsStack stack(WithRoleKeys());
  const std::string activity = stack.CreateActivity("work");
  const std::string machine = stack.CreateMachine("etl-a", kActivityDefinition);
  const std::string run = stack.StartExecution(machine, "e1");
  Json task = stack.TakeTask(activity);
  ASSERT_EQ(stack.Send(Signed("SendTaskSuccess", {{"taskToken", task["taskToken"]}, {"output", "{}"}},
                              "AKIAOPERATOR000001", "operator-secret"))
                .status,
            200);
  std::vector<store::AuditRecord> rows = AuditBy(stack.store(), "sigv4:AKIAOPERATOR000001");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].entry.action, "SendTaskSuccess");
  EXPECT_EQ(rows[0].entry.target, run);
  EXPECT_EQ(Json::parse(rows[0].entry.details_json)["outcome"], "ok");
  // No secret in the row: the token is not there.
  EXPECT_EQ(rows[0].entry.details_json.find(task["taskToken"].get<std::string>()),
            std::string::npos);
}

}  // namespace
}  // namespace stepd::api::testing
