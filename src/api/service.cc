#include "service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "stepd/base/crypto.h"
#include "stepd/base/log_context.h"

namespace stepd::api::aws {
namespace {

// The service whose pool runs the current thread's work, if any.
thread_local const Service* current_service = nullptr;

// Whether a successful call's audit row is the service's to write: the
// others write theirs with the change (store) or the transition (engine),
// and reads write none.
bool AuditedByServiceOnSuccess(std::string_view operation) {
  return operation == "SendTaskSuccess" || operation == "SendTaskFailure" ||
         operation == "UpdateMapRun";
}

// Calls that change something: audited, refusals and failures included.
// Heartbeats, activity polls and TestState change nothing worth a row; only
// their refusals are audited.
bool IsAuditedChange(const OperationInfo& op) {
  if (op.permission == Permission::kRead) return false;
  return op.name != "SendTaskHeartbeat" && op.name != "GetActivityTask" && op.name != "TestState";
}

}  // namespace

std::string MachineNameOf(std::string_view arn) {
  std::optional<Arn> parsed = ParseArn(arn);
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
  for (const char* field :
       {"stateMachineArn", "executionArn", "mapRunArn", "stateMachineAliasArn",
        "stateMachineVersionArn", "resourceArn", "activityArn", "name", "Name"}) {
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

AwsError Denied(const Principal& principal, std::string_view action, Permission permission,
                std::string_view resource) {
  return AwsError{ErrorType::kAccessDeniedException,
                  "User: " + principal.id +
                      " is not authorized to perform: " + std::string(action) +
                      (resource.empty() ? "" : " on resource: " + std::string(resource)) +
                      " (it needs the '" + std::string(PermissionName(permission)) +
                      "' permission; the principal's roles: " + principal.DescribeGrants() + ")"};
}

Service::Service(const ApiOptions& options, std::shared_ptr<spdlog::logger> logger)
    : options_(options),
      logger_(std::move(logger)),
      pool_(static_cast<size_t>(
                options.threads > 0
                    ? options.threads
                    : std::max(2, static_cast<int>(std::thread::hardware_concurrency()))),
            options.queue_capacity) {
  context_.options = &options_;
  context_.log = logger_.get();
}

Service::~Service() { Stop(); }

void Service::Attach(const AwsBackend& backend) {
  context_.store = backend.store;
  context_.engine = backend.engine;
  context_.activities = backend.activities;
  context_.clock = backend.clock;
  context_.connections = backend.connections;
  context_.scheduler = backend.scheduler;
  context_.notifier = backend.notifier;
  attached_.store(true, std::memory_order_release);
}

void Service::Stop() {
  attached_.store(false, std::memory_order_release);
  pool_.Shutdown();
}

bool Service::Submit(std::function<void()> work) {
  return pool_.TrySubmit([this, work = std::move(work)] {
    current_service = this;
    work();
    current_service = nullptr;
  });
}

bool Service::OnPoolThread() const { return current_service == this; }

void Service::Invoke(const OperationInfo& op, Call call, std::string_view iam_prefix) {
  if (!attached()) {
    return call.reply(
        Outcome::Fail(ErrorType::kServiceUnavailable, "stepd is stopping; try again shortly"));
  }
  const AccessTarget access = TargetOf(op.name, call.input);
  // An operation on one execution logs as part of it.
  std::string execution;
  if (auto arn = call.input.find("executionArn"); arn != call.input.end() && arn->is_string()) {
    execution = arn->get<std::string>().substr(0, 256);
  }
  ScopedLogContext scope(LogContext{call.request_id, std::move(execution)});
  std::string resource = access.resource;
  std::string machine = access.machine_name;
  bool allowed = false;
  switch (access.scope) {
    case AccessTarget::Scope::kMachine:
      allowed = call.principal.Can(op.permission, machine);
      break;
    case AccessTarget::Scope::kNone:
      allowed = call.principal.Can(op.permission);
      break;
    case AccessTarget::Scope::kListing:
      allowed = call.principal.CanOnSome(op.permission);
      break;
    case AccessTarget::Scope::kByToken: {
      // The token's execution is the resource; a principal whose grants are
      // limited to some state machines may answer for those only.
      auto token = call.input.find("taskToken");
      if (token != call.input.end() && token->is_string()) {
        auto found = context_.store->GetActivityTaskByToken(Sha256(token->get<std::string>()));
        if (found.ok()) {
          resource = found->execution_arn;
          machine = MachineNameOf(resource);
        }
      }
      allowed = call.principal.Can(op.permission, machine);
      break;
    }
  }
  const std::string action = std::string(iam_prefix) + ":" + std::string(op.name);
  if (!allowed) {
    AwsError denied = Denied(call.principal, action, op.permission, resource);
    AppendAudit(Audit(context_, call, call.operation, resource,
                      {{"outcome", "denied"}, {"error", ErrorTypeName(denied.type)}}));
    return call.reply(Outcome{{}, std::move(denied)});
  }
  if (IsAuditedChange(op)) call.reply = AuditingReply(call, resource, std::move(call.reply));
  op.run(context_, std::move(call));
}

std::function<void(Outcome)> Service::AuditingReply(const Call& call, std::string resource,
                                                    std::function<void(Outcome)> send) {
  auto caller = std::make_shared<Call>();
  caller->principal = call.principal;
  caller->operation = call.operation;
  caller->source = call.source;
  caller->request_id = call.request_id;
  caller->audit_details = call.audit_details;
  const bool on_success = AuditedByServiceOnSuccess(call.operation);
  return [this, caller, on_success, resource = std::move(resource),
          send = std::move(send)](Outcome outcome) {
    if (!outcome.error && !on_success) return send(std::move(outcome));
    store::AuditEntry row = Audit(
        context_, *caller, caller->operation, resource,
        outcome.error ? Json{{"outcome", "error"}, {"error", ErrorTypeName(outcome.error->type)}}
                      : Json::object());
    auto finish = [this, row = std::move(row), send, outcome = std::move(outcome)]() mutable {
      AppendAudit(row);
      send(std::move(outcome));
    };
    // The reply may come from an engine thread: the row is written on a
    // service thread when one is free.
    if (OnPoolThread() || !Submit(finish)) finish();
  };
}

void Service::AppendAudit(const store::AuditEntry& row) {
  Status appended = context_.store->AppendAudit({row});
  if (!appended.ok()) {
    logger_->error("audit row for {} by {} could not be written: {}", row.action, row.actor,
                   appended.ToString());
  }
}

}  // namespace stepd::api::aws
