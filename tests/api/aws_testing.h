#pragma once
// Test support for the AWS JSON API: the whole stack in-process (a SQLite
// store in a temporary directory or a MemStore, the durable Engine on the
// system clock, the ActivityQueue routed for this account's activity ARNs,
// an Authenticator, AwsJsonApi on an http::Router), driven through
// http::testing::Dispatch without sockets; waits poll what the API answers,
// with a deadline, never sleep.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "stepd/api/auth.h"
#include "stepd/api/aws_json.h"
#include "stepd/api/rest_api.h"
#include "stepd/api/options.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/secret_box.h"
#include "stepd/http/router.h"
#include "stepd/http/testing.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/scheduler.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/store/store.h"

namespace stepd::api::testing {

inline constexpr char kArnPrefix[] = "arn:aws:states:us-east-1:123456789012:";
inline constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/stepd";
// AWS's exception namespaces ("__type" is "<namespace><Name>").
inline constexpr char kStatesNs[] = "com.amazonaws.swf.service.v2.model#";
inline constexpr char kValidateNs[] = "com.amazon.coral.validate#";

std::string MachineArn(std::string_view name);
std::string ExecutionArn(std::string_view machine, std::string_view name);
std::string ActivityArn(std::string_view name);

// Definitions the tests share.
// Succeeds at once with its input.
inline constexpr char kPassDefinition[] =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
// Fails at once with error "Boom", cause "it broke".
inline constexpr char kFailDefinition[] =
    R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"it broke"}}})";
// Waits for a worker of activity "work", then ends with the worker's output.
inline constexpr char kActivityDefinition[] =
    R"({"StartAt":"Work","States":{"Work":{"Type":"Task",)"
    R"("Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}}})";
// Parks for an hour: RUNNING until stopped.
inline constexpr char kWaitDefinition[] =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";

// An answer of the API, its body parsed.
struct AwsAnswer {
  int status = 0;  // 0: no answer within the wait
  http::Headers headers;
  std::string raw;
  Json body;  // null when the body is not JSON

  // body["__type"] / body["message"], or "" when absent.
  std::string type() const;
  std::string message() const;
};
void PrintTo(const AwsAnswer& answer, std::ostream* os);

// An error answer's status, "__type" and message, comparable as a whole.
struct AwsErrorAnswer {
  int status = 0;
  std::string type;
  std::string message;
  friend bool operator==(const AwsErrorAnswer&, const AwsErrorAnswer&) = default;
};
void PrintTo(const AwsErrorAnswer& error, std::ostream* os);
AwsErrorAnswer ErrorOf(const AwsAnswer& answer);
// 400 com.amazonaws.swf.service.v2.model#<name>.
AwsErrorAnswer StatesError(std::string_view name, std::string message);
// 400 com.amazon.coral.validate#ValidationException.
AwsErrorAnswer ValidationError(std::string message);
// An error without namespace (authentication, overload, serialization).
AwsErrorAnswer PlainError(int status, std::string_view name, std::string message);

// Now as epoch seconds, for checking timestamps of answers.
double NowSeconds();
// `value` is a JSON number of epoch seconds within [from - 1, to + 1].
::testing::AssertionResult IsEpochSecondsBetween(const Json& value, double from, double to);

struct StackOptions {
  ApiOptions api;
  AuthOptions auth;
  bool attach = true;
  bool sqlite = true;  // false: a MemStore
  // Wraps the store the stack opened (fault injection); nullptr: used as is.
  std::function<std::unique_ptr<store::Store>(store::Store* real)> wrap;
  // The connections (StoredConnections with a secrets key of 32 'k' bytes
  // and a real HTTP fetcher); false: none, as without a secrets key.
  bool connections = true;
  // Where every part of the stack logs; null: nowhere.
  std::shared_ptr<spdlog::logger> logger;
  // With access keys configured: the key (id, secret) Call, CallRaw,
  // CallEvents and the shortcuts sign with; unset: they do not sign.
  std::optional<std::pair<std::string, std::string>> sign_as;
};

// The time the stack's Authenticator believes it is (signatures are checked
// against it): 2026-03-01T12:00:30Z.
TimePoint AuthNow();

class AwsStack {
 public:
  explicit AwsStack(StackOptions options = {});
  ~AwsStack();
  AwsStack(const AwsStack&) = delete;
  AwsStack& operator=(const AwsStack&) = delete;

