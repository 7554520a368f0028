#include "stepd/api/aws_json.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "aws_internal.h"
#include "service.h"
#include "stepd/base/metrics.h"

namespace stepd::api {
namespace {

// A JSON protocol served on POST / by X-Amz-Target prefix.
struct Protocol {
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

constexpr Protocol kStepFunctions{
    kAwsTargetPrefix, "application/x-amz-json-1.0", "states", aws::FindOperation, true, true};
constexpr Protocol kEvents{kEventsTargetPrefix,
                          "application/x-amz-json-1.1",
                          "events",
                          aws::FindEventsOperation,
                          false,
                          false};

http::Response ErrorAnswer(const Protocol& service, aws::ErrorType type, std::string_view message,
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
       std::shared_ptr<spdlog::logger> logger, metrics::Registry* metrics)
      : options_(options),
        authenticator_(authenticator),
        service_(options, std::move(logger)),
        operations_(metrics == nullptr
                        ? nullptr
                        : &metrics->AddCounter("stepd_aws_requests_total",
                                               "AWS JSON API operations answered, by operation "
                                               "and outcome (ok or the error's type).",
                                               {"operation", "outcome"})) {}

  void Attach(const AwsBackend& backend) {
    service_.Attach(backend);
  }

  void Stop() { service_.Stop(); }

  void Handle(const Protocol& service, const http::Request& request, http::Responder responder) {
    authenticator_->Authenticate(
        request, [this, &service, responder = std::move(responder)](
                     const http::Request& req, Authenticator::Result auth) mutable {
          Authorized(service, req, std::move(auth), std::move(responder));
        });
  }

 private:
  void Authorized(const Protocol& service, const http::Request& request,
                  Authenticator::Result auth, http::Responder responder) {
    auto header = request.headers.Get("X-Amz-Target");
    std::string_view target = header ? *header : std::string_view();
    std::string_view operation =
        target.substr(std::min(target.size(), service.target_prefix.size()));

    if (!auth.principal) {
      const AuthError& error = *auth.error;
      responder.Send(ErrorAnswer(service,
                                 error.failure == AuthFailure::kInvalidSignature
                                     ? aws::ErrorType::kInvalidSignatureException
                                     : aws::ErrorType::kUnrecognizedClientException,
                                 error.message, request.request_id));
      return;
    }
    if (!service_.attached()) {
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
    call.principal = std::move(*auth.principal);
    call.operation = std::string(op->name);
    call.source = request.remote_address;
    call.request_id = request.request_id;
    call.client_gone = [responder] { return responder.client_gone(); };
    call.reply = [&service, responder, request_id = request.request_id, counter = operations_,
                  operation = std::string(op->name)](aws::Outcome outcome) {
      if (counter != nullptr) {
        counter
            ->With({operation,
                    outcome.error ? std::string(aws::ErrorTypeName(outcome.error->type)) : "ok"})
            .Increment();
      }
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
    auto shared = std::make_shared<aws::Call>(std::move(call));
    if (!service_.Submit([this, op, &service, shared]() mutable {
          service_.Invoke(*op, std::move(*shared), service.iam_prefix);
        })) {
      responder.Send(ErrorAnswer(service, aws::ErrorType::kThrottlingException,
                                 "Rate exceeded: " + std::to_string(options_.queue_capacity) +
                                     " requests are waiting; try again later",
                                 request.request_id));
    }
  }

  const ApiOptions options_;
  const Authenticator* const authenticator_;
  aws::Service service_;
  metrics::Family<metrics::Counter>* const operations_;  // null: not counted
};

AwsJsonApi::AwsJsonApi(const ApiOptions& options, const Authenticator* authenticator,
                       std::shared_ptr<spdlog::logger> logger, metrics::Registry* metrics)
    : impl_(std::make_unique<Impl>(options, authenticator, std::move(logger), metrics)) {}

AwsJsonApi::~AwsJsonApi() { Stop(); }

void AwsJsonApi::AddRoutes(http::Router& router) {
  http::RouteOptions route;
  // A definition may be 1 MiB of characters, more once escaped in JSON.
  route.body_limit_bytes = 4 * 1024 * 1024;
  Impl* impl = impl_.get();
  for (const Protocol* service : {&kStepFunctions, &kEvents}) {
    route.predicate = http::HeaderHasPrefix("X-Amz-Target", std::string(service->target_prefix));
    route.overloaded = [service](const http::Request& request) {
      return ErrorAnswer(*service, aws::ErrorType::kThrottlingException,
                         "Rate exceeded: stepd has too many connections open; try again later",
                         request.request_id);
    };
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
