#include "stepd/api/aws_json.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "aws_internal.h"
#include "stepd/base/crypto.h"

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

// What a request acts on, for authorisation and audit rows.
struct AccessTarget {
  enum class Scope {
    kMachine,   // one state machine (machine_name) or one of its parts
    kNone,      // no state machine: unscoped grants only
    kListing,   // lists state machines: shows those the principal may read
    kByToken,   // a task token: checked once the token's execution is known
  };
  Scope scope = Scope::kNone;
  std::string resource;      // the ARN or name acted on, "" when none
  std::string machine_name;  // with kMachine
};

// The state machine an ARN of stepd's belongs to, or "" (activities,
// anything unparsable).
std::string MachineNameOf(std::string_view arn) {
  std::optional<aws::Arn> parsed = aws::ParseArn(arn);
  if (!parsed) return "";
  const std::string& type = parsed->resource_type;
  if (type != "stateMachine" && type != "execution" && type != "express" && type != "mapRun") {
    return "";
  }
  // stateMachine:NAME[:qualifier], execution:MACHINE:NAME,
  // mapRun:MACHINE/MAPSTATE:ID.
  return parsed->resource.substr(0, parsed->resource.find_first_of(":/"));
}

AccessTarget TargetOf(std::string_view operation, const Json& input) {
  AccessTarget target;
  if (operation == "ListStateMachines") {
    target.scope = AccessTarget::Scope::kListing;
    return target;
  }
  if (operation == "SendTaskSuccess" || operation == "SendTaskFailure" ||
      operation == "SendTaskHeartbeat") {
    target.scope = AccessTarget::Scope::kByToken;
    return target;
  }
  for (const char* field : {"stateMachineArn", "executionArn", "mapRunArn", "stateMachineAliasArn",
                            "stateMachineVersionArn", "resourceArn", "activityArn", "name",
                            "Name"}) {
    auto it = input.find(field);
    if (it == input.end() || !it->is_string()) continue;
    target.resource = it->get<std::string>();
    if (std::string_view(field) == "name") {
      // CreateStateMachine names the machine it makes; CreateActivity an
      // activity.
      if (operation == "CreateStateMachine") target.machine_name = target.resource;
    } else if (std::string_view(field) != "Name") {
      target.machine_name = MachineNameOf(target.resource);
    }
    break;
  }
  if (!target.machine_name.empty()) target.scope = AccessTarget::Scope::kMachine;
  return target;
}

// Whether a successful call's audit row is the API's to write: the others
// write theirs with the change (store) or the transition (engine), and reads
// write none.
bool AuditedByApiOnSuccess(std::string_view operation) {
  return operation == "SendTaskSuccess" || operation == "SendTaskFailure" ||
         operation == "UpdateMapRun";
}

