// AWS JSON API requests (awsJson1_0 Step Functions, awsJson1_1 EventBridge
// connections) on arbitrary bytes: the text before a NUL byte is the
// X-Amz-Target header ("AWSStepFunctions.StartExecution"), the rest the body.
//
// The request decoding of the operations (aws::Fields, ParseArn, MergeTags...
// in src/api/aws_internal.h) is private to the api layer: src/ is not on a
// harness's include path, and each operation runs only through a Service
// with a store and a runtime. So the request goes where a client's goes,
// through AwsJsonApi's route on a Router, without sockets: local mode (every
// caller is admin, so no request stops at authorisation), a MemStore, the
// Engine (one worker, histories capped at 200 events so that a looping
// definition ends quickly), the ActivityQueue, and StoredConnections whose
// token fetches never reach a network. Task states find no executor but
// activities' and fail at once; nothing leaves the process.
//
// State carries over between inputs (a machine one input creates, the next
// may start): the stack, with a few fixtures (tests/fuzz/corpus/aws_json
// names them), is rebuilt every kInputsPerStack inputs so that memory stays
// bounded; an input replayed alone runs on a fresh stack.
//
// Every answer comes within kAnswerWait, except GetActivityTask (a 60 s long
// poll) and StartSyncExecution (until the execution ends), which are left
// to answer when they will, and TestState, whose JSONata may run for its
// whole 10 s time limit. It must be AWS-shaped: 200 with a JSON object,
// or 400 with {"__type", "message"} and a matching X-Amzn-ErrorType; a 5xx
// for a request is a finding (no store or runtime failure is expected).

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "fuzz_target.h"
#include "stepd/api/auth.h"
#include "stepd/api/aws_json.h"
#include "stepd/api/options.h"
#include "stepd/base/clock.h"
#include "stepd/base/secret_box.h"
#include "stepd/http/message.h"
#include "stepd/http/responder.h"
#include "stepd/http/router.h"
#include "stepd/http/testing.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/options.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/runtime/task_executor.h"
#include "stepd/store/mem_store.h"
#include "stepd/store/store.h"

