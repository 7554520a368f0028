#include "stepd/api/aws_json.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "aws_internal.h"

namespace stepd::api {
namespace {

// A JSON protocol served on POST / by X-Amz-Target prefix.
struct Service {
  std::string_view target_prefix;
  std::string_view content_type;
  std::string_view iam_prefix;  // of actions in AccessDeniedException messages
  const aws::OperationInfo* (*find)(std::string_view name);
  // Step Functions qualifies most exception names with a namespace;
  // EventBridge sends them bare.
  bool namespaced_errors;
  // A body that is not JSON is refused quoting the parser's words, which
  // quote the body; connection requests carry secrets, so their refusal
  // says only where the body broke.
  bool quote_parse_errors;
};

constexpr Service kStepFunctions{
    kAwsTargetPrefix, "application/x-amz-json-1.0", "states", aws::FindOperation, true, true};
constexpr Service kEvents{kEventsTargetPrefix,
                          "application/x-amz-json-1.1",
                          "events",
                          aws::FindEventsOperation,
                          false,
                          false};

http::Response ErrorAnswer(const Service& service, aws::ErrorType type, std::string_view message,
                           const std::string& request_id) {
  Json body = {{"__type", service.namespaced_errors ? aws::ErrorTypeWireName(type)
                                                    : std::string(aws::ErrorTypeName(type))},
               {"message", message}};
  http::Response response;
  response.status = aws::ErrorHttpStatus(type);
  response.headers.Set("Content-Type", std::string(service.content_type));
  response.headers.Set("X-Amzn-ErrorType", std::string(aws::ErrorTypeName(type)));
  response.headers.Set("x-amzn-RequestId", request_id);
  if (type == aws::ErrorType::kUnrecognizedClientException ||
      type == aws::ErrorType::kInvalidSignatureException) {
    response.headers.Set("WWW-Authenticate", "Bearer");
  }
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

}  // namespace

class AwsJsonApi::Impl {
 public:
  Impl(const ApiOptions& options, const Authenticator* authenticator,
       std::shared_ptr<spdlog::logger> logger)
      : options_(options),
        authenticator_(authenticator),
        logger_(std::move(logger)),
        pool_(static_cast<size_t>(
                  options.threads > 0
                      ? options.threads
                      : std::max(2, static_cast<int>(std::thread::hardware_concurrency()))),
              options.queue_capacity) {
    context_.options = &options_;
    context_.log = logger_.get();
  }

  void Attach(const AwsBackend& backend) {
    context_.store = backend.store;
    context_.engine = backend.engine;
    context_.activities = backend.activities;
    context_.clock = backend.clock;
    context_.connections = backend.connections;
    attached_.store(true, std::memory_order_release);
  }

  void Stop() {
    attached_.store(false, std::memory_order_release);
    pool_.Shutdown();
  }