// Calls that change something: audited, refusals and failures included.
// Heartbeats, activity polls and TestState change nothing worth a row; only
// their refusals are audited.
bool IsAuditedChange(const aws::OperationInfo& op) {
  if (op.permission == Permission::kRead) return false;
  return op.name != "SendTaskHeartbeat" && op.name != "GetActivityTask" && op.name != "TestState";
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
    authenticator_->Authenticate(
        request, [this, &service, responder = std::move(responder)](
                     const http::Request& req, Authenticator::Result auth) mutable {
          Authorized(service, req, std::move(auth), std::move(responder));
        });
  }

 private:
  void Authorized(const Service& service, const http::Request& request,
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
    auto send = [&service, responder, request_id = request.request_id](aws::Outcome outcome) {
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

    const AccessTarget access = TargetOf(op->name, call.input);
    const bool allowed = [&] {
      switch (access.scope) {
        case AccessTarget::Scope::kMachine:
          return call.principal.Can(op->permission, access.machine_name);
        case AccessTarget::Scope::kNone:
          return call.principal.Can(op->permission);
        case AccessTarget::Scope::kListing:
        case AccessTarget::Scope::kByToken:
          return call.principal.CanOnSome(op->permission);
      }
      return false;
    }();
    if (!allowed) {
      aws::Outcome denied = Denied(service, *op, call.principal, access.resource);
      auto audit = RefusalAudit(call, access.resource, *denied.error);
      if (!pool_.TrySubmit([this, audit, denied, send]() mutable {
            AppendAudit(audit);
            send(std::move(denied));
          })) {
        AppendAudit(audit);
        send(std::move(denied));
      }
      return;
    }

    auto task = [this, op, &service, access, send = std::move(send),
                 call = std::move(call)]() mutable {
      if (!attached_.load(std::memory_order_acquire)) {
        send(aws::Outcome::Fail(aws::ErrorType::kServiceUnavailable,
                                "stepd is stopping; try again shortly"));
        return;
      }
      std::string resource = access.resource;
      if (access.scope == AccessTarget::Scope::kByToken) {
        // The token's execution is the resource; a principal whose grants
        // are limited to some state machines may answer for those only.
        std::string machine;
        auto token = call.input.find("taskToken");
        if (token != call.input.end() && token->is_string()) {
          auto found = context_.store->GetActivityTaskByToken(Sha256(token->get<std::string>()));
          if (found.ok()) {
            resource = found->execution_arn;
            machine = MachineNameOf(resource);
          }
        }
        if (!call.principal.Can(op->permission, machine)) {
          aws::Outcome denied = Denied(service, *op, call.principal, resource);
          AppendAudit(RefusalAudit(call, resource, *denied.error));
          return send(std::move(denied));
        }
      }
      if (IsAuditedChange(*op)) call.reply = AuditingReply(call, resource, std::move(send));
      else call.reply = std::move(send);
      op->run(context_, std::move(call));
    };
    if (!pool_.TrySubmit(std::move(task))) {
      responder.Send(ErrorAnswer(service, aws::ErrorType::kThrottlingException,
                                 "Rate exceeded: " + std::to_string(options_.queue_capacity) +
                                     " requests are waiting; try again later",
                                 request.request_id));
    }
  }

  // Wraps `send` so that a failure of the audited change `call` (and its
  // success, when AuditedByApiOnSuccess) appends an audit row before the
  // answer goes out. Successes of other calls are audited where the change
  // is stored.
  std::function<void(aws::Outcome)> AuditingReply(const aws::Call& call, std::string resource,
                                                  std::function<void(aws::Outcome)> send) {
    auto caller = std::make_shared<aws::Call>();
    caller->principal = call.principal;
    caller->operation = call.operation;
    caller->source = call.source;
    caller->request_id = call.request_id;
    const bool on_success = AuditedByApiOnSuccess(call.operation);
    return [this, caller, on_success, resource = std::move(resource),
            send = std::move(send)](aws::Outcome outcome) {
      if (!outcome.error && !on_success) return send(std::move(outcome));
      store::AuditEntry row = aws::Audit(
          context_, *caller, caller->operation, resource,
          outcome.error ? Json{{"outcome", "error"},
                               {"error", aws::ErrorTypeName(outcome.error->type)}}
                        : Json::object());
      auto finish = [this, row = std::move(row), send, outcome = std::move(outcome)]() mutable {
        AppendAudit(row);
        send(std::move(outcome));
      };
      // The reply may come from an engine thread: the row is written on an
      // API thread when one is free.
      if (!pool_.TrySubmit(finish)) finish();
    };
  }

  aws::Outcome Denied(const Service& service, const aws::OperationInfo& op,
                      const Principal& principal, std::string_view resource) const {
    return aws::Outcome::Fail(
        aws::ErrorType::kAccessDeniedException,
        "User: " + principal.id + " is not authorized to perform: " +
            std::string(service.iam_prefix) + ":" + std::string(op.name) +
            (resource.empty() ? "" : " on resource: " + std::string(resource)) +
            " (it needs the '" + std::string(PermissionName(op.permission)) +
            "' permission; the principal's roles: " + principal.DescribeGrants() + ")");
  }

  store::AuditEntry RefusalAudit(const aws::Call& call, const std::string& resource,
                                 const aws::AwsError& error) const {
    return aws::Audit(context_, call, call.operation, resource,
                      {{"outcome", "denied"}, {"error", aws::ErrorTypeName(error.type)}});
  }

  void AppendAudit(const store::AuditEntry& row) {
    Status appended = context_.store->AppendAudit({row});
    if (!appended.ok()) {
      logger_->error("audit row for {} by {} could not be written: {}", row.action, row.actor,
                     appended.ToString());
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
