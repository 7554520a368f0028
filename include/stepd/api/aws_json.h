#pragma once
// AwsJsonApi: the AWS Step Functions JSON API (awsJson1_0) on `POST /` with
// `X-Amz-Target: AWSStepFunctions.<Operation>`, so that the AWS CLI, boto3
// and the AWS SDKs work against stepd with only an endpoint URL changed; and,
// on the same endpoint, EventBridge's connection operations (awsJson1_1,
// `X-Amz-Target: AWSEvents.<Operation>`: Create/Describe/Update/Delete/List/
// DeauthorizeConnection), the connections HTTP tasks authorize with.
//
// Answers as AWS shapes them: 200 with the operation's JSON output, or an
// error status with {"__type": "<ExceptionName>", "message": "..."} (and the
// X-Amzn-ErrorType header). Timestamps are epoch seconds; lists page with
// nextToken/maxResults. Authentication per CONTRACTS.md: 401
// UnrecognizedClientException / InvalidSignatureException, 403
// AccessDeniedException, and 400 ThrottlingException when overloaded.
//
// Life cycle: routes are added before the HTTP server starts; until Attach()
// supplies the store and runtime (after migrations and recovery) requests are
// answered 503 ServiceUnavailable. Operations that touch the database run on
// the API's own thread pool, never on an I/O thread; long polls
// (GetActivityTask) wait without holding any thread. EventBridge's errors
// carry bare exception names ({"__type": "ResourceNotFoundException", ...}),
// as EventBridge sends them.
//
// Thread-safety: AddRoutes and Attach are called once, from the thread that
// wires the server; everything else is internal.

#include <atomic>
#include <memory>

#include "stepd/api/auth.h"
#include "stepd/api/options.h"
#include "stepd/base/clock.h"
#include "stepd/base/thread_pool.h"
#include "stepd/http/router.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/scheduler.h"
#include "stepd/runtime/notifier.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::metrics {
class Registry;
}

namespace stepd::api {

// What the operations work on; every pointer must outlive the API.
struct AwsBackend {
  store::Store* store = nullptr;
  runtime::Engine* engine = nullptr;
  runtime::ActivityQueue* activities = nullptr;
  Clock* clock = nullptr;
  // The connections (with the secrets key); null: the AWSEvents.*Connection
  // operations answer InternalException.
  runtime::StoredConnections* connections = nullptr;
  // The schedules (/v1/schedules); null: those routes answer 503.
  runtime::Scheduler* scheduler = nullptr;
  // Notification sinks, rules and the outbox (REST /v1/notification*);
  // null: those routes answer 503.
  runtime::Notifier* notifier = nullptr;
};

// The X-Amz-Target prefixes of the operations.
inline constexpr std::string_view kAwsTargetPrefix = "AWSStepFunctions.";
inline constexpr std::string_view kEventsTargetPrefix = "AWSEvents.";

class AwsJsonApi {
 public:
  // `authenticator` (and `metrics`, when given) must outlive the API. With
  // `metrics`, each operation answered is counted in
  // stepd_aws_requests_total{operation,outcome}: "StartExecution", and
  // "ok" or the error's type ("ExecutionDoesNotExist", ...).
  AwsJsonApi(const ApiOptions& options, const Authenticator* authenticator,
             std::shared_ptr<spdlog::logger> logger, metrics::Registry* metrics = nullptr);
  ~AwsJsonApi();  // Stop()
  AwsJsonApi(const AwsJsonApi&) = delete;
  AwsJsonApi& operator=(const AwsJsonApi&) = delete;

  // POST / for X-Amz-Target AWSStepFunctions.* and AWSEvents.*. Call before
  // the router is handed to the server.
  void AddRoutes(http::Router& router);
  // Makes the operations available.
  void Attach(const AwsBackend& backend);
  // Finishes the operations in progress (their answers are sent) and stops
  // the pool; later requests get ServiceUnavailable. Call after the HTTP
  // server stopped taking requests and before the backend goes away.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::api
