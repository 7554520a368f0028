#pragma once
// Private to the api layer: the service layer every API surface shares. The
// AWS JSON API and the REST API both run the operations of aws_internal.h
// through a Service, which checks the caller's permission on what the call
// acts on, writes the audit rows of refusals and failed changes, and runs
// the operation on its pool, so that no operation has a second
// implementation and every surface enforces the same rules.
//
// Thread-safety: Attach() and Stop() once each, from the wiring thread;
// everything else from any thread.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws_internal.h"
#include "stepd/api/aws_json.h"
#include "stepd/base/thread_pool.h"

namespace stepd::api::aws {

// What a call acts on, for authorisation and audit rows.
struct AccessTarget {
  enum class Scope {
    kMachine,  // one state machine (machine_name) or one of its parts
    kNone,     // no state machine: unscoped grants only
    kListing,  // lists state machines: shows those the principal may read
    kByToken,  // a task token: checked once the token's execution is known
  };
  Scope scope = Scope::kNone;
  std::string resource;      // the ARN or name acted on, "" when none
  std::string machine_name;  // with kMachine
};

// The state machine an ARN of stepd's belongs to (stateMachine, execution,
// express and mapRun ARNs), or "" (activities, anything unparsable).
std::string MachineNameOf(std::string_view arn);
// What `operation` with AWS-shaped `input` acts on.
AccessTarget TargetOf(std::string_view operation, const Json& input);

// The AccessDeniedException for `principal` lacking `permission` for
// `action` ("states:StartExecution") on `resource` ("" when none).
AwsError Denied(const Principal& principal, std::string_view action, Permission permission,
                std::string_view resource);

class Service {
 public:
  Service(const ApiOptions& options, std::shared_ptr<spdlog::logger> logger);
  ~Service();  // Stop()
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void Attach(const AwsBackend& backend);
  // Finishes the work queued (answers are sent) and stops the pool; later
  // calls are answered ServiceUnavailable.
  void Stop();
  bool attached() const { return attached_.load(std::memory_order_acquire); }

  // Valid once attached.
  const Context& context() const { return context_; }
  const ApiOptions& options() const { return options_; }

  // Runs `work` on the pool; false when the pool's queue is full (the
  // caller answers "overloaded").
  bool Submit(std::function<void()> work);
  // The calling thread is one of this service's pool threads.
  bool OnPoolThread() const;

  // Runs operation `op` for `call` (principal, input, source, request id and
  // reply set) on the calling thread, which must not be an I/O thread:
  // refuses with AccessDeniedException (and an audit row) when the principal
  // lacks op.permission on what the call acts on; answers
  // ServiceUnavailable when not attached; otherwise runs it, wrapping the
  // reply so that a failed change (and the changes the store does not
  // audit itself) gets its audit row before the answer goes out.
  // `iam_prefix` names the action in refusals ("states", "events").
  void Invoke(const OperationInfo& op, Call call, std::string_view iam_prefix = "states");

  void AppendAudit(const store::AuditEntry& row);

 private:
  std::function<void(Outcome)> AuditingReply(const Call& call, std::string resource,
                                             std::function<void(Outcome)> send);

  const ApiOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  Context context_;  // filled before attached_ is set, then read-only
  std::atomic<bool> attached_{false};
  ThreadPool pool_;
};

}  // namespace stepd::api::aws
