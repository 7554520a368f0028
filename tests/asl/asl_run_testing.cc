#include "asl/asl_run_testing.h"

#include <gtest/gtest.h>

namespace stepd::asl::testing {

void ScriptedInvoker::Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) {
  requests.push_back(request);
  auto it = answers_.find(request.state_name);
  if (it == answers_.end() || it->second.empty()) {
    done(AslError{"States.TaskFailed", "no scripted answer for " + request.state_name});
    return;
  }
  size_t& n = calls_[request.state_name];
  const size_t i = std::min(n, it->second.size() - 1);
  ++n;
  done(it->second[i]);
}

TimePoint TestStart() { return TimePoint(std::chrono::seconds(1700000000)); }

ExecutionInfo TestInfo() {
  ExecutionInfo info;
  info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:sm:exec";
  info.name = "exec";
  info.role_arn = "arn:aws:iam::123456789012:role/r";
  info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
  info.state_machine_name = "sm";
  info.start_time = TestStart();
  return info;
}

std::shared_ptr<const StateMachine> MustCompile(std::string_view definition) {
  CompileResult r = Compile(definition);
  if (!r.ok()) {
    ADD_FAILURE() << "compile failed: " << InvalidDefinitionMessage(r.diagnostics);
  }
  return r.machine;
}

RunOutcome RunDefinition(std::string_view definition, const Json& input, ScriptedInvoker* invoker,
                         const ExecutionOptions& options) {
  RunOutcome out;
  auto machine = MustCompile(definition);
  if (!machine) return out;
  FakeClock clock(TestStart());
  ScriptedInvoker none;
  auto exec = Execution::Start(machine, TestInfo(), input, clock.Now(), options);
  RunExecution(*exec, invoker ? *invoker : none, clock, &out.events);
  out.status = exec->status();
  out.output = exec->output();
  out.error = exec->error();
  for (const HistoryEvent& e : out.events) out.types.emplace_back(e.type);
  out.elapsed = clock.Now() - TestStart();
  return out;
}

}  // namespace stepd::asl::testing