namespace {

using namespace stepd;
using namespace std::chrono_literals;

constexpr int kInputsPerStack = 256;
// Under scripts/fuzz-run's -timeout=10, so that a slow answer is reported
// as this harness's finding rather than as a libFuzzer timeout.
constexpr auto kAnswerWait = 8s;
// How long the long-waiting operations are given before the harness moves on.
constexpr auto kLongPollGrace = 100ms;
constexpr char kArnPrefix[] = "arn:aws:states:us-east-1:123456789012:";
constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/stepd";

std::shared_ptr<spdlog::logger> Quiet(const std::string& name) {
  return std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
}

// Token endpoints of OAuth connections are never reached.
class NoNetwork final : public runtime::HttpFetcher {
 public:
  void Fetch(http::ClientRequest, Done done) override {
    done(UnavailableError("the fuzz harness has no network"));
  }
};

http::Request MakeCall(std::string_view target, std::string_view body) {
  const bool events = target.starts_with(api::kEventsTargetPrefix);
  http::Request request = http::MakeRequest(
      "POST", "/", std::string(body),
      {{"Host", "localhost:8083"},
       {"X-Amz-Target", std::string(target)},
       {"Content-Type", events ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0"},
       {"X-Amz-Date", "20260301T120030Z"}});
  request.remote_address = "127.0.0.1:40000";
  return request;
}

// The whole AWS API stack in process, torn down as `stepd serve` stops.
class Stack {
 public:
  Stack()
      : store_(store::NewMemStore("fuzz-audit-key")),
        authenticator_(api::AuthOptions{}, SystemClock::Default()),
        secrets_(SecretBox::FromKey(std::string(32, 'k')).value()) {
    api::ApiOptions options;
    options.threads = 2;
    options.queue_capacity = 256;
    api_ = std::make_unique<api::AwsJsonApi>(options, &authenticator_, Quiet("api"));
    api_->AddRoutes(router_);
    activities_ =
        std::make_unique<runtime::ActivityQueue>(store_.get(), SystemClock::Default(), Quiet("activities"));
    tasks_.Register(std::string(kArnPrefix) + "activity:", activities_.get());
    runtime::RuntimeOptions runtime_options;
    runtime_options.workers = 1;
    runtime_options.history_limit = 200;
    runtime_options.ready_queue_capacity = 1000;
    engine_ = std::make_unique<runtime::Engine>(runtime_options, store_.get(), SystemClock::Default(),
                                                &tasks_, Quiet("runtime"));
    connections_ = std::make_unique<runtime::StoredConnections>(
        store_.get(), &secrets_, SystemClock::Default(), &fetcher_, Quiet("connections"));
    activities_->SetEngine(engine_.get());
    if (!engine_->Recover().ok()) std::abort();
    engine_->Start();
    api_->Attach({store_.get(), engine_.get(), activities_.get(), SystemClock::Default(),
                  connections_.get(), /*scheduler=*/nullptr, /*notifier=*/nullptr});
    AddFixtures();
  }

  ~Stack() {
    activities_->Stop();
    api_->Stop();
    engine_->Stop();
    engine_.reset();
    connections_->WaitIdle();
    connections_.reset();
    activities_.reset();
    api_.reset();
    store_.reset();
  }

  // Dispatches; the sink gets the answer now or later.
  std::shared_ptr<http::testing::CapturingSink> Send(http::Request request) const {
    auto sink = std::make_shared<http::testing::CapturingSink>();
    router_.Dispatch(std::move(request), http::Responder(sink));
    return sink;
  }

 private:
  void Must(std::string_view operation, const Json& input) {
    auto sink = Send(MakeCall(std::string(api::kAwsTargetPrefix) + std::string(operation),
                              input.dump()));
    const http::testing::CapturedResponse answer =
        sink->WaitDone(kAnswerWait) ? sink->Get() : http::testing::CapturedResponse{};
    if (answer.status != 200) {
      std::fprintf(stderr, "aws_json_fuzz: fixture %.*s failed: %d %s\n",
                   static_cast<int>(operation.size()), operation.data(), answer.status,
                   answer.body.c_str());
      std::abort();
    }
  }

  // What the seeds refer to: machines fuzz-pass (with version 1 and alias
  // "live"), fuzz-wait and fuzz-work; activity fuzz-work; executions
  // fuzz-pass:done (ended) and fuzz-wait:parked (RUNNING); connection fuzz-conn.
  void AddFixtures() {
    const std::string pass = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
    const std::string wait =
        R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";
    const std::string work = R"({"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":")" +
                             std::string(kArnPrefix) + R"(activity:fuzz-work","End":true}}})";
    Must("CreateStateMachine", {{"name", "fuzz-pass"}, {"definition", pass}, {"roleArn", kRoleArn},
                                {"publish", true}});
    Must("CreateStateMachineAlias",
         {{"name", "live"},
          {"routingConfiguration",
           Json::array({{{"stateMachineVersionArn", std::string(kArnPrefix) + "stateMachine:fuzz-pass:1"},
                         {"weight", 100}}})}});
    Must("CreateStateMachine", {{"name", "fuzz-wait"}, {"definition", wait}, {"roleArn", kRoleArn}});
    Must("CreateActivity", {{"name", "fuzz-work"}});
    Must("CreateStateMachine", {{"name", "fuzz-work"}, {"definition", work}, {"roleArn", kRoleArn}});
    Must("StartExecution",
         {{"stateMachineArn", std::string(kArnPrefix) + "stateMachine:fuzz-pass"}, {"name", "done"}});
    Must("StartExecution",
         {{"stateMachineArn", std::string(kArnPrefix) + "stateMachine:fuzz-wait"}, {"name", "parked"}});
    auto sink = Send(MakeCall(std::string(api::kEventsTargetPrefix) + "CreateConnection",
                              Json{{"Name", "fuzz-conn"},
                                   {"AuthorizationType", "API_KEY"},
                                   {"AuthParameters",
                                    {{"ApiKeyAuthParameters",
                                      {{"ApiKeyName", "x-api-key"}, {"ApiKeyValue", "secret"}}}}}}
                                  .dump()));
    if (!sink->WaitDone(kAnswerWait) || sink->Get().status != 200) {
      std::fprintf(stderr, "aws_json_fuzz: fixture CreateConnection failed: %s\n",
                   sink->Get().body.c_str());
      std::abort();
    }
  }

  http::Router router_;
  std::unique_ptr<store::Store> store_;
  api::Authenticator authenticator_;
  SecretBox secrets_;
  NoNetwork fetcher_;
  std::unique_ptr<api::AwsJsonApi> api_;
  runtime::TaskRouter tasks_;
  std::unique_ptr<runtime::ActivityQueue> activities_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<runtime::StoredConnections> connections_;
};