  // AwsJsonApi::Attach (done by the constructor unless options.attach is false).
  void Attach();
  // Attaches again with `notifier` (not owned; it must outlive the stack's
  // use of it) for the REST notification routes.
  void SetNotifier(runtime::Notifier* notifier) {
    notifier_ = notifier;
    Attach();
  }

  // POST / with X-Amz-Target AWSStepFunctions.<operation>, Content-Type
  // application/x-amz-json-1.0, Host localhost:8083, X-Amz-Date of AuthNow(),
  // no signature.
  static http::Request Request(std::string_view operation, std::string body);
  // POST / with X-Amz-Target AWSEvents.<operation>, Content-Type
  // application/x-amz-json-1.1, otherwise as Request().
  static http::Request EventsRequest(std::string_view operation, std::string body);
  // Signs `request` with SigV4 (the code under test) for `key_id`/`secret`
  // over host, x-amz-date and x-amz-target, in the scope of `service`.
  static void Sign(http::Request* request, const std::string& key_id, const std::string& secret,
                   const std::string& service = "states");

  // Sends and waits (up to `timeout`) for the answer.
  AwsAnswer Send(http::Request request,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  AwsAnswer Call(std::string_view operation, const Json& input = Json::object()) const;
  AwsAnswer CallRaw(std::string_view operation, std::string body) const;
  // An EventBridge operation (EventsRequest).
  AwsAnswer CallEvents(std::string_view operation, const Json& input = Json::object()) const;
  // A request to the REST API (RestApi, on the same router and backend):
  // `target` is the path with its query ("/v1/executions?limit=2"); `body`
  // is sent as is with Content-Type application/json when not empty.
  AwsAnswer Rest(std::string method, std::string_view target, std::string body = {},
                 http::Headers headers = {}) const;
  // Sends without waiting: the sink gets the answer.
  std::shared_ptr<http::testing::CapturingSink> SendAsync(http::Request request) const;
  void SendTo(http::Request request, std::shared_ptr<http::ResponseSink> sink) const;
  static AwsAnswer Read(const http::testing::CapturedResponse& response);

  // Shortcuts that fail the test (ADD_FAILURE) when the call does not succeed.
  std::string CreateMachine(const std::string& name, const std::string& definition,
                            const Json& extra = Json::object());
  std::string CreateActivity(const std::string& name);
  std::string StartExecution(const std::string& machine_arn, const std::string& name,
                             const std::string& input = "{}");
  // DescribeExecution, polled until its status is not RUNNING (10 s at most).
  Json WaitForEnd(const std::string& execution_arn);
  // GetActivityTask for `activity_arn`; the handed-out task's {taskToken,
  // input}, or an empty object when the poll came back without one.
  Json TakeTask(const std::string& activity_arn);

  AwsJsonApi& api() { return *api_; }
  RestApi& rest() { return *rest_; }
  const http::Router& router() const { return router_; }
  store::Store* store() { return store_; }
  runtime::Engine& engine() { return *engine_; }
  runtime::Scheduler& scheduler() { return *scheduler_; }
  runtime::ActivityQueue& activities() { return *activities_; }
  // Null when StackOptions::connections is false.
  runtime::StoredConnections* connections() { return connections_.get(); }
  // The SQLite database file; empty for a MemStore.
  std::filesystem::path db_path() const { return dir_.empty() ? dir_ : dir_ / "stepd.db"; }

 private:
  std::optional<std::pair<std::string, std::string>> sign_as_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> real_store_;
  std::unique_ptr<store::Store> wrapper_;
  store::Store* store_ = nullptr;
  FakeClock auth_clock_;
  std::unique_ptr<Authenticator> authenticator_;
  http::Router router_;
  std::unique_ptr<AwsJsonApi> api_;
  std::unique_ptr<RestApi> rest_;
  runtime::TaskRouter tasks_;
  std::unique_ptr<runtime::ActivityQueue> activities_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<runtime::Scheduler> scheduler_;
  std::optional<SecretBox> secrets_;
  std::unique_ptr<runtime::BlockingHttpFetcher> fetcher_;
  std::unique_ptr<runtime::StoredConnections> connections_;
  runtime::Notifier* notifier_ = nullptr;
};

// Polls `condition` (every millisecond) until it holds or `timeout` passed.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace stepd::api::testing
