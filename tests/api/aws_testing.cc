#include "api/aws_testing.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>
#include <random>
#include <thread>

#include "stepd/api/sigv4.h"
#include "stepd/base/crypto.h"
#include "stepd/store/mem_store.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::api::testing {
namespace {

std::shared_ptr<spdlog::logger> QuietLogger(const std::string& name) {
  return std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::null_sink_mt>());
}

std::string AmzDate(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

std::string MachineArn(std::string_view name) {
  return std::string(kArnPrefix) + "stateMachine:" + std::string(name);
}

std::string ExecutionArn(std::string_view machine, std::string_view name) {
  return std::string(kArnPrefix) + "execution:" + std::string(machine) + ":" + std::string(name);
}

std::string ActivityArn(std::string_view name) {
  return std::string(kArnPrefix) + "activity:" + std::string(name);
}

std::string AwsAnswer::type() const {
  return body.is_object() ? body.value("__type", std::string()) : std::string();
}

std::string AwsAnswer::message() const {
  return body.is_object() ? body.value("message", std::string()) : std::string();
}

void PrintTo(const AwsAnswer& answer, std::ostream* os) {
  *os << answer.status << " " << answer.raw;
}

void PrintTo(const AwsErrorAnswer& error, std::ostream* os) {
  *os << "{" << error.status << ", \"" << error.type << "\", \"" << error.message << "\"}";
}

AwsErrorAnswer ErrorOf(const AwsAnswer& answer) {
  return {answer.status, answer.type(), answer.message()};
}

AwsErrorAnswer StatesError(std::string_view name, std::string message) {
  return {400, kStatesNs + std::string(name), std::move(message)};
}

AwsErrorAnswer ValidationError(std::string message) {
  return {400, std::string(kValidateNs) + "ValidationException", std::move(message)};
}

AwsErrorAnswer PlainError(int status, std::string_view name, std::string message) {
  return {status, std::string(name), std::move(message)};
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

::testing::AssertionResult IsEpochSecondsBetween(const Json& value, double from, double to) {
  if (!value.is_number()) {
    return ::testing::AssertionFailure() << value.dump() << " is not a number";
  }
  const double seconds = value.get<double>();
  if (seconds < from - 1 || seconds > to + 1) {
    return ::testing::AssertionFailure()
           << seconds << " is not epoch seconds within [" << from << ", " << to << "]";
  }
  return ::testing::AssertionSuccess();
}

TimePoint AuthNow() {
  // 2026-03-01T12:00:30Z
  return std::chrono::system_clock::from_time_t(1772366400) + std::chrono::seconds(30);
}

AwsStack::AwsStack(StackOptions options) : sign_as_(options.sign_as), auth_clock_(AuthNow()) {
  auto logger = [&options](const std::string& name) {
    return options.logger ? options.logger : QuietLogger(name);
  };
  if (options.sqlite) {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-api-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    store::StoreOptions store_options;
    store_options.path = (dir_ / "stepd.db").string();
    store_options.synchronous = store::SyncMode::kNormal;
    store_options.busy_timeout_ms = 2000;
    store_options.audit_key = "api-test-key";
    auto opened = store::OpenSqliteStore(store_options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (opened.ok()) real_store_ = std::move(opened).value();
  }
  if (!real_store_) real_store_ = store::NewMemStore("api-test-key");
  store_ = real_store_.get();
  if (options.wrap) {
    wrapper_ = options.wrap(store_);
    store_ = wrapper_.get();
  }

  authenticator_ = std::make_unique<Authenticator>(options.auth, &auth_clock_);
  api_ = std::make_unique<AwsJsonApi>(options.api, authenticator_.get(), logger("api"));
  api_->AddRoutes(router_);
  rest_ = std::make_unique<RestApi>(options.api, authenticator_.get(), logger("rest"));
  rest_->AddRoutes(router_);

  activities_ = std::make_unique<runtime::ActivityQueue>(store_, SystemClock::Default(),
                                                         logger("activities"));
  tasks_.Register(std::string(kArnPrefix) + "activity:", activities_.get());
  runtime::RuntimeOptions runtime_options;
  runtime_options.workers = 2;
  engine_ = std::make_unique<runtime::Engine>(runtime_options, store_, SystemClock::Default(),
                                              &tasks_, logger("runtime"));
  if (options.connections) {
    secrets_.emplace(SecretBox::FromKey(std::string(32, 'k')).value());
    fetcher_ = std::make_unique<runtime::BlockingHttpFetcher>(http::ClientOptions{});
    connections_ = std::make_unique<runtime::StoredConnections>(
        store_, &*secrets_, SystemClock::Default(), fetcher_.get(), logger("connections"));
  }
  activities_->SetEngine(engine_.get());
  // Not started: tests that need due times call FireDue().
  scheduler_ =
      std::make_unique<runtime::Scheduler>(store_, engine_.get(), SystemClock::Default(),
                                           runtime::SchedulerOptions{}, logger("scheduler"));
  EXPECT_EQ(engine_->Recover(), Status::OK());
  engine_->Start();
  if (options.attach) Attach();
}

AwsStack::~AwsStack() {
  // As `stepd serve` stops: polls answered, API drained, then the runtime.
  activities_->Stop();
  api_->Stop();
  rest_->Stop();
  scheduler_.reset();
  engine_->Stop();
  engine_.reset();
  connections_.reset();
  fetcher_.reset();
  activities_.reset();
  api_.reset();
  rest_.reset();
  wrapper_.reset();
  real_store_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void AwsStack::Attach() {
  api_->Attach({store_, engine_.get(), activities_.get(), SystemClock::Default(),
                connections_.get(), scheduler_.get(), notifier_});
  rest_->Attach({store_, engine_.get(), activities_.get(), SystemClock::Default(),
                 connections_.get(), scheduler_.get(), notifier_});
}

AwsAnswer AwsStack::Rest(std::string method, std::string_view target, std::string body,
                         http::Headers headers) const {
  if (!body.empty() && !headers.Has("Content-Type")) {
    headers.Set("Content-Type", "application/json");
  }
  return Send(http::MakeRequest(std::move(method), target, std::move(body), std::move(headers)));
}

http::Request AwsStack::Request(std::string_view operation, std::string body) {
  return http::MakeRequest(
      "POST", "/", std::move(body),
      {{"Host", "localhost:8083"},
       {"X-Amz-Target", std::string(kAwsTargetPrefix) + std::string(operation)},
       {"Content-Type", "application/x-amz-json-1.0"},
       {"X-Amz-Date", AmzDate(AuthNow())}});
}

http::Request AwsStack::EventsRequest(std::string_view operation, std::string body) {
  http::Request request = Request(operation, std::move(body));
  request.headers.Set("X-Amz-Target", std::string(kEventsTargetPrefix) + std::string(operation));
  request.headers.Set("Content-Type", "application/x-amz-json-1.1");
  return request;
}

void AwsStack::Sign(http::Request* request, const std::string& key_id, const std::string& secret,
                    const std::string& service) {
  const std::string amz_date(*request->headers.Get("X-Amz-Date"));
  SigV4Authorization auth{
      key_id, amz_date.substr(0, 8), "us-east-1", service, {"host", "x-amz-date", "x-amz-target"},
      ""};
  auth.signature = SigV4Signature(
      secret, auth, amz_date,
      SigV4CanonicalRequest(*request, auth.signed_headers, Sha256Hex(request->body)));
  request->headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=" + key_id + "/" + auth.date +
                                            "/us-east-1/" + service +
                                            "/aws4_request, "
                                            "SignedHeaders=host;x-amz-date;x-amz-target, "
                                            "Signature=" +
                                            auth.signature);
}

AwsAnswer AwsStack::Read(const http::testing::CapturedResponse& response) {
  AwsAnswer answer;
  answer.status = response.status;
  answer.headers = response.headers;
  answer.raw = response.body;
  StatusOr<Json> parsed = ParseJson(response.body);
  if (parsed.ok()) answer.body = std::move(parsed).value();
  return answer;
}

AwsAnswer AwsStack::Send(http::Request request, std::chrono::milliseconds timeout) const {
  return Read(http::testing::Dispatch(router_, std::move(request), timeout));
}

AwsAnswer AwsStack::Call(std::string_view operation, const Json& input) const {
  return CallRaw(operation, input.dump());
}

AwsAnswer AwsStack::CallRaw(std::string_view operation, std::string body) const {
  http::Request request = Request(operation, std::move(body));
  if (sign_as_) Sign(&request, sign_as_->first, sign_as_->second);
  return Send(std::move(request));
}

AwsAnswer AwsStack::CallEvents(std::string_view operation, const Json& input) const {
  http::Request request = EventsRequest(operation, input.dump());
  if (sign_as_) Sign(&request, sign_as_->first, sign_as_->second, "events");
  return Send(std::move(request));
}

std::shared_ptr<http::testing::CapturingSink> AwsStack::SendAsync(http::Request request) const {
  auto sink = std::make_shared<http::testing::CapturingSink>();
  router_.Dispatch(std::move(request), http::Responder(sink));
  return sink;
}

void AwsStack::SendTo(http::Request request, std::shared_ptr<http::ResponseSink> sink) const {
  router_.Dispatch(std::move(request), http::Responder(std::move(sink)));
}

std::string AwsStack::CreateMachine(const std::string& name, const std::string& definition,
                                    const Json& extra) {
  Json input = {{"name", name}, {"definition", definition}, {"roleArn", kRoleArn}};
  input.update(extra);
  AwsAnswer answer = Call("CreateStateMachine", input);
  if (answer.status != 200) {
    ADD_FAILURE() << "CreateStateMachine " << name << ": " << answer.status << " " << answer.raw;
    return MachineArn(name);
  }
  return answer.body.value("stateMachineArn", std::string());
}

std::string AwsStack::CreateActivity(const std::string& name) {
  AwsAnswer answer = Call("CreateActivity", {{"name", name}});
  if (answer.status != 200) {
    ADD_FAILURE() << "CreateActivity " << name << ": " << answer.status << " " << answer.raw;
    return ActivityArn(name);
  }
  return answer.body.value("activityArn", std::string());
}

std::string AwsStack::StartExecution(const std::string& machine_arn, const std::string& name,
                                     const std::string& input) {
  Json request = {{"stateMachineArn", machine_arn}, {"input", input}};
  if (!name.empty()) request["name"] = name;
  AwsAnswer answer = Call("StartExecution", request);
  if (answer.status != 200) {
    ADD_FAILURE() << "StartExecution " << name << ": " << answer.status << " " << answer.raw;
    return "";
  }
  return answer.body.value("executionArn", std::string());
}

Json AwsStack::WaitForEnd(const std::string& execution_arn) {
  Json last;
  WaitUntil([&] {
    AwsAnswer answer = Call("DescribeExecution", {{"executionArn", execution_arn}});
    last = answer.body;
    return answer.status != 200 || last.value("status", "") != "RUNNING";
  });
  return last;
}

Json AwsStack::TakeTask(const std::string& activity_arn) {
  AwsAnswer answer =
      Call("GetActivityTask", {{"activityArn", activity_arn}, {"workerName", "test-worker"}});
  if (answer.status != 200) {
    ADD_FAILURE() << "GetActivityTask: " << answer.status << " " << answer.raw;
    return Json::object();
  }
  return answer.body;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace stepd::api::testing