  void Handle(const Service& service, const http::Request& request, http::Responder responder) {
    auto header = request.headers.Get("X-Amz-Target");
    std::string_view target = header ? *header : std::string_view();
    std::string_view operation =
        target.substr(std::min(target.size(), service.target_prefix.size()));

    const Authenticator::Result auth = authenticator_->Authenticate(request);
    if (!auth.principal) {
      const AuthError& error = *auth.error;
      responder.Send(ErrorAnswer(service,
                                 error.failure == AuthFailure::kInvalidSignature
                                     ? aws::ErrorType::kInvalidSignatureException
                                     : aws::ErrorType::kUnrecognizedClientException,
                                 error.message, request.request_id));
      return;
    }
    if (!attached_.load(std::memory_order_acquire)) {
      responder.Send(ErrorAnswer(service, aws::ErrorType::kServiceUnavailable,
                                 "stepd is starting or stopping; try again shortly",
                                 request.request_id));
      return;
    }
    const aws::OperationInfo* op = service.find(operation);
    if (op == nullptr) {
      responder.Send(ErrorAnswer(service, aws::ErrorType::kUnknownOperationException,
                                 "Unknown operation '" + std::string(target) + "'",
                                 request.request_id));
      return;
    }
    if (!auth.principal->Allows(op->role)) {
      responder.Send(ErrorAnswer(
          service, aws::ErrorType::kAccessDeniedException,
          "User: " + auth.principal->id + " (role " + std::string(RoleName(auth.principal->role)) +
              ") is not authorized to perform: " + std::string(service.iam_prefix) + ":" +
              std::string(op->name) + " (it needs the " + std::string(RoleName(op->role)) +
              " role)",
          request.request_id));
      return;
    }
    aws::Call call;
    if (request.body.empty()) {
      call.input = Json::object();
    } else {
      StatusOr<Json> parsed = ParseJson(request.body);
      if (!parsed.ok()) {
        const std::string why = parsed.status().message();  // "invalid JSON at byte N: ..."
        responder.Send(ErrorAnswer(
            service, aws::ErrorType::kSerializationException,
            "The request body is not valid JSON: " +
                (service.quote_parse_errors
                     ? why
                     : why.substr(0, why.find(':')) + " (not quoted: it may hold secrets)"),
            request.request_id));
        return;
      }
      if (!parsed->is_object()) {
        responder.Send(ErrorAnswer(service, aws::ErrorType::kSerializationException,
                                   "The request body must be a JSON object", request.request_id));
        return;
      }
      call.input = std::move(parsed).value();
    }
    call.principal = *auth.principal;
    call.operation = std::string(op->name);
    call.client_gone = [responder] { return responder.client_gone(); };
    call.reply = [&service, responder, request_id = request.request_id](aws::Outcome outcome) {
      if (outcome.error) {
        responder.Send(
            ErrorAnswer(service, outcome.error->type, outcome.error->message, request_id));
        return;
      }
      http::Response response;
      response.status = 200;
      response.headers.Set("Content-Type", std::string(service.content_type));
      response.headers.Set("x-amzn-RequestId", request_id);
      response.body = std::move(outcome.body);
      responder.Send(std::move(response));
    };
    auto task = [this, run = op->run, call = std::move(call)]() mutable {
      if (!attached_.load(std::memory_order_acquire)) {
        call.reply(aws::Outcome::Fail(aws::ErrorType::kServiceUnavailable,
                                      "stepd is stopping; try again shortly"));
        return;
      }
      run(context_, std::move(call));
    };
    if (!pool_.TrySubmit(std::move(task))) {
      responder.Send(ErrorAnswer(service, aws::ErrorType::kThrottlingException,
                                 "Rate exceeded: " + std::to_string(options_.queue_capacity) +
                                     " requests are waiting; try again later",
                                 request.request_id));
    }
  }

 private:
  const ApiOptions options_;
  const Authenticator* const authenticator_;
  std::shared_ptr<spdlog::logger> logger_;
  aws::Context context_;  // filled before attached_ is set, then read-only
  std::atomic<bool> attached_{false};
  ThreadPool pool_;
};

AwsJsonApi::AwsJsonApi(const ApiOptions& options, const Authenticator* authenticator,
                       std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(options, authenticator, std::move(logger))) {}

AwsJsonApi::~AwsJsonApi() { Stop(); }

void AwsJsonApi::AddRoutes(http::Router& router) {
  http::RouteOptions route;
  // A definition may be 1 MiB of characters, more once escaped in JSON.
  route.body_limit_bytes = 4 * 1024 * 1024;
  Impl* impl = impl_.get();
  for (const Service* service : {&kStepFunctions, &kEvents}) {
    route.predicate = http::HeaderHasPrefix("X-Amz-Target", std::string(service->target_prefix));
    router.Add(
        "POST", "/",
        [impl, service](const http::Request& request, http::Responder responder) {
          impl->Handle(*service, request, std::move(responder));
        },
        route);
  }
}

void AwsJsonApi::Attach(const AwsBackend& backend) { impl_->Attach(backend); }

void AwsJsonApi::Stop() { impl_->Stop(); }

}  // namespace stepd::api