Stack* g_stack = nullptr;
int g_inputs = 0;

const Stack& TheStack() {
  if (g_stack == nullptr || g_inputs == kInputsPerStack) {
    const bool first = g_stack == nullptr;
    delete g_stack;
    g_stack = new Stack();
    g_inputs = 0;
    // Stopped at exit before the statics its threads use (registered after
    // they were made, so run before they are destroyed).
    if (first) std::atexit([] {
      delete g_stack;
      g_stack = nullptr;
    });
  }
  ++g_inputs;
  return *g_stack;
}

void CheckAnswer(const http::testing::CapturedResponse& answer, std::string_view target) {
  const bool states = target.starts_with(api::kAwsTargetPrefix);
  const bool events = target.starts_with(api::kEventsTargetPrefix);
  if (!states && !events) {
    fuzz::Check(answer.status == 404, "a target of neither API has no route");
    return;
  }
  fuzz::Check(!answer.abandoned, "every request is answered, not dropped");
  fuzz::Check(answer.status == 200 || answer.status == 400, "an answer is 200 or 400, never 5xx");
  auto type = answer.headers.Get("Content-Type");
  fuzz::Check(type && *type == (states ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1"),
              "the protocol's Content-Type");
  StatusOr<Json> body = ParseJson(answer.body);
  if (!body.ok()) {
    // The answer may echo a document of the request one or two levels deeper.
    fuzz::Check(body.status().message().find("nest deeper") != std::string::npos,
                "an answer is JSON");
    return;
  }
  fuzz::Check(body->is_object(), "an answer is a JSON object");
  if (answer.status == 200) return;
  auto wire = body->find("__type");
  auto message = body->find("message");
  fuzz::Check(wire != body->end() && wire->is_string() && message != body->end() &&
                  message->is_string(),
              "an error has __type and message");
  auto error_type = answer.headers.Get("X-Amzn-ErrorType");
  const std::string& name = wire->get_ref<const std::string&>();
  fuzz::Check(error_type && !error_type->empty() && name.ends_with(*error_type),
              "X-Amzn-ErrorType names the __type");
  if (events) fuzz::Check(name == *error_type, "EventBridge's error types carry no namespace");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheStack();
  --g_inputs;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [target, body] = fuzz::SplitAtNul(fuzz::AsText(data, size));
  const Stack& stack = TheStack();
  auto sink = stack.Send(MakeCall(target, body));
  if (target == "AWSStepFunctions.GetActivityTask" ||
      target == "AWSStepFunctions.StartSyncExecution") {
    if (sink->WaitDone(kLongPollGrace)) CheckAnswer(sink->Get(), target);
    sink->Disconnect();  // a poll still waiting gives up its task, if one comes
    return 0;
  }
  if (!sink->WaitDone(kAnswerWait)) {
    // A JSONata expression may run for its whole time limit (10 s, not an
    // option of the API) in TestState; anything else this slow is a finding.
    fuzz::Check(target == "AWSStepFunctions.TestState", "every request is answered in time");
    sink->Disconnect();
    return 0;
  }
  CheckAnswer(sink->Get(), target);
  return 0;
}
